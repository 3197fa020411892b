"""The evidence rules through whole decisions: elicitation, staleness, partial runs, several results."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance import Candidate, Decision, Policy, Tier, decide, load_policy
from governance.evidence.assess import EvidenceSettings
from governance.evidence.suites import shipped_suites
from governance.features import extract_features

AS_OF = dt.date(2026, 11, 28)
BASE_POLICY = load_policy("illustrative-capability@1.0")
LOW = {"chem": 0.1, "nuclear": 0.02, "cyber": 0.08, "autonomy": 0.03, "ai_rnd": 0.02, "persuasion": 0.2}
"""Every domain but bio is declared low, so the bio evidence decides the tier."""


def policy(**knobs: Any) -> Policy:
    """The illustrative policy with evidence knobs set (a new digest)."""
    document = BASE_POLICY.document()
    return Policy.model_validate({**document, "evidence": {**document["evidence"], **knobs}})


def wmdp_bio(score: float = 0.40, **fields: Any) -> dict[str, Any]:
    """A complete WMDP-bio result on all 1,273 questions."""
    return {"benchmark": "wmdp-bio", "domain": "bio", "score": score, "samples": 1273, **fields}


def candidate(*evaluations: dict[str, Any], form: str = "open_weights", **extra: Any) -> Candidate:
    """A small model with low declared capabilities outside bio, and the given evaluations."""
    capabilities = {**LOW, **extra.pop("capabilities", {})}
    return Candidate.model_validate(
        {
            "model": {"name": "Model", "developer": "Lab", "version": extra.pop("version", "1.0")},
            "compute": {"training_flop": 1e23, "training_end": "2026-01-15"},
            "capabilities": capabilities,
            "evaluations": list(evaluations),
            "release": {"form": form, "license": "Apache-2.0"},
        }
    )


def run(c: Candidate, p: Policy = BASE_POLICY) -> Decision:
    """Decide, and check the two evaluators agree."""
    decision = decide(c, p, as_of=AS_OF)
    assert decide(c, p, as_of=AS_OF, evaluator="python").canonical_json() == decision.canonical_json()
    return decision


def missing(decision: Decision, feature: str) -> str | None:
    """Why ``feature`` is missing, or None."""
    return next((m.why for m in decision.missing_evidence if m.feature == feature), None)


class TestNoEvaluations:
    """Candidates without evaluations decide exactly as before."""

    def test_no_evidence_key(self) -> None:
        """No evaluations: no 'evidence' key in the document."""
        decision = run(candidate(capabilities={"bio": 0.1}))
        assert "evidence" not in decision.document()
        assert decision.tier is Tier.OPEN

    def test_policy_digest_unchanged(self) -> None:
        """Unset evidence knobs stay out of the policy document, so existing digests did not change."""
        assert set(BASE_POLICY.document()["evidence"]) == {
            "required_domains",
            "if_missing_tier",
            "if_missing_labels",
            "if_missing_obligations",
            "rationale",
        }

    def test_defaults(self) -> None:
        """Unset knobs take the documented defaults."""
        assert EvidenceSettings.of(BASE_POLICY.evidence) == EvidenceSettings(0.95, False, None, False, False)


class TestElicitation:
    """For open weights, only evidence with safeguards removed or after fine-tuning counts by default."""

    def test_as_released_does_not_count_for_open_weights(self) -> None:
        """An as-released result is set aside; bio reads as unknown, so the weights are withheld."""
        decision = run(candidate(wmdp_bio(elicitation="as_released")))
        assert decision.tier is Tier.RESTRICTED
        why = missing(decision, "capability.bio")
        assert why is not None
        assert "run on the model as released" in why
        assert decision.evidence is not None
        assert decision.evidence["bio"]["used"] == "none"
        assert len(decision.evidence["bio"]["discarded"]) == 1

    @pytest.mark.parametrize("elicitation", ["safeguards_removed", "fine_tuned"])
    def test_worst_case_evidence_counts(self, elicitation: str) -> None:
        """With safeguards removed or fine-tuned, a WMDP-bio score of 0.40 reads about 0.24: open."""
        decision = run(candidate(wmdp_bio(elicitation=elicitation)))
        assert decision.tier is Tier.OPEN
        assert decision.evidence is not None
        bio = decision.evidence["bio"]
        assert bio["used"] == "evidence"
        assert bio["chosen"]["normalised"]["upper"] == pytest.approx((0.427173626869 - 0.25) / 0.75, abs=1e-9)

    def test_policy_may_count_as_released(self) -> None:
        """A policy that declares as-released evidence sufficient for open release counts it."""
        decision = run(candidate(wmdp_bio(elicitation="as_released")), policy(as_released_counts_for_open_release=True))
        assert decision.tier is Tier.OPEN

    def test_as_released_counts_without_open_weights(self) -> None:
        """For an API release the model as released is what users reach, so the result counts."""
        decision = run(candidate(wmdp_bio(elicitation="as_released"), form="api"))
        assert missing(decision, "capability.bio") is None
        assert decision.evidence is not None
        assert decision.evidence["bio"]["used"] == "evidence"


class TestStaleness:
    """Evidence for another model version, or too old, is flagged and by default not counted."""

    def test_other_version(self) -> None:
        """A result for version 0.9 of a 1.0 release is set aside and says why."""
        decision = run(candidate(wmdp_bio(elicitation="fine_tuned", model_version="0.9")))
        assert decision.tier is Tier.RESTRICTED
        why = missing(decision, "capability.bio")
        assert why is not None
        assert "model version '0.9', not '1.0'" in why

    def test_other_version_counted_when_policy_says(self) -> None:
        """With count_stale the same result counts, flagged."""
        decision = run(candidate(wmdp_bio(elicitation="fine_tuned", model_version="0.9")), policy(count_stale=True))
        assert decision.tier is Tier.OPEN
        assert decision.evidence is not None
        assert decision.evidence["bio"]["chosen"]["flags"] == ["stale: it is for model version '0.9', not '1.0'"]

    def test_too_old(self) -> None:
        """A policy with a 365-day limit sets aside a result from 2024-10-29 when deciding on 2026-11-28."""
        decision = run(candidate(wmdp_bio(elicitation="fine_tuned", date="2024-10-29")), policy(max_age_days=365))
        why = missing(decision, "capability.bio")
        assert why is not None
        assert "it is 760 days old, past the policy's maximum of 365" in why

    def test_fresh_enough(self) -> None:
        """The same limit accepts a result from 2026-06-02."""
        decision = run(candidate(wmdp_bio(elicitation="fine_tuned", date="2026-06-02")), policy(max_age_days=365))
        assert decision.tier is Tier.OPEN

    def test_undated_with_age_limit(self) -> None:
        """When the policy limits age, an undated result cannot show it is fresh."""
        decision = run(candidate(wmdp_bio(elicitation="fine_tuned")), policy(max_age_days=365))
        why = missing(decision, "capability.bio")
        assert why is not None
        assert "undated" in why

    def test_future_dated(self) -> None:
        """A result dated after the decision date is not evidence at that date."""
        decision = run(candidate(wmdp_bio(elicitation="fine_tuned", date="2027-01-01")))
        why = missing(decision, "capability.bio")
        assert why is not None
        assert "after the decision date" in why


class TestPartial:
    """Unfinished runs are weaker evidence."""

    def test_not_counted_by_default(self) -> None:
        """A partial run alone leaves the domain unknown."""
        decision = run(candidate(wmdp_bio(elicitation="fine_tuned", status="partial", samples=10)))
        why = missing(decision, "capability.bio")
        assert why is not None
        assert "partial: the run did not finish" in why

    def test_counted_with_its_wider_interval(self) -> None:
        """Counted, its bound comes from its 10 samples: 0.40 on 10 reads far higher than on 1,273."""
        ten = run(
            candidate(wmdp_bio(elicitation="fine_tuned", status="partial", samples=10)), policy(count_partial=True)
        )
        full = run(candidate(wmdp_bio(elicitation="fine_tuned")))
        assert ten.evidence is not None
        assert full.evidence is not None
        assert ten.evidence["bio"]["chosen"]["normalised"]["upper"] > 0.5
        assert full.evidence["bio"]["chosen"]["normalised"]["upper"] < 0.25
        assert ten.tier is Tier.RESTRICTED


class TestSeveralResults:
    """Several results in one domain: the most capable bound wins, and the reason names it."""

    def test_highest_bound_wins(self) -> None:
        """VCT at 0.15 (0.68 of expert level) beats WMDP-bio at 0.40; the reason names VCT."""
        vct = {"benchmark": "vct", "domain": "bio", "score": 0.15, "samples": 322, "elicitation": "fine_tuned"}
        decision = run(candidate(wmdp_bio(elicitation="fine_tuned"), vct))
        assert decision.evidence is not None
        bio = decision.evidence["bio"]
        assert bio["chosen"]["benchmark"] == "vct"
        assert "vct (evaluations[1])" in bio["why"]
        assert "highest conservative bound" in bio["why"]
        assert [r["benchmark"] for r in bio["counted"]] == ["wmdp-bio"]
        assert decision.tier is Tier.RESTRICTED  # elevated bio and open weights

    def test_unknown_benchmark_is_set_aside(self) -> None:
        """A benchmark no suite defines is listed with its reason, not guessed."""
        other = {"benchmark": "my-private-eval", "domain": "bio", "score": 0.9, "elicitation": "fine_tuned"}
        decision = run(candidate(wmdp_bio(elicitation="fine_tuned"), other))
        assert decision.evidence is not None
        (discarded,) = decision.evidence["bio"]["discarded"]
        assert discarded["why"] == "benchmark 'my-private-eval' is not a known evaluation suite"

    def test_domain_mismatch(self) -> None:
        """A WMDP-bio result filed under chem does not count for chem."""
        misfiled = wmdp_bio(elicitation="fine_tuned", domain="chem")
        decision = run(candidate(misfiled, capabilities={"bio": 0.1}))
        assert decision.evidence is not None
        assert "measures bio, but the result is filed under chem" in decision.evidence["chem"]["discarded"][0]["why"]


class TestDeclaredAndEvidence:
    """A declared capability and evaluation results: the more capable reading stands."""

    def test_declared_higher_stands(self) -> None:
        """Declared bio 0.6 is above the evidence's 0.24: the declared value is read."""
        decision = run(candidate(wmdp_bio(elicitation="fine_tuned"), capabilities={"bio": 0.6}))
        assert decision.evidence is not None
        assert decision.evidence["bio"]["used"] == "declared"
        assert decision.tier is Tier.RESTRICTED

    def test_evidence_higher_wins(self) -> None:
        """Declared bio 0.1 is below the evidence: the evidence is read."""
        decision = run(candidate(wmdp_bio(0.70, elicitation="fine_tuned"), capabilities={"bio": 0.1}))
        assert decision.evidence is not None
        assert decision.evidence["bio"]["used"] == "evidence"
        features = extract_features(
            candidate(wmdp_bio(0.70, elicitation="fine_tuned"), capabilities={"bio": 0.1}),
            BASE_POLICY,
            AS_OF,
            shipped_suites(),
        )
        assert features.values["capability.bio"] == decision.evidence["bio"]["chosen"]["normalised"]["upper"]

    def test_interval_resolution_reported(self) -> None:
        """When the elevated line falls inside the evidence interval, the decision says how it was read."""
        decision = run(candidate(wmdp_bio(0.6386, stderr=0.01347, elicitation="fine_tuned")))
        (resolution,) = [r for r in decision.interval_resolutions if r.feature == "capability.bio"]
        assert resolution.threshold == 0.5
        assert resolution.resolved == "above"


