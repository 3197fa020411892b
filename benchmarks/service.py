"""The HTTP service under load: recorded and unrecorded decisions per second, and latency, over loopback.

Usage::

    python benchmarks/service.py [--quick] [--json FILE]

It starts ``governance serve`` as a real process on a fresh ledger (SQLite with one worker; and, when
``GOVERNANCE_BENCH_POSTGRES_URL`` or ``GOVERNANCE_TEST_POSTGRES_URL`` is set, PostgreSQL with four
workers in a fresh schema dropped afterwards), creates a lab key, and drives it with 1, 4 and 16
concurrent clients (one asyncio loop, keep-alive connections), each request deciding and recording one
candidate under ``illustrative-capability@1.0``. In the same run it measures the in-process rates the
service is compared with: deciding, and deciding plus recording in group commits of 16. After each
backend the ledger must hold exactly one entry per recorded request and verify.

Figures (``{name, value, unit}`` plus ``target``/``met``/``baseline``/``ratio``/``note``):

- ``service.<backend>.recorded.c<N>``: recorded decisions per second with N clients; p50 and p99
  latency as ``...latency_p50`` / ``...latency_p99`` (ms).
- ``service.<backend>.unrecorded.c16``: unrecorded decisions per second, 16 clients.
- ``service.inprocess.decide`` and ``service.inprocess.recorded``: the in-process baselines.

OPA is not installed on this machine, so the unrecorded rate is compared with the in-process rate.
The aims (issue 11): 1,000 recorded/s on PostgreSQL with 4 workers and 16 clients, within 3x of the
in-process recording rate, p99 under 50 ms at that load.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as ``python benchmarks/service.py`` from a source tree
    sys.path.insert(0, str(ROOT))

import httpx

from governance import Candidate, decide, load_candidate, load_policy
from governance.ledger.entry import prepare_entry
from governance.ledger.signing import SigningKey
from governance.ledger.store import Ledger
from governance.ledger.verify import verify_source

__all__ = ["run"]

AS_OF = dt.date(2026, 1, 1)
POLICY = "illustrative-capability@1.0"
EXAMPLES = ROOT / "examples" / "candidates"
ORG = "Benchmark Lab"
RATE = "decisions/s"
CLIENTS = (1, 4, 16)
TARGET_RECORDED = 1_000.0
TARGET_P99_MS = 50.0


def _documents(count: int, seed: int = 20260101) -> list[dict[str, Any]]:
    """``count`` distinct candidate documents of one organisation, scores redrawn."""
    rng = random.Random(seed)
    bases = [load_candidate(path).document() for path in sorted(EXAMPLES.glob("*.yaml"))]
    out = []
    for index in range(count):
        document = json.loads(json.dumps(bases[index % len(bases)]))
        document["model"]["name"] = f"{document['model']['name']} bench {index}"
        document["model"]["developer"] = ORG
        for domain, value in list(document.get("capabilities", {}).items()):
            if isinstance(value, int | float):
                document["capabilities"][domain] = round(rng.random(), 4)
        out.append(document)
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server(ledger: str, key: Path, workers: int, folder: Path) -> Iterator[tuple[str, int]]:
    """Run `governance serve` on a free port; yield its URL and process id; stop it with SIGTERM."""
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")}
    environment["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "governance", "serve", "--ledger", ledger, "--key", str(key)]
    command += ["--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, cwd=folder, env=environment, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"governance serve did not start: {process.stderr.read() if process.stderr else ''}")
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


async def _load(base: str, token: str, documents: list[dict[str, Any]], clients: int, record: bool) -> dict[str, Any]:
    """Send one request per document from ``clients`` keep-alive connections; rate, latency, client CPU.

    The client is lean on purpose (requests encoded before the clock starts, one asyncio loop, raw
    HTTP/1.1 on keep-alive sockets), so that it takes as little as possible of the cores it shares
    with the server; its CPU time is measured and reported.
    """
    host, _, port = base.removeprefix("http://").partition(":")
    head = (
        f"POST /v1/decisions HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\n"
    ).encode("ascii")
    requests = []
    for document in documents:
        body = {"candidate": document, "policies": [POLICY], "as_of": AS_OF.isoformat(), "record": record}
        payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
        requests.append(head + b"Content-Length: %d\r\n\r\n" % len(payload) + payload)
    pending = iter(requests)
    latencies: list[float] = []
    failures = 0

    async def client() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for request in pending:
                started = time.perf_counter()
                writer.write(request)
                header = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in header.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                failures += header[9:12] != b"200"
        finally:
            writer.close()

    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    latencies.sort()
    return {
        "rate": len(documents) / elapsed,
        "p50": 1000 * statistics.median(latencies),
        "p99": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "failures": failures,
        "client_cpu_ms": 1000 * cpu / len(documents),
        "elapsed": elapsed,
    }


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` and its live children, from /proc (0 where unreadable)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _in_process(count: int) -> list[dict[str, Any]]:
    """Deciding, and deciding plus recording in group commits of 16, in this process."""
    policy = load_policy(POLICY)
    candidates = [Candidate.model_validate(d) for d in _documents(count, seed=7)]
    started = time.perf_counter()
    decisions = [decide(c, policy, as_of=AS_OF) for c in candidates]
    decide_rate = count / (time.perf_counter() - started)
    key = SigningKey.generate("bench")
    with tempfile.TemporaryDirectory(prefix="governance-bench-") as folder:
        ledger = Ledger.open(Path(folder) / "ledger.sqlite", create=True)
        started = time.perf_counter()
        for start in range(0, count, 16):
            chunk = range(start, min(count, start + 16))
            entries = [
                prepare_entry(candidates[i], policy, decide(candidates[i], policy, as_of=AS_OF), actor="bench")
                for i in chunk
            ]
            ledger.append_many(entries, key)
        recorded_rate = count / (time.perf_counter() - started)
        ledger.close()
    assert len(decisions) == count
    return [
        {"name": "service.inprocess.decide", "value": decide_rate, "unit": RATE, "note": "decide() alone"},
        {
            "name": "service.inprocess.recorded",
            "value": recorded_rate,
            "unit": RATE,
            "note": "decide + prepare + append_many in groups of 16, SQLite",
        },
    ]


def _backend(name: str, ledger: str, workers: int, count: int, inprocess: dict[str, float]) -> list[dict[str, Any]]:
    from governance.service.apikeys import KeyStore

    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="governance-bench-") as folder:
        key = Path(folder) / "ledger.key"
        SigningKey.generate("bench-service").save(key)
        with Ledger.open(ledger, create=True) as opened:
            store = KeyStore(opened)
            store.ensure_tables()
            token = store.create("lab", "bench", ORG).token
        recorded = 0
        with _server(ledger, key, workers, Path(folder)) as (base, pid):
            asyncio.run(_load(base, token, _documents(16, seed=1), 4, True))  # warm up every worker
            recorded += 16
            for clients in CLIENTS:
                server_cpu = _cpu_seconds(pid)
                result = asyncio.run(_load(base, token, _documents(count, seed=clients), clients, True))
                server_ms = 1000 * (_cpu_seconds(pid) - server_cpu) / count
                recorded += count
                stem = f"service.{name}.recorded.c{clients}"
                figure: dict[str, Any] = {"name": stem, "value": result["rate"], "unit": RATE}
                figure["note"] = (
                    f"{workers} worker(s), {clients} client(s), {result['failures']} failed; CPU per request: "
                    f"server {server_ms:.2f} ms, client {result['client_cpu_ms']:.2f} ms "
                    f"({100 * result['client_cpu_ms'] / max(1e-9, server_ms + result['client_cpu_ms']):.0f}% client)"
                )
                figures.append({"name": f"{stem}.server_cpu_per_request", "value": server_ms, "unit": "ms"})
                figures.append(
                    {"name": f"{stem}.client_cpu_per_request", "value": result["client_cpu_ms"], "unit": "ms"}
                )
                figure["baseline"] = inprocess["recorded"]
                figure["ratio"] = inprocess["recorded"] / result["rate"]
                if name == "postgresql" and clients == 16:
                    figure["target"] = TARGET_RECORDED
                    figure["met"] = result["rate"] >= TARGET_RECORDED
                figures.append(figure)
                p99: dict[str, Any] = {"name": f"{stem}.latency_p99", "value": result["p99"], "unit": "ms"}
                if name == "postgresql" and clients == 16:
                    p99["target"] = TARGET_P99_MS
                    p99["met"] = result["p99"] <= TARGET_P99_MS
                figures.append({"name": f"{stem}.latency_p50", "value": result["p50"], "unit": "ms"})
                figures.append(p99)
            result = asyncio.run(_load(base, token, _documents(count, seed=99), 16, False))
            figures.append(
                {
                    "name": f"service.{name}.unrecorded.c16",
                    "value": result["rate"],
                    "unit": RATE,
                    "baseline": inprocess["decide"],
                    "ratio": inprocess["decide"] / result["rate"],
                    "note": f"{workers} worker(s); OPA is not installed here: baseline is decide() in process",
                }
            )
        with Ledger.open(ledger) as opened, opened.read() as reader:
            report = verify_source(reader)
            entries = reader.entry_count()
            checkpoints = len(reader.checkpoints())
        if not report.ok or entries != recorded:
            raise RuntimeError(
                f"{name}: the ledger holds {entries} entries for {recorded} recorded, verify: {report.ok}"
            )
        figures.append(
            {
                "name": f"service.{name}.entries_per_checkpoint",
                "value": entries / checkpoints,
                "unit": "entries",
                "note": f"{entries} entries in {checkpoints} checkpoints (group commit); the ledger verifies",
            }
        )
    return figures


@contextmanager
def _postgres_schema() -> Iterator[str | None]:
    url = os.environ.get("GOVERNANCE_BENCH_POSTGRES_URL") or os.environ.get("GOVERNANCE_TEST_POSTGRES_URL")
    if not url:
        yield None
        return
    import psycopg
    from sqlalchemy.engine import make_url

    schema = f"bench_service_{uuid.uuid4().hex[:10]}"
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def run(quick: bool = False, *, count: int | None = None, postgres: bool = True) -> list[dict[str, Any]]:
    """Every figure of this module (``quick``: fewer requests; ``postgres``: also on PostgreSQL when configured)."""
    requests = count or (200 if quick else 2_000)
    figures = _in_process(requests)
    inprocess = {
        "decide": figures[0]["value"],
        "recorded": figures[1]["value"],
    }
    with tempfile.TemporaryDirectory(prefix="governance-bench-") as folder:
        figures += _backend("sqlite", str(Path(folder) / "ledger.sqlite"), 1, requests, inprocess)
    with _postgres_schema() as url:
        if url is not None and postgres:
            figures += _backend("postgresql", url, 4, requests, inprocess)
    return figures


def main() -> None:
    """Command line: print the figures, optionally write them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="200 requests per load instead of 2,000")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    figures = run(args.quick)
    for figure in figures:
        extra = ""
        if "ratio" in figure:
            extra = f"  ({figure['ratio']:.2f}x below the baseline)"
        if "met" in figure:
            extra += f"  target {figure['target']:,}: {'met' if figure['met'] else 'NOT met'}"
        print(f"{figure['name']:<50} {figure['value']:>10,.1f} {figure['unit']}{extra}")
        if "CPU per request" in figure.get("note", ""):
            print(f"    {figure['note']}")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
