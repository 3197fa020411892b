"""decide(): tiers, reasons, margins, missing evidence, intervals, dates and determinism."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance import (
    Candidate,
    Decision,
    EngineError,
    InputError,
    Tier,
    decide,
    discover_policies,
    explain,
    load_policy,
)
from governance.canonical import canonical_bytes, canonical_bytes_exact
from governance.decision import SUPPORTED_DECISION_SCHEMAS
from governance.evidence.suites import shipped_suites
from governance.features import extract_features
from tests.helpers import COMPUTE_RULES, make_candidate, make_policy
from tests.strategies import any_candidates, any_dates

AS_OF = dt.date(2026, 11, 28)
POLICY = make_policy(COMPUTE_RULES)
SHIPPED = [entry.policy for entry in discover_policies()]
SUITES = shipped_suites()


def _tier(flop: object, **kwargs: object) -> Tier:
    candidate = make_candidate(flop, capabilities={"bio": 0.1}, **kwargs)  # type: ignore[arg-type]
    return decide(candidate, POLICY, as_of=AS_OF).tier


class TestThresholds:
    """Values exactly at a threshold fall on the declared side; the next float below does not."""

    def test_at_inclusive_threshold(self) -> None:
        """1e25 FLOP meets '>= 1e25' exactly."""
        assert _tier(1e25) is Tier.STAGED

    def test_just_below_inclusive_threshold(self) -> None:
        """The largest double below 1e25 does not."""
        assert _tier(math.nextafter(1e25, 0)) is Tier.OPEN

    def test_at_exclusive_threshold(self) -> None:
        """1e26 FLOP does not exceed '> 1e26'."""
        assert _tier(1e26) is Tier.STAGED

    def test_just_above_exclusive_threshold(self) -> None:
        """The next double above 1e26 does."""
        assert _tier(math.nextafter(1e26, math.inf)) is Tier.RESTRICTED

    def test_log10_would_be_wrong(self) -> None:
        """Doubles whose log10 is exactly 26.0 but which are below 1e26 stay below the line."""
        below = math.nextafter(1e26, 0)
        assert math.log10(below) == 26.0
        assert _tier(below) is Tier.STAGED  # still over 1e25, but not over 1e26

    def test_most_restrictive_tier_wins(self) -> None:
        """When several rules fire the tier is the most restrictive among them."""
        decision = decide(make_candidate(2e26, capabilities={"bio": 0.9}), POLICY, as_of=AS_OF)
        assert decision.tier is Tier.RESTRICTED
        assert [r.rule for r in decision.reasons] == ["bio", "over-1e26", "over-1e25"]

    def test_open_when_nothing_fires(self) -> None:
        """No fired rule means open, with no reasons."""
        decision = decide(make_candidate(1e20, capabilities={"bio": 0.0}), POLICY, as_of=AS_OF)
        assert decision.tier is Tier.OPEN
        assert decision.reasons == []


class TestReasons:
    """Each fired rule comes with its atoms, values and margins."""

    def test_atom_margin_and_ratio(self) -> None:
        """The margin is value minus threshold; compute also gets the ratio."""
        decision = decide(make_candidate(2e25, capabilities={"bio": 0.1}), POLICY, as_of=AS_OF)
        (reason,) = decision.reasons
        (atom,) = reason.atoms
        assert (atom.feature, atom.op, atom.threshold, atom.value, atom.holds) == (
            "training_flop",
            ">=",
            1e25,
            2e25,
            True,
        )
        assert atom.margin == pytest.approx(1e25)
        assert atom.ratio == pytest.approx(2.0)
        assert reason.source.section == "§1"
        assert decision.labels == ["big"]

    def test_nearest_threshold(self) -> None:
        """The nearest threshold per feature is the next one that would raise the tier on its own."""
        decision = decide(make_candidate(5e24, capabilities={"bio": 0.5}), POLICY, as_of=AS_OF)
        nearest = {n.feature: n for n in decision.nearest_thresholds}
        assert nearest["training_flop"].threshold == 1e25
        assert nearest["training_flop"].raises_to is Tier.STAGED
        assert nearest["training_flop"].ratio == pytest.approx(2.0)
        assert nearest["capability.bio"].threshold == 0.8
        assert nearest["capability.bio"].raises_to is Tier.RESTRICTED

    def test_nearest_threshold_really_flips(self) -> None:
        """Moving the feature to the reported threshold gives the reported tier."""
        decision = decide(make_candidate(5e24, capabilities={"bio": 0.5}), POLICY, as_of=AS_OF)
        for nearest in decision.nearest_thresholds:
            if nearest.feature == "training_flop":
                moved = make_candidate(nearest.threshold, capabilities={"bio": 0.5})
            else:
                moved = make_candidate(5e24, capabilities={"bio": nearest.threshold})
            assert decide(moved, POLICY, as_of=AS_OF).tier is nearest.raises_to

    def test_strict_threshold_reported_as_strict(self) -> None:
        """A '>' threshold is reported with its operator: the value must exceed it."""
        decision = decide(make_candidate(5e25, capabilities={"bio": 0.1}), POLICY, as_of=AS_OF)
        (nearest,) = [n for n in decision.nearest_thresholds if n.feature == "training_flop"]
        assert (nearest.op, nearest.threshold, nearest.raises_to) == (">", 1e26, Tier.RESTRICTED)


class TestMissingEvidence:
    """Unknown inputs fail closed and are listed."""

    def test_unknown_compute_is_above_every_threshold(self) -> None:
        """Null compute leaves every compute rule not ruled out: the tier fails closed, and the decision says why."""
        decision = decide(make_candidate(None, capabilities={"bio": 0.1}), POLICY, as_of=AS_OF)
        assert decision.tier is Tier.RESTRICTED
        assert decision.tier_on_evidence is Tier.OPEN
        assert [m.feature for m in decision.missing_evidence] == ["training_flop"]
        assert decision.reasons == []
        waiting = (decision.not_ruled_out or [])[0]
        assert waiting.waiting_on == ["training_flop"] and "training compute" in waiting.settle
        atom = waiting.atoms[0]
        assert atom.value is None and atom.unknown and not atom.holds

    def test_missing_domain_is_worst_case(self) -> None:
        """A domain without evidence is read as above its thresholds."""
        decision = decide(make_candidate(1e20), POLICY, as_of=AS_OF)
        assert decision.tier is Tier.RESTRICTED
        assert "capability.bio" in [m.feature for m in decision.missing_evidence]

    def test_required_domain_floor_and_label(self) -> None:
        """A policy's if_missing floor, labels and obligations apply when a required domain is missing."""
        policy = make_policy(
            [
                {
                    "id": "cyber",
                    "tier": "restricted",
                    "when": {"all": [{"feature": "capability.cyber", "op": ">=", "value": 0.9}]},
                }
            ],
            evidence={"required_domains": ["bio"], "if_missing_tier": "staged", "if_missing_obligations": ["evals"]},
            obligations=[{"id": "evals", "text": "Run the evaluations.", "source": "s"}],
        )
        decision = decide(make_candidate(1e20, capabilities={"cyber": 0.1}), policy, as_of=AS_OF)
        assert decision.tier is Tier.STAGED
        assert decision.labels == ["evidence_pending"]
        assert [o.id for o in decision.obligations] == ["evals"]
        assert decision.missing_evidence[0].required

    def test_upper_bound_atoms_fail_on_unknown(self) -> None:
        """An exemption-style label (an upper bound) is never granted on an unknown input."""
        policy = make_policy(
            [
                {
                    "id": "small",
                    "tier": "open",
                    "labels": ["small"],
                    "when": {"all": [{"feature": "training_flop", "op": "<=", "value": 1e25}]},
                }
            ]
        )
        assert decide(make_candidate(None), policy, as_of=AS_OF).labels == []
        assert decide(make_candidate(1e24), policy, as_of=AS_OF).labels == ["small"]


