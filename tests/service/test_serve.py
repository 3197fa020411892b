"""`governance serve` as a user runs it: a real process, decisions over HTTP, tiles, a clean shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from governance.ledger.signing import SignedCheckpoint, SigningKey, VerifierKey
from governance.service.tiles import TilePath, root_from_tiles, tile_path
from tests.service.conftest import AS_OF, candidate_document, invoke, start_server, stop_server


def _verify_through_tiles(base: str, key: VerifierKey) -> SignedCheckpoint:
    signed = SignedCheckpoint.parse_note(httpx.get(base + "/checkpoint").text)
    assert signed.verify(key)

    def fetch(level: int, tile: TilePath) -> bytes:
        return httpx.get(f"{base}/{tile_path(level, tile)}").content

    assert root_from_tiles(signed.checkpoint.tree_size, fetch) == signed.checkpoint.root_hash
    return signed


def _verify_from_another_directory(base: str, key: VerifierKey, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`governance ledger verify --ledger URL` with only the public key, then with an auditor's token."""
    folder.mkdir()
    public = folder / "ledger.pub"
    public.write_text(key.text() + "\n")
    kept = folder / "kept.checkpoint"
    kept.write_text(httpx.get(base + "/checkpoint").text)
    monkeypatch.chdir(folder)
    monkeypatch.delenv("GOVERNANCE_TOKEN", raising=False)
    outsider = invoke("ledger", "verify", "--ledger", base, "--pubkey", str(public), "--checkpoint", str(kept))
    assert outsider.exit_code == 0, outsider.stderr
    assert "matches the tree rebuilt from" in outsider.stdout and "extends the checkpoint you kept" in outsider.stdout
    assert invoke("ledger", "verify", "--ledger", base).exit_code == 2  # no --pubkey: nothing to trust
    token = invoke(
        "keys",
        "create",
        "--role",
        "auditor",
        "--name",
        "audit",
        "--ledger",
        str(folder.parent / "governance-ledger.sqlite"),
    ).stdout.strip()
    monkeypatch.setenv("GOVERNANCE_TOKEN", token)
    auditor = invoke("ledger", "verify", "--ledger", base, "--pubkey", str(public), "--format", "json")
    assert auditor.exit_code == 0, auditor.stderr
    document = json.loads(auditor.stdout)
    assert (document["entries_checked"], document["replayed"]) == (2, 2)