class TestProvenance:
    """Every capability links back to its evidence."""

    def test_source_is_carried(self) -> None:
        """The chosen result carries the importer's provenance: file digest, tool, run id, task."""
        source = {
            "file_digest": "sha256:ab",
            "tool": "inspect_ai",
            "tool_version": "0.3.223",
            "run_id": "r1",
            "task": "t",
        }
        decision = run(candidate(wmdp_bio(elicitation="fine_tuned", date="2026-06-02", source=source)))
        assert decision.evidence is not None
        chosen = decision.evidence["bio"]["chosen"]
        assert chosen["source"] == source
        assert (chosen["suite"], chosen["metric"], chosen["samples"], chosen["date"]) == (
            "wmdp-bio@1.0",
            "accuracy",
            1273,
            "2026-06-02",
        )
        assert chosen["uncertainty"] == "wilson"
        assert "inspect_ai run r1" in decision.evidence["bio"]["why"]

    def test_deterministic(self) -> None:
        """The same candidate and policy give byte-identical decisions."""
        c = candidate(wmdp_bio(elicitation="fine_tuned"), wmdp_bio(0.5, elicitation="as_released"))
        assert (
            decide(c, BASE_POLICY, as_of=AS_OF).canonical_json() == decide(c, BASE_POLICY, as_of=AS_OF).canonical_json()
        )


