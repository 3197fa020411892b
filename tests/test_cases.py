"""Run every data-driven decision case under tests/cases/ (format: tests/cases/README.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from governance import Candidate, GovernanceError, decide, load_candidate, load_policy

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"
SHARED_CANDIDATES = CASES / "candidates"
KEYS = {
    "note",
    "source",
    "candidate",
    "policy",
    "as_of",
    "want_tier",
    "want_labels",
    "want_rules",
    "want_not_ruled_out",
    "want_in_force",
    "want_note",
    "want_policy",
    "want_error_code",
}


def _collect() -> list[Any]:
    params: list[Any] = []
    for path in sorted(CASES.rglob("*.yaml")):
        if SHARED_CANDIDATES in path.parents:
            continue
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases = loaded if isinstance(loaded, list) else [loaded]
        for index, case in enumerate(cases):
            name = f"{path.relative_to(CASES)}#{index}"
            params.append(pytest.param(case, id=name))
    return params


def _candidate(spec: Any, tmp_path: Path) -> Candidate:
    if isinstance(spec, str):
        return load_candidate(ROOT / spec)
    file = tmp_path / "candidate.json"
    file.write_text(json.dumps(spec, default=str), encoding="utf-8")
    return load_candidate(file)


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


CASE_PARAMS = _collect()


class TestCaseFiles:
    """Every case file is well formed."""

    def test_cases_exist(self) -> None:
        """The runner found cases (an empty glob would make every case test vacuous)."""
        assert len(CASE_PARAMS) >= 50

    @pytest.mark.parametrize("case", CASE_PARAMS)
    def test_case_keys(self, case: Any) -> None:
        """A case is a mapping with known keys, a note, and either an expected tier or an error code."""
        assert isinstance(case, dict)
        assert set(case) <= KEYS, f"unknown keys: {sorted(set(case) - KEYS)}"
        assert {"note", "candidate", "policy", "as_of"} <= set(case)
        assert ("want_tier" in case) != ("want_error_code" in case)


class TestDecisionCases:
    """Each case decides as it says."""

    @pytest.mark.parametrize("case", CASE_PARAMS)
    def test_case(self, case: dict[str, Any], tmp_path: Path) -> None:
        """The decision has the expected tier, labels, rules, in-force flag and policy version."""
        as_of = _as_date(case["as_of"])
        if "want_error_code" in case:
            with pytest.raises(GovernanceError) as caught:
                decide(_candidate(case["candidate"], tmp_path), load_policy(case["policy"], as_of=as_of), as_of=as_of)
            assert caught.value.exit_code == case["want_error_code"]
            return
        candidate = _candidate(case["candidate"], tmp_path)
        policy = load_policy(case["policy"], as_of=as_of)
        decision = decide(candidate, policy, as_of=as_of)
        fired = {reason.rule for reason in decision.reasons}
        assert decision.tier.value == case["want_tier"], case["note"]
        if "want_labels" in case:
            assert set(decision.labels) == set(case["want_labels"]), case["note"]
        if "want_rules" in case:
            assert fired == set(case["want_rules"]), case["note"]
        if "want_not_ruled_out" in case:
            waiting = {entry.rule for entry in decision.not_ruled_out or []}
            assert waiting == set(case["want_not_ruled_out"]), case["note"]
        if "want_in_force" in case:
            assert decision.in_force is case["want_in_force"], case["note"]
            if not case["want_in_force"]:
                assert decision.in_force_note is not None, case["note"]
        if "want_note" in case:
            assert case["want_note"] in (decision.in_force_note or ""), case["note"]
        elif decision.in_force:
            assert decision.in_force_note is None, case["note"]
        if "want_policy" in case:
            assert policy.ref == case["want_policy"], case["note"]
        reference = decide(candidate, policy, as_of=as_of, evaluator="python")
        assert reference.document() == decision.document()
