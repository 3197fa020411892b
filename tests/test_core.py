"""The decision core: three-valued evidence, one compiled form behind four evaluators, finite numbers.

The properties here are the invariants of ``docs/concepts.md``: every evaluator gives the same fired
and not-ruled-out rules; a rule that only waits on unknown evidence raises the tier but is not a
finding; and every candidate the schema accepts decides, under every shipped policy, with finite
numbers and canonical JSON that parses back to the same document.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance import Candidate, InputError, PolicyError, decide, discover_policies, load_policy
from governance.compiled import Evaluation, Outcome, compile_policy
from governance.decision import DECISION_SCHEMA_VERSION
from governance.evidence.suites import SuiteCatalogue, shipped_suites
from governance.features import LARGEST, extract_features
from governance.policy import Policy
from governance.regions import RegionEvaluator
from governance.vectorised import VectorisedPolicy
from tests.strategies import any_candidates, any_dates

SHIPPED = [entry.policy for entry in discover_policies()]
SUITES = shipped_suites()


def _no_constant(name: str) -> Any:
    raise AssertionError(f"{name} in canonical JSON")


def _finite(value: Any, path: str = "$") -> None:
    if isinstance(value, float):
        assert math.isfinite(value), path
    elif isinstance(value, dict):
        for key, item in value.items():
            _finite(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _finite(item, f"{path}[{index}]")


class TestEveryValidInputDecides:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(candidate=any_candidates(), day=any_dates())
    def test_decides_with_finite_numbers_and_canonical_json(self, candidate: Candidate, day: dt.date) -> None:
        """Every schema-valid candidate decides under every shipped policy; its bytes parse back to its document."""
        for policy in SHIPPED:
            decision = decide(candidate, policy, as_of=day, suites=SUITES)
            document = decision.document()
            _finite(document)
            # RFC 8785 numbers are IEEE doubles: read them as such (17-digit integers are written exactly).
            parsed = json.loads(decision.canonical_json(), parse_constant=_no_constant, parse_int=float)
            assert parsed == json.loads(json.dumps(document))

    def test_far_future_dates_do_not_overflow(self) -> None:
        """2 ** (months / halving) for a date centuries on is not computed as a float (was OverflowError)."""
        candidate = _candidate(training_flop=3e25)
        decision = decide(candidate, load_policy("illustrative-capability@2.0"), as_of=dt.date(9999, 12, 31))
        adjustment = decision.compute_adjustment
        assert adjustment is not None and adjustment.factor is None
        assert "beyond the range of a double" in (adjustment.factor_note or "")
        assert decision.tier.value == "restricted"

    def test_old_training_end_with_unknown_upper_compute(self) -> None:
        """Unknown compute times a factor that underflows to 0 stays unknown (was inf * 0 = NaN, exit 4)."""
        candidate = _candidate(training_flop={"lower": 1e24})
        decision = decide(candidate, load_policy("illustrative-capability@2.0"), as_of=dt.date(1, 1, 1))
        assert decision.tier.value == "restricted"
        assert "effective_flop" in [w for entry in decision.not_ruled_out or [] for w in entry.waiting_on]

    def test_tiny_compute_gives_no_infinite_ratio(self) -> None:
        """training_flop 1e-300: the ratio to the next threshold is 'unbounded', and the JSON is valid."""
        candidate = _candidate(training_flop=1e-300)
        policy = _policy({"all": [{"feature": "training_flop", "op": ">=", "value": 1e25}]})
        decision = decide(candidate, policy, as_of=dt.date(2026, 1, 1))
        ratios = [n.ratio for n in decision.nearest_thresholds if n.feature == "training_flop"]
        assert ratios == ["unbounded"]
        json.loads(decision.canonical_json(), parse_constant=_no_constant)

    def test_earliest_and_latest_candidate_dates(self) -> None:
        """A training end at either end of the schema's window ages compute with finite numbers."""
        for day in ("1950-01-01", "2199-12-31"):
            candidate = _candidate(training_flop={"lower": 1e24}, training_end=day)
            decision = decide(candidate, load_policy("illustrative-capability@2.0"), as_of=dt.date(2026, 12, 1))
            _finite(decision.document())

    def test_compute_sums_saturate(self) -> None:
        """Training plus fine-tuning compute at the largest double stays finite and known."""
        candidate = _candidate(training_flop=LARGEST, fine_tuning_flop=LARGEST)
        features = extract_features(candidate, load_policy("eu-ai-act"), dt.date(2026, 1, 1))
        assert features.values["training_flop_total"] == LARGEST

    def test_largest_margin_is_unbounded(self) -> None:
        """A margin that no double holds is written in words."""
        policy = _policy({"all": [{"feature": "training_flop", "op": ">=", "value": -1.7976931348623157e308}]})
        decision = decide(_candidate(training_flop=LARGEST), policy, as_of=dt.date(2026, 1, 1))
        assert decision.reasons[0].atoms[0].margin == "unbounded"

    @pytest.mark.parametrize("halving", [0.01, 0.5, 5000.0])
    def test_implausible_halving_time_is_refused(self, halving: float) -> None:
        """halving_months outside 1 to 1,200 is refused when the policy is loaded (was accepted, then overflowed)."""
        document = _policy_document({"all": [{"feature": "effective_flop", "op": ">=", "value": 1e25}]})
        document["parameters"] = {"reference_date": "2024-01-01", "halving_months": halving}
        with pytest.raises(ValueError, match="halving_months"):
            Policy.model_validate(document)


