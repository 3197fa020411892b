"""Soak: mixed traffic against `governance serve` on PostgreSQL while a worker is killed every minute.

Usage::

    python benchmarks/service_soak.py [--minutes 30] [--workers 4] [--clients 8] [--json FILE]

Needs ``GOVERNANCE_BENCH_POSTGRES_URL`` or ``GOVERNANCE_TEST_POSTGRES_URL`` (a fresh schema is made and
dropped). Clients record decisions, read entries, fetch proofs, the checkpoint and tiles, in a fixed
mix; every minute one worker process is killed with SIGKILL (uvicorn starts another). At the end:
every answered recording must be in the log exactly once, at the sequence number and with the
decision id its response gave (no answered entry lost, none duplicated), every decision id in the log
must be distinct, the log must verify, and the workers' memory is reported at each minute (it should
stay flat). A line per minute goes to stdout as it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

import httpx

from benchmarks.service import AS_OF, ORG, POLICY, _documents, _postgres_schema, _server
from governance.ledger.signing import SigningKey
from governance.ledger.store import Ledger
from governance.ledger.verify import verify_source
from governance.service.apikeys import KeyStore

__all__ = ["soak"]


def _children(pid: int) -> list[int]:
    """The worker processes of the server ``pid`` (spawned children; not multiprocessing's resource tracker)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and b"spawn_main" in (entry / "cmdline").read_bytes():
                out.append(int(entry.name))
    return sorted(out)


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def _traffic(base: str, tokens: dict[str, str], seconds: float, clients: int) -> dict[str, Any]:
    documents = _documents(500, seed=3)
    answered: list[tuple[int, str]] = []
    counts = {"record": 0, "entries": 0, "proof": 0, "checkpoint": 0, "tile": 0, "errors": 0}
    deadline = time.monotonic() + seconds
    rng = random.Random(1)

    async def client(index: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while time.monotonic() < deadline:
                kind = rng.choices(["record", "entries", "proof", "checkpoint", "tile"], [6, 1, 1, 1, 1])[0]
                try:
                    if kind == "record":
                        body = {"candidate": rng.choice(documents), "policies": [POLICY], "as_of": AS_OF.isoformat()}
                        body["record"] = True
                        headers = {"Authorization": f"Bearer {tokens['lab']}"}
                        response = await http.post("/v1/decisions", json=body, headers=headers)
                        if response.status_code == 200:
                            recorded = response.json()["decisions"][0]["recorded"]
                            answered.append((int(recorded["seq"]), str(recorded["decision_id"])))
                    elif kind == "entries":
                        headers = {"Authorization": f"Bearer {tokens['auditor']}"}
                        response = await http.get("/v1/entries?limit=20", headers=headers)
                    elif kind == "proof":
                        response = await http.get("/v1/proofs/inclusion?seq=0")
                    elif kind == "checkpoint":
                        response = await http.get("/checkpoint")
                    else:
                        response = await http.get("/tile/0/000.p/1")
                    counts[kind] += 1
                    if response.status_code >= 500:
                        counts["errors"] += 1
                except httpx.HTTPError:
                    counts["errors"] += 1  # a request on the worker that was killed

    await asyncio.gather(*(client(i) for i in range(clients)))
    return {"answered": answered, "counts": counts}


def _progress(minute: int, kills: int, rss: list[float], started: float) -> None:
    """One line per minute on stdout, so that a run cut short still shows how far it went."""
    elapsed = time.monotonic() - started
    print(f"minute {minute}: {elapsed:.0f} s, {kills} kill(s), worker RSS MB {rss}", flush=True)


def soak(minutes: float, workers: int, clients: int) -> dict[str, Any]:
    """Run the soak; return its figures (raises if an answered entry is missing or duplicated)."""
    with _postgres_schema() as url, tempfile.TemporaryDirectory(prefix="governance-soak-") as folder:
        if url is None:
            raise SystemExit("set GOVERNANCE_BENCH_POSTGRES_URL or GOVERNANCE_TEST_POSTGRES_URL")
        key = Path(folder) / "ledger.key"
        SigningKey.generate("soak").save(key)
        with Ledger.open(url, create=True) as opened:
            store = KeyStore(opened)
            store.ensure_tables()
            tokens = {"lab": store.create("lab", "soak", ORG).token, "auditor": store.create("auditor", "soak").token}
        memory: list[list[float]] = []
        kills = 0
        with _server(url, key, workers, Path(folder)) as (base, server_pid):
            started = time.monotonic()

            async def killer() -> None:
                nonlocal kills
                for minute in range(1, int(minutes) + 1):
                    await asyncio.sleep(60)
                    pids = _children(server_pid)
                    memory.append([round(_rss_mb(pid), 1) for pid in pids])
                    if pids:
                        os.kill(random.choice(pids), signal.SIGKILL)
                        kills += 1
                    _progress(minute, kills, memory[-1], started)

            async def both() -> dict[str, Any]:
                traffic = asyncio.create_task(_traffic(base, tokens, minutes * 60, clients))
                await killer()
                return await traffic

            result = asyncio.run(both())
            time.sleep(3)
            memory.append([round(_rss_mb(pid), 1) for pid in _children(server_pid)])
            scraped = httpx.get(base + "/metrics", headers={"Authorization": f"Bearer {tokens['auditor']}"}).text
        with Ledger.open(url) as opened, opened.read() as reader:
            report = verify_source(reader)
            size = reader.entry_count()
            logged = {row.seq: row.decision_id for row in reader.entries()}
    answered = result["answered"]
    seqs = [seq for seq, _ in answered]
    lost = [(seq, decision) for seq, decision in answered if logged.get(seq) != decision]
    duplicated = len(seqs) - len(set(seqs)) + len(logged) - len(set(logged.values()))
    if lost or duplicated or sorted(logged) != list(range(size)) or not report.ok:
        raise RuntimeError(
            f"soak failed: {len(answered)} answered, {len(lost)} not in the log as answered, {duplicated} duplicated, "
            f"size {size}, verifies: {report.ok}"
        )
    appended = [line for line in scraped.splitlines() if line.startswith("governance_ledger_appended_entries_total")]
    return {
        "minutes": minutes,
        "workers": workers,
        "clients": clients,
        "kills": kills,
        "requests": result["counts"],
        "answered_recordings": len(answered),
        "lost": len(lost),
        "duplicated": duplicated,
        "entries": size,
        "metrics_appended_entries": appended[0].split()[-1] if appended else None,
        "unanswered_but_recorded": size - len(answered),
        "verifies": report.ok,
        "worker_rss_mb_by_minute": memory,
    }


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = soak(args.minutes, args.workers, args.clients)
    print(json.dumps(figures, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