class TestMonotone:
    """Raising an evaluation score, or adding a result, never lowers the tier."""

    @given(
        a=st.floats(min_value=0.0, max_value=1.0),
        b=st.floats(min_value=0.0, max_value=1.0),
        samples=st.integers(min_value=1, max_value=2000),
        elicitation=st.sampled_from(["as_released", "safeguards_removed", "fine_tuned"]),
        form=st.sampled_from(["api", "open_weights"]),
    )
    def test_higher_score(self, a: float, b: float, samples: int, elicitation: str, form: str) -> None:
        """A higher WMDP-bio score never gives a more open tier."""
        low, high = sorted((a, b))
        first = decide(
            candidate(wmdp_bio(low, samples=samples, elicitation=elicitation), form=form), BASE_POLICY, as_of=AS_OF
        )
        second = decide(
            candidate(wmdp_bio(high, samples=samples, elicitation=elicitation), form=form), BASE_POLICY, as_of=AS_OF
        )
        assert second.tier >= first.tier

    @given(
        first=st.floats(min_value=0.0, max_value=1.0),
        extra=st.floats(min_value=0.0, max_value=1.0),
        status=st.sampled_from(["complete", "partial"]),
    )
    def test_adding_a_result(self, first: float, extra: float, status: str) -> None:
        """Adding a second result to a domain never gives a more open tier."""
        one = decide(candidate(wmdp_bio(first, elicitation="fine_tuned")), BASE_POLICY, as_of=AS_OF)
        two = decide(
            candidate(
                wmdp_bio(first, elicitation="fine_tuned"), wmdp_bio(extra, elicitation="fine_tuned", status=status)
            ),
            BASE_POLICY,
            as_of=AS_OF,
        )
        assert two.tier >= one.tier


