"""Processes appending at once make one linear history; one killed mid-append leaves a ledger that verifies."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from governance.ledger.store import Ledger
from governance.ledger.verify import verify_source
from tests.ledger.builders import KEY

APPENDER = Path(__file__).with_name("appender.py")


def _start(where: str, schema: str, key_file: Path, label: str, count: int, batch: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(APPENDER), where, schema, str(key_file), label, str(count), str(batch)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check(where: str, schema: str | None, expected_ids: set[str] | None = None) -> int:
    with Ledger.open(where, schema=schema) as ledger, ledger.read() as reader:
        report = verify_source(reader, trusted_keys=[KEY.verifier()])
        assert report.ok, report.fault
        ids = [row.decision_id for row in reader.entries()]
        seqs = [row.seq for row in reader.entries()]
    assert seqs == list(range(len(seqs)))
    assert len(set(ids)) == len(ids)
    if expected_ids is not None:
        assert set(ids) == expected_ids
    return len(ids)


def _concurrent(where: str, schema: str, key_file: Path) -> None:
    plan = [("single-a", 25, 1), ("single-b", 25, 1), ("single-c", 25, 1), ("batch-d", 40, 8)]
    processes = [_start(where, schema, key_file, label, count, batch) for label, count, batch in plan]
    for process in processes:
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    expected = {f"{label}-{i}" for label, count, _batch in plan for i in range(count)}
    assert _check(where, schema or None, expected) == 115


def _crash(where: str, schema: str, key_file: Path) -> None:
    rng = random.Random(20261128)
    total_seen = 0
    for round_number, batch in enumerate((1, 5, 1, 20)):
        process = _start(where, schema, key_file, f"crash{round_number}", 0, batch)
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("appended"), process.stderr.read() if process.stderr else ""
        time.sleep(rng.uniform(0.05, 0.4))
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=60)
        assert process.returncode == -signal.SIGKILL
        count = _check(where, schema or None)
        assert count > total_seen
        total_seen = count


@pytest.mark.slow
class TestSQLite:
    """On one SQLite file."""

    def test_concurrent_appenders(self, tmp_path: Path) -> None:
        """Four processes (three single, one batched) create and fill one ledger: 115 entries, no gap."""
        key_file = tmp_path / "k.key"
        KEY.save(key_file)
        _concurrent(str(tmp_path / "shared.sqlite"), "", key_file)

    def test_killed_appenders(self, tmp_path: Path) -> None:
        """kill -9 at random moments during single and batched appends; each time the ledger verifies."""
        key_file = tmp_path / "k.key"
        KEY.save(key_file)
        _crash(str(tmp_path / "crash.sqlite"), "", key_file)


@pytest.mark.slow
@pytest.mark.postgres
class TestPostgres:
    """On one PostgreSQL schema."""

    def test_concurrent_appenders(self, pg_schema: tuple[str, str], tmp_path: Path) -> None:
        """The same four processes against PostgreSQL (they also race to create the tables)."""
        url, schema = pg_schema
        key_file = tmp_path / "k.key"
        KEY.save(key_file)
        _concurrent(url, schema, key_file)

    def test_killed_appenders(self, pg_schema: tuple[str, str], tmp_path: Path) -> None:
        """kill -9 during appends: the server rolls the open transaction back; the ledger verifies."""
        url, schema = pg_schema
        key_file = tmp_path / "k.key"
        KEY.save(key_file)
        _crash(url, schema, key_file)
