"""The population's fast path (feature arrays from columns) equals the slow path (candidates, then features)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from governance import Policy, discover_policies, load_policy
from governance.candidate import ReleaseForm
from governance.compare.population import Categorical, Population
from governance.compare.population_io import load_population
from governance.compare.synthetic import grid_population, parse_grid_axis, random_population
from governance.compiled import compile_policy
from governance.features import extract_features
from governance.vectorised import VectorisedPolicy, feature_arrays
from tests.compare.support import AS_OF, MESSY, NOTABLE, fixture_policy, mixed_population


def _policies() -> list[Policy]:
    shipped = {e.id: e.policy for e in discover_policies()}  # the latest version of each shipped policy
    fixtures = [fixture_policy(n) for n in ("raw-line", "raw-line-inclusive", "ageing-line", "frontier-total")]
    return [*shipped.values(), load_policy("illustrative-capability@1.0"), *fixtures]


POLICIES = _policies()


def _assert_same(fast: dict[str, np.ndarray], slow: dict[str, np.ndarray]) -> None:
    assert set(fast) == set(slow)
    for name in slow:
        assert np.array_equal(fast[name], slow[name]), name


class TestFastEqualsSlow:
    """Every feature a policy reads has the same value on both paths, bit for bit."""

    @pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.ref)
    @pytest.mark.parametrize("day", [AS_OF, dt.date(2023, 6, 1)], ids=str)
    def test_mixed_population(self, policy: Policy, day: dt.date) -> None:
        """Intervals, fine-tuning, revenue, licences, components, modalities and unknowns: fast == slow."""
        population = mixed_population(160, seed=11)
        slow = feature_arrays(population.candidates(), policy, day)
        fast = population.feature_arrays(policy, day)
        _assert_same(fast, slow)

    @pytest.mark.parametrize("policy", POLICIES[:6], ids=lambda p: p.ref)
    def test_loaded_files(self, policy: Policy) -> None:
        """The messy fixture and the shipped real population give the same arrays both ways."""
        for path in (MESSY, NOTABLE):
            population = load_population(path)
            _assert_same(
                population.feature_arrays(policy, AS_OF), feature_arrays(population.candidates(), policy, AS_OF)
            )

    def test_every_catalogue_feature(self) -> None:
        """All features, not only those a policy reads, agree with extract_features."""
        population = mixed_population(60, seed=5)
        policy = fixture_policy("ageing-line")
        names = sorted(extract_features(population.candidate(0), policy, AS_OF).values)
        fast = population.feature_arrays(policy, AS_OF, names)
        for index in range(len(population)):
            values = extract_features(population.candidate(index), policy, AS_OF).values
            for name in names:
                assert fast[name][index] == values[name] or (math.isnan(values[name]) and math.isnan(fast[name][index]))

    def test_generated_populations(self) -> None:
        """Random samples and grids built without files agree too."""
        policy = load_policy("illustrative-capability@1.0")
        for population in (
            random_population(200, seed=3),
            grid_population(
                [
                    parse_grid_axis("training_flop=1e22..1e27:6"),
                    parse_grid_axis("capability=0..1:3"),
                    parse_grid_axis("openness=api,open-weight"),
                    parse_grid_axis("release=2023-01-01..2026-01-01:3"),
                ]
            ),
        ):
            _assert_same(
                population.feature_arrays(policy, AS_OF), feature_arrays(population.candidates(), policy, AS_OF)
            )

    def test_candidate_documents(self) -> None:
        """A population of candidate documents reads its features from the candidates themselves."""
        source = mixed_population(40, seed=8)
        population = Population.from_candidates(source.candidates())
        policy = fixture_policy("frontier-total")
        _assert_same(population.feature_arrays(policy, AS_OF), source.feature_arrays(policy, AS_OF))


class TestFailClosed:
    """Unknowns in the columns never read as zero or as below a threshold."""

    def test_unknowns_are_infinite(self) -> None:
        """Unknown compute, capability, revenue and parameters are +inf; a missing capability is an evidence gap."""
        population = Population.from_columns(
            ["a"],
            training_flop=[np.nan],
            capabilities={"bio": [np.nan]},
            revenue_usd=[np.nan],
            parameters=[np.nan],
        )
        policy = fixture_policy("ageing-line")
        arrays = population.feature_arrays(
            policy,
            AS_OF,
            ["training_flop", "effective_flop", "capability.bio", "evidence_gap.bio", "developer.revenue_usd"],
        )
        assert arrays["training_flop"][0] == math.inf
        assert arrays["effective_flop"][0] == math.inf
        assert arrays["capability.bio"][0] == math.inf
        assert arrays["evidence_gap.bio"][0] == 1.0
        assert arrays["developer.revenue_usd"][0] == math.inf

    def test_unknown_openness_is_the_most_open(self) -> None:
        """A row that does not say how it is released reads as open source (fail closed)."""
        population = Population.from_columns(["a", "b"], training_flop=[1e20, 1e20], openness=[None, ReleaseForm.API])
        arrays = population.feature_arrays(load_policy("illustrative-capability@1.0"), AS_OF, ["release.openness"])
        assert arrays["release.openness"].tolist() == [4.0, 2.0]
        assert population.candidate(0).release.form is ReleaseForm.OPEN_SOURCE

    def test_release_date_stands_in_for_training_end(self) -> None:
        """Without a training-end date the release date ages effective compute; without either, the decision date."""
        policy = fixture_policy("ageing-line")
        population = Population.from_columns(
            ["dated", "undated"],
            training_flop=[1e24, 1e24],
            release=np.array(["2025-01-01", "NaT"], dtype="datetime64[D]"),
        )
        assert population.candidate(0).compute.training_end == dt.date(2025, 1, 1)
        assert population.candidate(1).compute.training_end is None
        effective = population.feature_arrays(policy, AS_OF, ["effective_flop"])["effective_flop"]
        assert effective[0] == 1e24 * 2.0 ** (((dt.date(2025, 1, 1) - dt.date(2024, 1, 1)).days / (365.2425 / 12)) / 6)
        assert effective[0] < effective[1]

    def test_arrays_are_read_only(self) -> None:
        """Shared arrays cannot be changed by a caller."""
        population = random_population(10, seed=1)
        arrays = population.feature_arrays(load_policy("illustrative-capability@1.0"), AS_OF)
        with pytest.raises(ValueError, match="read-only"):
            arrays["effective_flop"][0] = 0.0


class TestRows:
    """Rows read back as plain values, subsets keep their order."""

    def test_take_and_row(self) -> None:
        """take() selects rows; row() shows unknowns as None."""
        population = mixed_population(30, seed=2)
        subset = population.take([5, 2])
        assert subset.name(0) == population.name(5)
        assert subset.row(1)["training_flop"] == population.row(2)["training_flop"]
        unknown = Population.from_columns(["x"]).row(0)
        assert unknown["training_flop"] is None
        assert unknown["openness"] is None

    def test_categorical(self) -> None:
        """Codes point into distinct values; -1 is unknown."""
        column = Categorical.from_values(["a", None, "b", "a"])
        assert column.codes.tolist() == [0, -1, 1, 0]
        assert [column.value(i) for i in range(4)] == ["a", None, "b", "a"]

    def test_vectorised_agrees_with_candidates(self) -> None:
        """The evaluator over fast arrays gives the tiers it gives over the slow path."""
        population = mixed_population(120, seed=4)
        policy = load_policy("illustrative-capability@1.0")
        vectorised = VectorisedPolicy(compile_policy(policy))
        fast = vectorised.evaluate(population.feature_arrays(policy, AS_OF))
        slow = vectorised.evaluate(feature_arrays(population.candidates(), policy, AS_OF))
        assert np.array_equal(fast.tiers, slow.tiers)
        assert np.array_equal(fast.fired, slow.fired)