class TestIntervals:
    """A threshold inside a compute interval is resolved by the policy's stance, and said so."""

    def test_conservative_reads_upper_bound(self) -> None:
        """The default stance reads the upper bound."""
        candidate = make_candidate({"estimate": 8e24, "lower": 5e24, "upper": 2e25}, capabilities={"bio": 0.1})
        decision = decide(candidate, POLICY, as_of=AS_OF)
        assert decision.tier is Tier.STAGED
        (resolution,) = decision.interval_resolutions
        assert (resolution.threshold, resolution.resolved, resolution.stance) == (1e25, "above", "conservative")

    def test_estimate_stance(self) -> None:
        """A policy may declare that the central estimate is read."""
        policy = make_policy(COMPUTE_RULES, parameters={"compute_stance": "estimate"})
        candidate = make_candidate({"estimate": 8e24, "lower": 5e24, "upper": 2e25}, capabilities={"bio": 0.1})
        decision = decide(candidate, policy, as_of=AS_OF)
        assert decision.tier is Tier.OPEN
        assert decision.interval_resolutions[0].resolved == "below"

    def test_lower_bound_only(self) -> None:
        """'Very likely above 1e25' ({lower: 1e25}) has no upper bound: every compute line is crossed."""
        decision = decide(make_candidate({"lower": 1e25}, capabilities={"bio": 0.1}), POLICY, as_of=AS_OF)
        assert decision.tier is Tier.RESTRICTED
        assert {r.threshold for r in decision.interval_resolutions} == {1e26}


