"""The release gate: which forms each tier allows, and what blocks a release and would unblock it."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from governance import ReleaseForm, Tier, decide
from governance.gate import ALLOWED_FORMS, EVIDENCE_FLOOR, GateResult, allows, gate_decisions
from tests.helpers import COMPUTE_RULES, make_candidate, make_policy

AS_OF = dt.date(2026, 11, 28)
POLICY = make_policy(COMPUTE_RULES)


class TestAllowedForms:
    """The tier-to-form table."""

    def test_table(self) -> None:
        """open allows everything; staged no open weights at once; restricted only closed and hosted."""
        assert ALLOWED_FORMS[Tier.OPEN] == set(ReleaseForm)
        assert ALLOWED_FORMS[Tier.STAGED] == {ReleaseForm.CLOSED, ReleaseForm.HOSTED, ReleaseForm.API}
        assert ALLOWED_FORMS[Tier.RESTRICTED] == {ReleaseForm.CLOSED, ReleaseForm.HOSTED}

    @pytest.mark.parametrize(("looser", "stricter"), list(itertools.combinations(list(Tier), 2)))
    def test_stricter_tier_allows_no_more(self, looser: Tier, stricter: Tier) -> None:
        """A stricter tier never allows a form a looser one refuses."""
        assert ALLOWED_FORMS[stricter] <= ALLOWED_FORMS[looser]

    @pytest.mark.parametrize("tier", list(Tier))
    def test_downward_closed(self, tier: Tier) -> None:
        """When a form is allowed, every less open form is too."""
        for form, less_open in itertools.product(ReleaseForm, ReleaseForm):
            if allows(tier, form) and less_open.openness < form.openness:
                assert allows(tier, less_open)


class TestGate:
    """gate_decisions on decisions made by the engine."""

    def _gate(self, flop: float | None, form: str) -> GateResult:
        candidate = make_candidate(flop, form=form, capabilities={"bio": 0.1})
        return gate_decisions(candidate, [decide(candidate, POLICY, as_of=AS_OF)], [POLICY])

    def test_allowed(self) -> None:
        """A staged decision allows an API release."""
        result = self._gate(3e25, "api")
        assert result.passed

    def test_blocked_by_a_finding(self) -> None:
        """Open weights under a staged decision: blocked by the compute rule, with its threshold and factor."""
        result = self._gate(3e25, "open_weights")
        assert not result.passed
        (blocker,) = result.blockers
        assert blocker.deciding_rule == "over-1e25"
        assert blocker.rules[0].kind == "fired"
        line = blocker.line()
        assert line.startswith("BLOCKED test-policy@1.0: staged does not allow open_weights; decided by over-1e25")
        assert "training_flop below 1e+25 (now 3e+25, 3x)" in line
        assert "or ask for closed, hosted or api (what staged allows)" in line

    def test_unknown_compute_is_not_ruled_out(self) -> None:
        """Unknown compute fires both compute rules, but as not ruled out: the fix is evidence, not a margin."""
        result = self._gate(None, "api")
        (blocker,) = result.blockers
        assert blocker.decision.tier is Tier.RESTRICTED
        assert blocker.deciding_rule == "over-1e26"
        assert [r.kind for r in blocker.rules] == ["not_ruled_out"]
        line = blocker.line()
        # Decision format 1 shows the rule's atom on the unknown input; format 2 lists the rule under
        # not_ruled_out with the evidence that settles it. Either way the line says what to supply.
        assert (
            "evidence shows training_flop at or below 1e+26 (now unknown" in line
            or "over-1e26 is not ruled out: supply the training compute" in line
        )

    def test_reads_not_ruled_out_entries(self) -> None:
        """A decision listing not_ruled_out (decision format 2) is gated on its settle text."""
        candidate = make_candidate(3e25, form="open_weights", capabilities={"bio": 0.1})
        decision = decide(candidate, POLICY, as_of=AS_OF)
        entry = {"rule": "bio-late", "tier": "restricted", "waiting_on": ["capability.bio"], "settle": "supply X"}
        decision._document = {**decision.document(), "not_ruled_out": [entry]}
        (blocker,) = gate_decisions(candidate, [decision], [POLICY]).blockers
        assert [r.rule for r in blocker.rules] == ["bio-late", "over-1e25"]
        assert "bio-late is not ruled out: supply X" in blocker.line()

    def test_evidence_floor(self) -> None:
        """A missing required domain blocks through the policy's floor, naming the evidence to supply."""
        policy = make_policy(COMPUTE_RULES, evidence={"required_domains": ["cyber"], "if_missing_tier": "restricted"})
        candidate = make_candidate(1e24, form="api", capabilities={"bio": 0.1})
        (blocker,) = gate_decisions(candidate, [decide(candidate, policy, as_of=AS_OF)], [policy]).blockers
        assert blocker.deciding_rule == EVIDENCE_FLOOR
        assert "you supply evidence for capability.cyber" in blocker.line()

    def test_not_in_force_does_not_gate(self) -> None:
        """A policy not in force on the date is reported and never blocks."""
        future = make_policy(COMPUTE_RULES, effective={"from": "2030-01-01"})
        candidate = make_candidate(3e26, form="open_weights")
        result = gate_decisions(candidate, [decide(candidate, future, as_of=AS_OF)], [future])
        assert result.passed
        assert [d.policy.id for d in result.not_gating] == ["test-policy"]

    def test_any_condition_needs_every_input_cleared(self) -> None:
        """A disjunction clears only when every input that holds falls below its threshold."""
        rule = {
            "id": "either",
            "tier": "restricted",
            "when": {
                "any": [
                    {"feature": "capability.bio", "op": ">=", "value": 0.5},
                    {"feature": "capability.chem", "op": ">=", "value": 0.5},
                ]
            },
        }
        policy = make_policy([rule])
        candidate = make_candidate(1e24, form="api", capabilities={"bio": 0.6, "chem": 0.7})
        (blocker,) = gate_decisions(candidate, [decide(candidate, policy, as_of=AS_OF)], [policy]).blockers
        (clears,) = blocker.rules[0].clears_when
        assert "capability.bio below 0.5 (now 0.6, margin +0.1) and capability.chem below 0.5" in clears
