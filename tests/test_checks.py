"""Static policy checks: every problem found, located, and a sound policy passes."""

from __future__ import annotations

from typing import Any

import pytest

from governance import check_policy, load_policy
from tests.helpers import COMPUTE_RULES, make_policy


def _atom(feature: str, op: str, value: float) -> dict[str, Any]:
    return {"feature": feature, "op": op, "value": value}


def _messages(rules: list[dict[str, Any]], **extra: Any) -> list[str]:
    return [problem.message for problem in check_policy(make_policy(rules, **extra))]


class TestSoundPolicies:
    """Policies without problems pass."""

    def test_three_rule_policy(self) -> None:
        """The reference three-rule policy has no problem."""
        assert _messages(COMPUTE_RULES) == []

    def test_shipped_illustrative_policy(self) -> None:
        """The shipped illustrative policy passes every check."""
        assert check_policy(load_policy("illustrative-capability@1.0")) == []


class TestMonotonicity:
    """A tier-raising rule may only test lower bounds."""

    def test_upper_bound_refused(self) -> None:
        """'<' in a staged rule makes more risk give a more open tier: refused."""
        rules = [{"id": "r", "tier": "staged", "when": {"all": [_atom("training_flop", "<", 1e25)]}}]
        assert any("upper bound" in m for m in _messages(rules))

    def test_upper_bound_allowed_with_reason(self) -> None:
        """A declared monotonicity exception lets it through."""
        rules = [{"id": "r", "tier": "staged", "when": {"all": [_atom("training_flop", "<", 1e25)]}}]
        assert not any("upper bound" in m for m in _messages(rules, monotonicity_exception="a test of the exception"))

    def test_label_only_rule_may_use_upper_bounds(self) -> None:
        """Rules that leave the tier open may test upper bounds (exemptions)."""
        rules = [
            {"id": "r", "tier": "open", "labels": ["small"], "when": {"all": [_atom("training_flop", "<=", 1e25)]}}
        ]
        assert _messages(rules) == []


class TestReferences:
    """Every name a rule uses must exist."""

    def test_unknown_feature(self) -> None:
        """A misspelt feature is reported."""
        rules = [{"id": "r", "tier": "staged", "when": {"all": [_atom("training_flops", ">=", 1.0)]}}]
        assert any("unknown feature 'training_flops'" in m for m in _messages(rules))

    def test_unknown_domain(self) -> None:
        """A capability in an undeclared domain is unknown; declaring the domain fixes it."""
        rules = [{"id": "r", "tier": "staged", "when": {"all": [_atom("capability.radiology", ">=", 0.5)]}}]
        assert any("unknown feature" in m for m in _messages(rules))
        assert _messages(rules, domains=["radiology"]) == []

    def test_unknown_parameter_source_obligation(self) -> None:
        """Parameters, sources and obligations must be defined."""
        rules = [
            {
                "id": "r",
                "tier": "staged",
                "when": {"all": [{"feature": "training_flop", "op": ">=", "param": "line"}]},
                "obligations": ["nope"],
            }
        ]
        messages = _messages(rules)
        assert any("parameter 'line'" in m for m in messages)
        assert any("unknown obligation 'nope'" in m for m in messages)
        assert any("unknown source 'elsewhere'" in m for m in _messages([{**COMPUTE_RULES[0], "source": "elsewhere"}]))

    def test_staged_needs_plan(self) -> None:
        """A policy that can decide staged must carry a plan template."""
        assert any("no plan template" in m for m in _messages(COMPUTE_RULES, plan=[]))


class TestRegions:
    """Rules that never fire, shadowed rules and conflicting labels are found."""

    def test_never_fires_out_of_range(self) -> None:
        """A capability threshold above 1 can never be met."""
        rules = [{"id": "r", "tier": "staged", "when": {"all": [_atom("capability.bio", ">", 1.0)]}}]
        assert any("can never fire" in m for m in _messages(rules))

    def test_never_fires_contradiction(self) -> None:
        """x >= 5 and x < 3 contradict each other."""
        rules = [
            {
                "id": "r",
                "tier": "open",
                "labels": ["x"],
                "when": {"all": [_atom("training_flop", ">=", 5e25), _atom("training_flop", "<", 3e25)]},
            }
        ]
        assert any("can never fire" in m for m in _messages(rules))

    def test_shadowed_rule(self) -> None:
        """A rule whose conditions imply a more restrictive rule's, adding nothing, is shadowed."""
        rules = [
            {"id": "strict", "tier": "restricted", "when": {"all": [_atom("training_flop", ">=", 1e25)]}},
            {"id": "weak", "tier": "staged", "when": {"all": [_atom("training_flop", ">=", 2e25)]}},
        ]
        assert any("weak is shadowed by rule strict" in m for m in _messages(rules))

    def test_not_shadowed_when_it_adds_a_label(self) -> None:
        """The same conditions with a label of its own are not shadowed."""
        rules = [
            {"id": "strict", "tier": "restricted", "when": {"all": [_atom("training_flop", ">=", 1e25)]}},
            {
                "id": "labelled",
                "tier": "staged",
                "labels": ["frontier"],
                "when": {"all": [_atom("training_flop", ">=", 1e25)]},
            },
        ]
        assert _messages(rules) == []

    @staticmethod
    def _systemic_and_exempt(exempt_up_to: float) -> list[dict[str, Any]]:
        """A systemic-risk rule above 1e25 and an exemption (label only) up to ``exempt_up_to``."""
        risk = {
            "id": "risk",
            "tier": "staged",
            "labels": ["systemic"],
            "when": {"all": [_atom("training_flop", ">", 1e25)]},
        }
        exempt = {
            "id": "exempt",
            "tier": "open",
            "labels": ["exempt"],
            "when": {"all": [_atom("training_flop", "<=", exempt_up_to)]},
        }
        return [risk, exempt]

    def test_conflicting_labels(self) -> None:
        """Two rules that can fire together with declared-conflicting labels are reported."""
        messages = _messages(self._systemic_and_exempt(2e25), label_conflicts=[["systemic", "exempt"]])
        assert any("conflicting labels" in m for m in messages)

    def test_disjoint_labels_do_not_conflict(self) -> None:
        """Exactly complementary regions never fire together."""
        assert _messages(self._systemic_and_exempt(1e25), label_conflicts=[["systemic", "exempt"]]) == []


@pytest.mark.parametrize("field", ["id", "version"])
def test_identity_must_be_well_formed(field: str) -> None:
    """Ids and versions are restricted to safe characters (they name folders and rulesets)."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        make_policy(COMPUTE_RULES, **{field: "bad name/with slash"})


def test_too_complex_condition_reported() -> None:
    """A condition whose normal form explodes is reported, never silently truncated."""
    clauses = [
        {"any": [{"feature": f"capability.{d}", "op": ">=", "value": v} for d in ("bio", "chem", "cyber", "nuclear")]}
        for v in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
    ]
    rules = [{"id": "huge", "tier": "staged", "when": {"all": clauses}}]
    assert any("more than 4096 boxes" in m for m in _messages(rules))