def test_serve_starts_with_no_set_up_records_and_shuts_down_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    process, base = start_server([], cwd=tmp_path)
    try:
        token = invoke(
            "keys", "create", "--role", "lab", "--name", "ci", "--org", "Allen Institute for AI",
            "--ledger", str(tmp_path / "governance-ledger.sqlite"),
        ).stdout.strip()  # fmt: skip
        body = {"candidate": candidate_document(), "as_of": AS_OF, "record": True}
        response = httpx.post(base + "/v1/decisions", json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        assert [d["recorded"]["seq"] for d in response.json()["decisions"]] == [0, 1]
        key = SigningKey.load(tmp_path / "governance-ledger.key").verifier()
        assert _verify_through_tiles(base, key).checkpoint.tree_size == 2
        assert httpx.get(base + "/v1/entries").status_code == 401
        _verify_from_another_directory(base, key, tmp_path / "elsewhere", monkeypatch)
    finally:
        err = stop_server(process)
    assert "serving ledger" in err and "checkpoint public key" in err
    assert invoke("ledger", "verify", "--ledger", str(tmp_path / "governance-ledger.sqlite")).exit_code == 0


_CLIENT = """
import json, sys, httpx
base, token, process, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
body = json.loads(sys.argv[5])
seqs = []
with httpx.Client(base_url=base, headers={"Authorization": "Bearer " + token}, timeout=120) as client:
    for index in range(count):
        body["candidate"]["model"]["version"] = f"{process}.{index}"
        response = client.post("/v1/decisions", json=body)
        if response.status_code != 200:
            sys.exit(f"{response.status_code} {response.text}")
        seqs.append(response.json()["decisions"][0]["recorded"]["seq"])
print(json.dumps(seqs))
"""


@pytest.mark.postgres
def test_eight_processes_appending_through_the_api_give_one_linear_log_that_verifies_remotely(
    pg_schema: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight client processes record at once through a four-worker service on PostgreSQL.

    Every answer names a distinct sequence number, together they are 0..N-1, and an outsider with only
    the URL and the public key verifies the log through its tiles with `audit verify URL`; an auditor's
    token adds every entry and its replay.
    """
    url, schema = pg_schema
    key_file = tmp_path / "ledger.key"
    signing = SigningKey.generate("service-test")
    signing.save(key_file)
    ledger = f"{url}?options=-csearch_path%3D{schema}"
    token = invoke(
        "keys", "create", "--role", "lab", "--name", "ci", "--org", "Allen Institute for AI", "--ledger", ledger
    ).stdout.strip()  # fmt: skip
    auditor = invoke("keys", "create", "--role", "auditor", "--name", "audit", "--ledger", ledger).stdout.strip()
    process, base = start_server(["--ledger", ledger, "--key", str(key_file), "--workers", "4"], cwd=tmp_path)
    processes, each = 8, 12
    try:
        body = {"candidate": candidate_document(), "policies": ["illustrative-capability@1.0"], "record": True}
        clients = [
            subprocess.Popen(
                [sys.executable, "-c", _CLIENT, base, token, str(number), str(each), json.dumps(body)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for number in range(processes)
        ]
        outputs = [client.communicate(timeout=240) for client in clients]
        assert all(client.returncode == 0 for client in clients), [err for _, err in outputs if err][:1]
        seqs = sorted(seq for out, _ in outputs for seq in json.loads(out))
        assert seqs == list(range(processes * each))
        total = processes * each
        for _ in range(6):  # whichever worker answers, it counts every worker's requests
            text = httpx.get(base + "/metrics", headers={"Authorization": f"Bearer {auditor}"}).text
            posts = 'governance_http_requests_total{method="POST",route="/v1/decisions",status="200"}'
            assert f"{posts} {total}.0" in text
            assert f"governance_ledger_appended_entries_total {total}.0" in text

        folder = tmp_path / "auditor"
        folder.mkdir()
        public = folder / "ledger.pub"
        public.write_text(signing.verifier().text() + "\n")
        monkeypatch.chdir(folder)
        monkeypatch.delenv("GOVERNANCE_TOKEN", raising=False)
        outsider = invoke("audit", "verify", base, "--pubkey", str(public), "--format", "json")
        assert outsider.exit_code == 0, outsider.stderr
        report = json.loads(outsider.stdout)
        assert (report["tree_size"], report["entries_checked"], report["replayed"]) == (processes * each, 0, None)
        assert report["tiles_fetched"] >= 1
        monkeypatch.setenv("GOVERNANCE_TOKEN", auditor)
        audited = invoke("audit", "verify", base, "--pubkey", str(public), "--format", "json")
        assert audited.exit_code == 0, audited.stderr
        report = json.loads(audited.stdout)
        assert report["entries_checked"] == report["replayed"] == processes * each
        other = invoke("audit", "verify", base, "--pubkey", str(public), "--origin", "example.org/other")
        assert other.exit_code == 6 and "not example.org/other" in other.stderr
    finally:
        stop_server(process)
    assert invoke("ledger", "verify", "--ledger", ledger).exit_code == 0


def _children(pid: int) -> list[int]:
    """The child processes of ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return sorted(out)


@pytest.mark.postgres
def test_a_worker_killed_mid_traffic_loses_and_duplicates_nothing(pg_schema: tuple[str, str], tmp_path: Path) -> None:
    url, schema = pg_schema
    key_file = tmp_path / "ledger.key"
    signing = SigningKey.generate("service-test")
    signing.save(key_file)
    ledger = f"{url}?options=-csearch_path%3D{schema}"
    token = invoke(
        "keys", "create", "--role", "lab", "--name", "ci", "--org", "Allen Institute for AI", "--ledger", ledger
    ).stdout.strip()  # fmt: skip
    process, base = start_server(["--ledger", ledger, "--key", str(key_file), "--workers", "4"], cwd=tmp_path)
    body = {"candidate": candidate_document(), "policies": ["illustrative-capability@1.0"], "record": True}

    def post(index: int) -> int | None:
        if index == 30:  # a third of the way in, one worker dies without warning
            os.kill(_children(process.pid)[0], signal.SIGKILL)
        try:
            response = client.post("/v1/decisions", json=body)
        except httpx.HTTPError:
            return None
        return int(response.json()["decisions"][0]["recorded"]["seq"]) if response.status_code == 200 else None

    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client, ThreadPoolExecutor(8) as pool:
            seqs = [seq for seq in pool.map(post, range(90)) if seq is not None]
        assert len(seqs) == len(set(seqs)) and len(seqs) >= 60
        size = _verify_through_tiles(base, signing.verifier()).checkpoint.tree_size
        assert set(seqs) <= set(range(size)) and size <= 90  # an entry is lost only with its answer
    finally:
        stop_server(process)
    assert invoke("ledger", "verify", "--ledger", ledger).exit_code == 0
