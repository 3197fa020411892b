"""A ledger and an audit bundle recorded by the engine before decision schema 2 still verify and replay.

``tests/ledger/data/schema1-*`` were written by the engine at commit 1eb70b0 (decision schema 1, ledger
schema 2): twelve decisions, among them GPT-4 under Preparedness v1 with no scores, which schema 1
labelled ``post_mitigation_critical``. Replay decides each entry again under the semantics it was
recorded with and must reproduce it byte for byte; deciding the same candidate today gives schema 2.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from governance import Candidate, decide
from governance.policy import Policy
from tests.helpers import invoke_main

DATA = Path(__file__).parent / "data"


def _unpack(name: str, folder: Path) -> Path:
    target = folder / name.removesuffix(".gz")
    with gzip.open(DATA / name, "rb") as packed, target.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return target


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return _unpack("schema1-ledger.sqlite.gz", tmp_path)


def test_ledger_verifies_with_its_public_key(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = invoke_main(
        "ledger", "verify", "--ledger", str(ledger), "--pubkey", str(DATA / "schema1.pub"), capsys=capsys
    )
    assert result.returncode == 0, result.stderr


def test_ledger_replays_byte_for_byte(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = invoke_main("ledger", "replay", "--ledger", str(ledger), "--format", "json", capsys=capsys)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["entries"] == report["reproduced"] == 12


def test_bundle_verifies_and_replays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = _unpack("schema1-bundle.jsonl.gz", tmp_path)
    result = invoke_main("audit", "verify", str(bundle), "--pubkey", str(DATA / "schema1.pub"), capsys=capsys)
    assert result.returncode == 0, result.stderr
    result = invoke_main("audit", "replay", str(bundle), capsys=capsys)
    assert result.returncode == 0, result.stderr


def test_recorded_semantics_are_kept(ledger: Path) -> None:
    """The stored GPT-4 decision is schema 1 (a finding from no evidence); today's decision is schema 2."""
    with sqlite3.connect(ledger) as conn:
        rows = conn.execute("SELECT candidate, decision FROM ledger_decisions ORDER BY seq").fetchall()
        policies = dict(conn.execute("SELECT digest, document FROM ledger_policies").fetchall())
    candidate_json, decision_json = rows[0]
    recorded = json.loads(decision_json)
    assert recorded["schema_version"] == 1 and recorded["policy"]["id"] == "openai-preparedness"
    assert "post_mitigation_critical" in recorded["labels"]
    policy = Policy.model_validate(json.loads(policies[recorded["policy"]["digest"]]))
    candidate = Candidate.model_validate(json.loads(candidate_json))
    today = decide(candidate, policy, as_of=dt.date.fromisoformat(recorded["as_of"]))
    assert today.schema_version == 2 and today.tier.value == recorded["tier"]
    assert "post_mitigation_critical" not in today.labels
    again = decide(candidate, policy, as_of=dt.date.fromisoformat(recorded["as_of"]), schema=1)
    assert again.canonical_json() == (decision_json if isinstance(decision_json, bytes) else decision_json.encode())