class TestThreeValuedEvidence:
    def test_no_evidence_is_not_a_finding(self) -> None:
        """GPT-4-like: no scores under Preparedness v1 raises the tier but says nothing was found."""
        candidate = _candidate(training_flop=2.1e25)
        decision = decide(candidate, load_policy("openai-preparedness@1.0"), as_of=dt.date(2024, 6, 1))
        assert decision.tier.value == "restricted"
        assert "post_mitigation_critical" not in decision.labels
        assert "halt-development" not in [o.id for o in decision.obligations]
        waiting = {entry.rule: entry for entry in decision.not_ruled_out or []}
        assert "post-mitigation-critical" in waiting
        assert not waiting["post-mitigation-critical"].finding
        assert "evaluation results" in waiting["post-mitigation-critical"].settle
        assert decision.rests_on_missing_evidence

    def test_declared_cannot_rule_out_is_a_finding(self) -> None:
        """A rule whose source says "cannot rule out means crossed" attaches its labels, citing it."""
        condition = {"all": [{"feature": "capability.bio", "op": ">=", "value": 0.5}]}
        policy = _policy(
            condition, cannot_rule_out={"treat_as": "crossed", "source": "text", "quote": "treat it as reached"}
        )
        decision = decide(_candidate(training_flop=1e20), policy, as_of=dt.date(2026, 1, 1))
        assert decision.labels == ["found"] and decision.reasons == []
        (entry,) = decision.not_ruled_out or []
        assert entry.finding and entry.treated_as is not None and entry.treated_as.quote == "treat it as reached"

    def test_upper_bound_on_unknown_does_not_hold(self) -> None:
        """An exemption (upper bound) is never granted on an unknown input."""
        policy = _policy({"all": [{"feature": "training_flop", "op": "<", "value": 1e25}]}, tier="open")
        decision = decide(_candidate(training_flop=None), policy, as_of=dt.date(2026, 1, 1))
        assert decision.reasons == [] and decision.not_ruled_out == [] and decision.labels == []

    def test_schema_1_reads_not_ruled_out_as_fired(self) -> None:
        """Decisions recorded under schema 1 are reproduced with the semantics they were made with."""
        candidate = _candidate(training_flop=2.1e25)
        old = decide(candidate, load_policy("openai-preparedness@1.0"), as_of=dt.date(2024, 6, 1), schema=1)
        new = decide(candidate, load_policy("openai-preparedness@1.0"), as_of=dt.date(2024, 6, 1))
        assert old.schema_version == 1 and new.schema_version == DECISION_SCHEMA_VERSION == 2
        assert old.tier == new.tier
        assert "post_mitigation_critical" in old.labels and old.not_ruled_out is None
        assert "not_ruled_out" not in old.document() and "tier_on_evidence" not in old.document()