class TestOtherMeasures:
    """Results that are not shares of items: a time horizon in minutes, a RE-Bench score."""

    def test_time_horizon_interval(self) -> None:
        """A 60-minute horizon with interval [30, 120] reads log(120)/log(10020) = 0.52: autonomy elevated."""
        horizon = {
            "benchmark": "task-time-horizon",
            "domain": "autonomy",
            "score": 60,
            "interval": [30, 120],
            "elicitation": "fine_tuned",
        }
        decision = run(candidate(horizon, capabilities={"bio": 0.1, "autonomy": 0.03}))
        assert decision.evidence is not None
        chosen = decision.evidence["autonomy"]["chosen"]
        assert chosen["uncertainty"] == "interval"
        assert chosen["normalised"]["upper"] == pytest.approx(math.log(120) / math.log(10020), abs=1e-12)
        assert "autonomy_elevated" in decision.labels

    def test_rebench_without_uncertainty_is_flagged(self) -> None:
        """A RE-Bench score with no stderr or interval is read at its point estimate, and flagged."""
        rebench = {"benchmark": "re-bench", "domain": "ai_rnd", "score": 0.3, "elicitation": "fine_tuned"}
        decision = run(candidate(rebench))
        assert decision.evidence is not None
        chosen = decision.evidence["ai_rnd"]["chosen"]
        assert chosen["normalised"] == {"score": 0.3, "lower": 0.3, "upper": 0.3}
        assert chosen["flags"] == [
            "no uncertainty reported (no stderr, interval or sample count): the point estimate is read"
        ]