class TestEffectiveCompute:
    """Efficiency-adjusted compute ages the line with the policy's halving time."""

    POLICY = make_policy(
        [{"id": "line", "tier": "staged", "when": {"all": [{"feature": "effective_flop", "op": ">=", "value": 1e25}]}}],
        parameters={"reference_date": "2024-01-01", "halving_months": 8},
    )

    def test_same_compute_later_is_more(self) -> None:
        """5e24 FLOP trained 8 months after the reference date counts as 1e25."""
        candidate = make_candidate(5e24, compute={"training_end": "2024-09-01"})
        decision = decide(candidate, self.POLICY, as_of=AS_OF)
        assert decision.compute_adjustment is not None
        assert decision.compute_adjustment.factor == pytest.approx(2.0, rel=0.01)
        assert decision.tier is Tier.STAGED

    def test_decision_date_used_without_training_end(self) -> None:
        """Without a training end date the decision date is read, so the line falls over time."""
        candidate = make_candidate(3e24)
        assert decide(candidate, self.POLICY, as_of=dt.date(2024, 2, 1)).tier is Tier.OPEN
        assert decide(candidate, self.POLICY, as_of=dt.date(2026, 1, 1)).tier is Tier.STAGED


class TestDates:
    """Whether the policy is in force is part of the decision."""

    def test_not_yet_in_force(self) -> None:
        """A decision before the policy applies says so."""
        policy = make_policy(COMPUTE_RULES, effective={"from": "2026-01-01"})
        decision = decide(make_candidate(1e20, capabilities={"bio": 0.0}), policy, as_of=dt.date(2025, 6, 1))
        assert not decision.in_force
        assert decision.in_force_note is not None and "not yet in force" in decision.in_force_note

    def test_no_longer_in_force(self) -> None:
        """A decision after the policy ended says so, with the policy's note."""
        policy = make_policy(COMPUTE_RULES, effective={"from": "2023-10-30", "to": "2025-01-20", "note": "revoked"})
        decision = decide(make_candidate(1e20, capabilities={"bio": 0.0}), policy, as_of=dt.date(2025, 6, 1))
        assert decision.in_force_note is not None and "no longer in force" in decision.in_force_note
        assert "revoked" in decision.in_force_note

    def test_currency_unconfirmed(self) -> None:
        """From ``unconfirmed_after`` a decision stays in force and says its currency is unconfirmed."""
        effective = {"from": "2025-01-01", "unconfirmed_after": "2026-04-08"}
        policy = make_policy(COMPUTE_RULES, effective=effective)
        candidate = make_candidate(1e20, capabilities={"bio": 0.0})
        before = decide(candidate, policy, as_of=dt.date(2026, 4, 7))
        assert before.in_force and before.in_force_note is None
        on = decide(candidate, policy, as_of=dt.date(2026, 4, 8))
        assert on.in_force
        assert on.in_force_note is not None and "currency unconfirmed after 2026-04-08" in on.in_force_note

    def test_unset_currency_keeps_the_digest(self) -> None:
        """A policy without ``unconfirmed_after`` hashes as before the field existed."""
        policy = make_policy(COMPUTE_RULES, effective={"from": "2025-01-01"})
        assert "unconfirmed_after" not in policy.document()["effective"]

    @pytest.mark.parametrize("day", ["2024-12-31", "2026-01-01"])
    def test_currency_date_inside_the_period(self, day: str) -> None:
        """``unconfirmed_after`` outside the period is refused."""
        with pytest.raises(ValueError, match="unconfirmed_after"):
            make_policy(COMPUTE_RULES, effective={"from": "2025-01-01", "to": "2026-01-01", "unconfirmed_after": day})