@st.composite
def _feature_points(draw: st.DrawFn) -> tuple[Policy, dict[str, float]]:
    policy = draw(st.sampled_from(SHIPPED))
    candidate = draw(any_candidates())
    day = draw(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)))
    return policy, extract_features(candidate, policy, day, SUITES).values


class TestEvaluatorsAgree:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(point=_feature_points())
    def test_four_evaluators(self, point: tuple[Policy, dict[str, float]]) -> None:
        """durable_rules, scalar, column and region evaluators give the same fired and not-ruled-out rules."""
        policy, values = point
        compiled = compile_policy(policy)
        scalar = compiled.evaluate_scalar(values)
        assert compiled.evaluate_durable(values) == scalar
        assert RegionEvaluator(compiled).evaluate(values) == scalar
        vectorised = VectorisedPolicy(compiled)
        result = vectorised.evaluate({f: np.array([values[f]]) for f in vectorised.features})
        column = Evaluation(
            tuple(int(i) for i in np.flatnonzero(result.fired[:, 0])),
            tuple(int(i) for i in np.flatnonzero(result.not_ruled_out[:, 0])),
        )
        assert column == scalar
        assert int(result.tiers[0]) == compiled.aggregate(scalar, values).tier.rank

    def test_outcome_order(self) -> None:
        """Kleene order: a rule not ruled out sits between not firing and firing."""
        assert Outcome.NO < Outcome.NOT_RULED_OUT < Outcome.FIRED


class TestExplicitSuites:
    def test_decision_records_the_suites_it_used(self) -> None:
        """The suites are an argument; the decision lists each one it used, by digest."""
        candidate = _candidate(
            training_flop=1e24,
            evaluations=[{"benchmark": "wmdp-bio", "domain": "bio", "score": 0.6, "samples": 1273}],
        )
        policy = load_policy("illustrative-capability")
        decision = decide(candidate, policy, as_of=dt.date(2026, 12, 2), suites=SUITES)
        bio = SUITES.find("wmdp-bio")
        assert bio is not None
        assert [(s.id, s.digest) for s in decision.suites or []] == [(bio.id, bio.digest)]
        assert decision.suites_used == (bio,)
        bare = decide(candidate, policy, as_of=dt.date(2026, 12, 2), suites=SuiteCatalogue.of([]))
        assert bare.suites is None
        assert "not a known evaluation suite" in json.dumps(bare.document()["evidence"])

    def test_unknown_suites_argument_is_refused(self) -> None:
        with pytest.raises(InputError, match="suites"):
            decide(_candidate(training_flop=1e24), load_policy("eu-ai-act"), suites="folder")  # type: ignore[arg-type]


def _candidate(**compute: Any) -> Candidate:
    evaluations = compute.pop("evaluations", [])
    return Candidate.model_validate(
        {
            "model": {"name": "M", "developer": "Lab"},
            "compute": compute,
            "evaluations": evaluations,
            "release": {"form": "open_weights"},
        }
    )


def _policy_document(condition: dict[str, Any], tier: str = "restricted", **rule: Any) -> dict[str, Any]:
    return {
        "id": "core-test",
        "version": "1",
        "title": "Core test",
        "kind": "illustrative",
        "jurisdiction": "none",
        "effective": {"from": "2020-01-01"},
        "sources": [{"id": "text", "title": "A text"}],
        "rules": [
            {"id": "r", "tier": tier, "when": condition, "labels": ["found"], "rationale": "test", "source": "text"}
            | rule
        ],
        "plan": [{"id": "s", "access": "api", "gate": "g"}],
    }


def _policy(condition: dict[str, Any], tier: str = "restricted", **rule: Any) -> Policy:
    return Policy.model_validate(_policy_document(condition, tier, **rule))


def test_policy_error_is_exported() -> None:
    assert issubclass(PolicyError, Exception)
