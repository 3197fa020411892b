"""Comparisons equal per-candidate decide() results; agreement and kappa are right."""

from __future__ import annotations

import numpy as np
import pytest

from governance import InputError, Policy, Tier, decide, load_policy
from governance.compare.comparison import EVIDENCE_FLOOR, cohen_kappa, compare_population
from governance.compare.population import Population
from governance.compare.population_io import load_population
from tests.compare.support import AS_OF, BOUNDARY, MESSY, NOTABLE, fixture_policy, mixed_population

POLICIES = [
    load_policy("illustrative-capability@1.0"),
    load_policy("eu-ai-act"),
    load_policy("ca-sb-53"),
    fixture_policy("ageing-line"),
    fixture_policy("frontier-total"),
    fixture_policy("raw-line"),
]


def _expected_decider(decision_tier: Tier, reasons: list[tuple[str, Tier]], missing_required: bool) -> str | None:
    at_tier = [rule for rule, tier in reasons if tier == decision_tier]
    if at_tier:
        return at_tier[0]
    if missing_required:
        return EVIDENCE_FLOOR
    return None


class TestEqualsDecide:
    """Every row's tier, labels, fired rules and deciding rule are what decide() says."""

    @pytest.mark.parametrize(
        "population",
        [mixed_population(90, seed=31), load_population(MESSY), load_population(NOTABLE)],
        ids=["mixed", "messy", "notable"],
    )
    def test_rows(self, population: Population) -> None:
        """decide() on each row's candidate (durable_rules) matches the vectorised comparison."""
        comparison = compare_population(population, POLICIES, as_of=AS_OF)
        for index in range(len(population)):
            candidate = population.candidate(index)
            for outcome in comparison.outcomes:
                decision = decide(candidate, outcome.policy, as_of=AS_OF)
                where = f"{population.label(index)} under {outcome.ref}"
                assert outcome.tier(index) == decision.tier, where
                assert outcome.labels_of(index) == list(decision.labels), where
                assert sorted(outcome.fired_rules(index)) == sorted(r.rule for r in decision.reasons), where
                waiting = decision.not_ruled_out or []
                assert outcome.not_ruled_out_rules(index) == sorted(
                    (w.rule for w in waiting), key=[r.id for r in outcome.policy.rules].index
                ), where
                assert outcome.rests_on_missing_evidence[index] == decision.rests_on_missing_evidence, where
                missing = any(m.required for m in decision.missing_evidence)
                ranked = [(r.rule, r.tier) for r in decision.reasons] + [(w.rule, w.tier) for w in waiting]
                expected = _expected_decider(decision.tier, ranked, missing)
                assert outcome.decided_by(index) == expected, where

    def test_counts_add_up(self) -> None:
        """Tier counts sum to the population; label counts equal the rows carrying each label."""
        population = mixed_population(200, seed=2)
        comparison = compare_population(population, POLICIES, as_of=AS_OF)
        for outcome in comparison.outcomes:
            assert sum(outcome.tier_counts().values()) == len(population)
            for label, count in outcome.label_counts().items():
                assert count == sum(label in outcome.labels_of(i) for i in range(len(population)))


class TestAgreement:
    """Shares of equal tiers, Cohen's kappa, and the disagreement list."""

    def test_kappa_known_value(self) -> None:
        """A hand-computed 3x3 example: po = 0.7, pe = 0.16 + 0.09 + 0.09 = 0.34, kappa = 0.36 / 0.66."""
        confusion = np.array([[30, 5, 5], [5, 20, 5], [5, 5, 20]], dtype=np.int64)
        assert cohen_kappa(confusion) == pytest.approx((0.7 - 0.34) / (1 - 0.34))

    def test_kappa_edges(self) -> None:
        """Perfect agreement over two tiers is 1; one tier for everyone under both is undefined; empty is None."""
        assert cohen_kappa(np.array([[3, 0, 0], [0, 2, 0], [0, 0, 0]])) == pytest.approx(1.0)
        assert cohen_kappa(np.array([[5, 0, 0], [0, 0, 0], [0, 0, 0]])) is None
        assert cohen_kappa(np.zeros((3, 3), dtype=np.int64)) is None

    def test_pairs(self) -> None:
        """Disagreements are exactly the rows with different tiers; the share and confusion match."""
        population = mixed_population(150, seed=7)
        comparison = compare_population(population, POLICIES[:3], as_of=AS_OF)
        assert len(comparison.pairs) == 3
        for pair in comparison.pairs:
            expected = [i for i in range(len(population)) if pair.left.tier(i) != pair.right.tier(i)]
            assert pair.disagreements.tolist() == expected
            assert pair.share == pytest.approx(1 - len(expected) / len(population))
            assert int(pair.confusion.sum()) == len(population)

    def test_inclusive_and_strict_lines(self) -> None:
        """'> 1e25' and '>= 1e25' disagree on exactly the synthetic model at 1e25, not on a double either side."""
        comparison = compare_population(
            load_population(BOUNDARY), [fixture_policy("raw-line"), fixture_policy("raw-line-inclusive")], as_of=AS_OF
        )
        pair = comparison.pairs[0]
        assert [comparison.population.name(int(i)) for i in pair.disagreements] == ["At the line"]
        row = pair.document(comparison.population, None)["disagreement_rows"][0]
        assert row == {
            "model": "At the line",
            "left_tier": "open",
            "left_rule": "notable",
            "right_tier": "staged",
            "right_rule": "at-line",
        }


class TestUnknownCompute:
    """Unknown compute is shown as unknown, with what each policy did about it."""

    def test_grok_3(self) -> None:
        """Grok 3 has no published compute: compute rules are not ruled out; policies without compute rules say so."""
        comparison = compare_population(
            load_population(NOTABLE), [fixture_policy("raw-line"), load_policy("meta-frontier-ai")], as_of=AS_OF
        )
        rows = comparison.unknown_compute_rows()
        assert [r["model"] for r in rows] == ["Grok 3"]
        notes = rows[0]["policies"]
        assert notes["raw-line@1.0"]["tier"] == "staged"
        assert "never read as below a threshold; not ruled out above-line, notable" in notes["raw-line@1.0"]["compute"]
        meta = next(o for o in comparison.outcomes if o.policy.id == "meta-frontier-ai")
        assert not meta.reads_compute
        assert notes[meta.ref]["compute"] == "does not read training compute"
        document = comparison.document(limit=5)
        grok = next(m for m in comparison.models() if m["name"] == "Grok 3")
        assert grok["compute_unknown"] is True
        assert grok["training_flop"] is None
        assert document["unknown_compute"]["count"] == 1


class TestDocument:
    """The JSON document and its limits."""

    def test_limit(self) -> None:
        """limit caps every per-row list; counts stay whole."""
        population = mixed_population(60, seed=3)
        comparison = compare_population(population, POLICIES[:2], as_of=AS_OF)
        document = comparison.document(limit=4)
        assert len(document["models"]) == 4
        assert len(document["pairs"][0]["disagreement_rows"]) <= 4
        assert sum(document["policies"][0]["tiers"].values()) == 60

    def test_refusals(self) -> None:
        """No policy, or the same policy twice, is an input error."""
        population = mixed_population(5, seed=1)
        with pytest.raises(InputError, match="at least one"):
            compare_population(population, [], as_of=AS_OF)
        policy: Policy = POLICIES[0]
        with pytest.raises(InputError, match="more than once"):
            compare_population(population, [policy, policy], as_of=AS_OF)
