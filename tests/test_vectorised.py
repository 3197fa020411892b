"""The vectorised evaluator: same answers as decide(), over arrays."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from governance import InputError, Tier, compile_policy, decide, evaluate_population, load_policy
from governance.vectorised import VectorisedPolicy
from tests.helpers import COMPUTE_RULES, make_candidate, make_policy

AS_OF = dt.date(2026, 11, 28)
POLICY = make_policy(COMPUTE_RULES, id="vector-tests")


class TestArrays:
    """Array evaluation follows the specification exactly."""

    def test_boundaries(self) -> None:
        """At, below and above each threshold, and unknown, as in the single-candidate path."""
        flops = [1e25, math.nextafter(1e25, 0), 1e26, math.nextafter(1e26, math.inf), math.inf]
        arrays = {"training_flop": np.array(flops), "capability.bio": np.zeros(len(flops))}
        result = VectorisedPolicy(compile_policy(POLICY)).evaluate(arrays)
        assert [result.tier(i) for i in range(len(flops))] == [
            Tier.STAGED,
            Tier.OPEN,
            Tier.STAGED,
            Tier.RESTRICTED,
            Tier.RESTRICTED,
        ]
        assert result.fired_rules(3) == ["over-1e25", "over-1e26"]

    def test_counts(self) -> None:
        """Counts per tier add up to the population."""
        arrays = {"training_flop": np.array([1e20, 1e25, 2e26, 1e20]), "capability.bio": np.array([0.0, 0.0, 0.0, 0.9])}
        counts = VectorisedPolicy(compile_policy(POLICY)).evaluate(arrays).counts()
        assert counts == {Tier.OPEN: 1, Tier.STAGED: 1, Tier.RESTRICTED: 2}

    def test_missing_array(self) -> None:
        """A feature the policy reads must be supplied."""
        with pytest.raises(InputError, match="capability.bio"):
            VectorisedPolicy(compile_policy(POLICY)).evaluate({"training_flop": np.array([1.0])})

    def test_length_mismatch(self) -> None:
        """All arrays have one length."""
        with pytest.raises(InputError, match="length"):
            VectorisedPolicy(compile_policy(POLICY)).evaluate(
                {"training_flop": np.array([1.0]), "capability.bio": np.array([0.1, 0.2])}
            )

    def test_missing_evidence_floor(self) -> None:
        """A required domain's gap raises the tier to the policy's floor."""
        policy = make_policy(
            [
                {
                    "id": "c",
                    "tier": "restricted",
                    "when": {"all": [{"feature": "capability.cyber", "op": ">=", "value": 0.9}]},
                }
            ],
            id="vector-floor",
            evidence={"required_domains": ["bio"], "if_missing_tier": "staged"},
        )
        vectorised = VectorisedPolicy(compile_policy(policy))
        assert set(vectorised.features) == {"capability.cyber", "evidence_gap.bio"}
        result = vectorised.evaluate(
            {"capability.cyber": np.array([0.1, 0.1]), "evidence_gap.bio": np.array([0.0, 1.0])}
        )
        assert [result.tier(0), result.tier(1)] == [Tier.OPEN, Tier.STAGED]


class TestPopulation:
    """evaluate_population equals decide() on every candidate."""

    def test_matches_decide_on_examples(self) -> None:
        """The shipped policy over varied candidates gives the same tier and rules as decide()."""
        policy = load_policy("illustrative-capability@1.0")
        candidates = [
            make_candidate(flop, capabilities=caps, form=form)
            for flop in (None, 1e22, 9.99e24, 1e25, 3e25)
            for caps in (
                {},
                {"bio": 0.2, "chem": 0.1, "nuclear": 0.0, "cyber": 0.1, "autonomy": 0.0, "ai_rnd": 0.1},
                {"bio": 0.85},
            )
            for form in ("api", "open_weights")
        ]
        result = evaluate_population(candidates, policy, as_of=AS_OF)
        for index, candidate in enumerate(candidates):
            decision = decide(candidate, policy, as_of=AS_OF)
            assert decision.tier is result.tier(index)
            assert sorted(r.rule for r in decision.reasons) == sorted(result.fired_rules(index))