class TestDocument:
    """The decision document is canonical, deterministic and round-trips."""

    def test_round_trip(self) -> None:
        """from_document(document()) reproduces the same bytes."""
        decision = decide(make_candidate(2e25, capabilities={"bio": 0.9}), POLICY, as_of=AS_OF)
        again = Decision.from_document(decision.document())
        assert again.canonical_json() == decision.canonical_json()
        assert canonical_bytes(Decision.model_validate(decision.document()).document()) == decision.canonical_json()

    def test_identical_bytes(self) -> None:
        """Deciding twice gives identical bytes and digest."""
        candidate = make_candidate(2e25, capabilities={"bio": 0.5})
        first, second = decide(candidate, POLICY, as_of=AS_OF), decide(candidate, POLICY, as_of=AS_OF)
        assert first.canonical_json() == second.canonical_json()
        assert first.digest == second.digest

    def test_identity_fields(self) -> None:
        """The document names the candidate digest, the policy identity and the engine."""
        candidate = make_candidate(2e25)
        decision = decide(candidate, POLICY, as_of=AS_OF)
        assert decision.candidate_digest == candidate.digest
        assert (decision.policy.id, decision.policy.version, decision.policy.digest) == (
            "test-policy",
            "1.0",
            POLICY.digest,
        )
        assert decision.engine.name == "governance"

    def test_plan_only_for_staged(self) -> None:
        """The staged plan is attached to staged decisions only."""
        assert decide(make_candidate(2e25, capabilities={"bio": 0.1}), POLICY, as_of=AS_OF).plan
        assert decide(make_candidate(2e26, capabilities={"bio": 0.9}), POLICY, as_of=AS_OF).plan is None

    def test_several_policies(self) -> None:
        """A sequence of policies gives one decision per policy, in order."""
        shipped = load_policy("illustrative-capability")
        decisions = decide(make_candidate(2e25), [POLICY, shipped], as_of=AS_OF)
        assert [d.policy.id for d in decisions] == ["test-policy", "illustrative-capability"]

    def test_unknown_evaluator(self) -> None:
        """An unknown evaluator name is an input error."""
        with pytest.raises(InputError, match="unknown evaluator"):
            decide(make_candidate(1e20), POLICY, as_of=AS_OF, evaluator="magic")  # type: ignore[arg-type]


