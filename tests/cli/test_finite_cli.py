"""Regressions for valid candidates that used to crash or print non-JSON from the command line.

Each was found by the widened Hypothesis strategies (tests/test_core.py): ``Infinity`` printed by
``--format json`` and a traceback from ``--record`` for ``training_flop: 1e-300``; exit 4 ("nan cannot
be passed to the rule engine") for an early date with unknown upper compute; an
``OverflowError`` for a decision date centuries after a policy's reference date (a candidate's own
dates are held to 1950 to 2199 by the schema; a decision date may be any).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from governance import discover_policies
from tests.helpers import invoke_main

CASES = {
    "tiny-compute": ({"training_flop": 1e-300}, "2026-12-01"),
    "old-unknown-upper": ({"training_flop": {"lower": 1e24}}, "0001-01-01"),
    "far-future": ({"training_flop": 3e25}, "9999-12-31"),
    "window-ends": ({"training_flop": {"lower": 1e24}, "training_end": "1950-01-01"}, "2199-12-31"),
    "largest": ({"training_flop": 1.7976931348623157e308, "fine_tuning_flop": 1.7976931348623157e308}, "2026-12-01"),
}


def _reject(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


@pytest.mark.parametrize(("compute", "as_of"), CASES.values(), ids=list(CASES))
def test_json_and_record(
    compute: dict[str, object], as_of: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every shipped policy version decides (in force or not); the output is strict JSON; recording works."""
    candidate = tmp_path / "candidate.yaml"
    document = {"model": {"name": "Edge", "developer": "Lab"}, "compute": compute, "release": {"form": "open_weights"}}
    candidate.write_text(yaml.safe_dump(document))
    every = [arg for entry in discover_policies() for arg in ("--policy", entry.policy.ref)]
    result = invoke_main("decide", str(candidate), *every, "--as-of", as_of, "--format", "json", capsys=capsys)
    assert result.returncode == 0, result.stderr
    decisions = json.loads(result.stdout, parse_constant=_reject)
    assert len(decisions) == len(every) // 2 and all(d["schema_version"] == 2 for d in decisions)
    ledger = tmp_path / "ledger.sqlite"
    args = ("decide", str(candidate), "--policy", "illustrative-capability@2.0", "--as-of", as_of)
    for step in ((*args, "--record", "--ledger", str(ledger)), ("ledger", "verify", "--ledger", str(ledger))):
        result = invoke_main(*step, capsys=capsys)
        assert result.returncode == 0, result.stderr
    result = invoke_main("ledger", "replay", "--ledger", str(ledger), capsys=capsys)
    assert result.returncode == 0, result.stderr