class TestEngineBuiltDecision:
    """A decision ``decide`` builds is not validated again, yet reads exactly as a validated one."""

    @staticmethod
    def _pair() -> tuple[Decision, Decision]:
        candidate = make_candidate({"estimate": 8e24, "lower": 5e24, "upper": 2e25}, capabilities={"chem": 0.3})
        built = decide(candidate, POLICY, as_of=AS_OF)
        return built, Decision.from_document(decide(candidate, POLICY, as_of=AS_OF).document())

    def test_every_field_reads_as_validated(self) -> None:
        """Each field read one by one equals the field of the same document validated whole."""
        built, validated = self._pair()
        for name in Decision.model_fields:
            assert getattr(built, name) == getattr(validated, name), name
        assert built.not_ruled_out and isinstance(built.not_ruled_out[0].atoms[0].threshold, float)
        assert isinstance(built.as_of, dt.date)

    def test_whole_model_operations(self) -> None:
        """Dumps, equality, repr, copies and pickling see every field, read or not."""
        import copy
        import pickle

        built, validated = self._pair()
        assert built.tier is validated.tier  # one field read; the rest are not
        assert built.model_dump() == validated.model_dump()
        assert built.model_dump_json() == validated.model_dump_json()
        assert built == validated and validated == built
        fresh, _ = self._pair()
        assert repr(fresh) == repr(validated)
        for again in (copy.copy(built), copy.deepcopy(built), pickle.loads(pickle.dumps(built))):
            assert again == validated
            assert again.canonical_json() == validated.canonical_json()

    def test_candidate_digest_filled_on_first_read(self) -> None:
        """The candidate digest is in the document, its bytes and the field, whichever is read first."""
        candidate = make_candidate(2e25)
        for read in (
            lambda d: d.document()["candidate_digest"],
            lambda d: d.candidate_digest,
            lambda d: Decision.model_validate_json(d.canonical_json()).candidate_digest,
        ):
            assert read(decide(make_candidate(2e25), POLICY, as_of=AS_OF)) == candidate.digest

    def test_untrusted_documents_are_still_validated(self) -> None:
        """``from_document`` refuses a document that does not fit the model."""
        document = dict(decide(make_candidate(2e25), POLICY, as_of=AS_OF).document(), tier="lenient")
        with pytest.raises(ValueError, match="tier"):
            Decision.from_document(document)


class TestRecordedEvaluation:
    """A decision holds its evaluation and builds each part when read; nothing read alters the bytes."""

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(candidate=any_candidates(), day=any_dates(), schema=st.sampled_from(SUPPORTED_DECISION_SCHEMAS))
    def test_parts_read_alone_match_the_whole(self, candidate: Candidate, day: dt.date, schema: int) -> None:
        """Under every shipped policy: reasons and rules not ruled out read alone equal the whole document's,
        the per-policy rule templates give what the general reason builder gives, and the bytes are the
        same whichever part was read first (and after the document is read back from them)."""
        for policy in SHIPPED:
            try:
                lazy = decide(candidate, policy, as_of=day, suites=SUITES, schema=schema)
            except EngineError:
                assert schema == 1  # an efficiency factor beyond a double: refused when deciding, not later
                continue
            first = (lazy.tier, lazy.reasons, lazy.not_ruled_out, lazy.tier_on_evidence)
            whole = decide(candidate, policy, as_of=day, suites=SUITES, schema=schema)
            document = whole.document()
            validated = Decision.from_document(document)
            assert first == (
                validated.tier,
                validated.reasons,
                validated.not_ruled_out,
                validated.tier_on_evidence,
            ), policy.ref
            values = extract_features(candidate, policy, day, SUITES).values
            general = [
                explain.reason(policy.rules[index], policy, values, three_valued=schema >= 2)
                for index in range(len(policy.rules))
            ]
            by_id = {entry["rule"]: entry for entry in general}
            for entry in document["reasons"]:
                assert entry == by_id[entry["rule"]], (policy.ref, entry["rule"])
            for entry in document.get("not_ruled_out", []):
                expected = dict(by_id[entry["rule"]])
                assert {key: entry[key] for key in expected} == expected, (policy.ref, entry["rule"])
            data = lazy.canonical_json()
            assert data == whole.canonical_json() == canonical_bytes_exact(document)
            again = lazy.document()  # read back from the bytes it kept
            assert again == document and canonical_bytes(again) == data
            assert lazy == Decision.from_document(document, suites=lazy.suites_used)

    def test_fixed_parts_follow_the_date(self) -> None:
        """The parts kept per policy and date (as_of, in force, its note) are those of the date asked for."""
        candidate = make_candidate(2e25)
        before, during = dt.date(2020, 1, 1), AS_OF
        for day in (before, during, before):
            decision = decide(candidate, POLICY, as_of=day)
            assert decision.document()["as_of"] == day.isoformat()
            assert decision.in_force is POLICY.in_force(day)
