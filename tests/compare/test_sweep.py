"""Threshold sweeps: monotone counts, counts equal to a comparison at each step, exact flips."""

from __future__ import annotations

import math

import numpy as np
import pytest

from governance import InputError, Tier, decide, load_policy
from governance.compare.comparison import evaluate_outcome
from governance.compare.population_io import load_population
from governance.compare.sweep import parse_param_range, sweep_population, sweep_values
from tests.compare.support import AS_OF, BOUNDARY, fixture_policy, mixed_population


class TestMonotone:
    """Raising a lower-bound threshold never raises a tier, so the counts at or above each tier never grow."""

    @pytest.mark.parametrize(
        ("policy_ref", "parameter", "low", "high"),
        [
            ("illustrative-capability@1.0", "compute_line", 1e22, 1e28),
            ("illustrative-capability@1.0", "elevated", 0.0, 1.0),
            ("illustrative-capability@1.0", "critical", 0.0, 1.0),
            ("eu-ai-act", "systemic_risk_compute", 1e22, 1e28),
            ("fixture:frontier-total", "revenue", 1e6, 1e11),
            ("fixture:ageing-line", "line", 1e22, 1e27),
        ],
    )
    def test_cumulative_counts(self, policy_ref: str, parameter: str, low: float, high: float) -> None:
        """At or above staged, and restricted, are non-increasing; every model is counted once per step."""
        policy = (
            fixture_policy(policy_ref.partition(":")[2])
            if policy_ref.startswith("fixture:")
            else load_policy(policy_ref)
        )
        population = mixed_population(400, seed=13)
        sweep = sweep_population(population, policy, parameter, low, high, 21, as_of=AS_OF)
        counts = sweep.tier_counts
        assert (counts.sum(axis=1) == len(population)).all()
        at_least_staged = counts[:, 1] + counts[:, 2]
        assert (np.diff(at_least_staged) <= 0).all()
        assert (np.diff(counts[:, 2]) <= 0).all()
        assert (sweep.high_tiers <= sweep.low_tiers).all()


class TestCounts:
    """Each step is the policy with that threshold, evaluated like any comparison."""

    def test_step_equals_comparison(self) -> None:
        """Tier and label counts at a step equal those of the moved policy compared directly."""
        policy = load_policy("illustrative-capability@1.0")
        population = mixed_population(300, seed=17)
        sweep = sweep_population(population, policy, "compute_line", 1e23, 1e27, 9, as_of=AS_OF)
        for step in (0, 4, 8):
            moved = policy.with_thresholds(compute_line=float(sweep.values[step]))
            outcome = evaluate_outcome(population, moved, AS_OF)
            assert sweep.tier_counts[step].tolist() == list(outcome.tier_counts().values())
            for label, count in outcome.label_counts().items():
                assert int(sweep.label_counts[label][step]) == count

    def test_log_grid_hits_decades_exactly(self) -> None:
        """A log sweep over decades contains the literal 1e25, so '>= 1e25' is tested exactly there."""
        values = sweep_values(1e22, 1e28, 7, "log")
        assert 1e25 in values.tolist()
        assert values[0] == 1e22 and values[-1] == 1e28

    def test_compute_parameters_sweep_on_a_log_scale(self) -> None:
        """The scale is log for thresholds compared with compute, linear otherwise."""
        policy = load_policy("illustrative-capability@1.0")
        population = mixed_population(20, seed=1)
        assert sweep_population(population, policy, "compute_line", 1e22, 1e28, 4, as_of=AS_OF).scale == "log"
        assert sweep_population(population, policy, "elevated", 0, 1, 4, as_of=AS_OF).scale == "linear"


class TestFlips:
    """A model's flip value is where decide() changes its tier, to the double."""

    @pytest.mark.parametrize(
        ("policy_ref", "parameter", "low", "high"),
        [
            ("illustrative-capability@1.0", "compute_line", 1e22, 1e28),
            ("illustrative-capability@1.0", "elevated", 0.0, 1.0),
            ("eu-ai-act", "systemic_risk_compute", 1e22, 1e28),
        ],
    )
    def test_flips_are_exact(self, policy_ref: str, parameter: str, low: float, high: float) -> None:
        """At the flip value and one double beyond it, decide() gives the tiers the sweep reports."""
        policy = load_policy(policy_ref)
        population = mixed_population(250, seed=23)
        sweep = sweep_population(population, policy, parameter, low, high, 5, as_of=AS_OF)
        flips = sweep.flips()
        assert flips
        for flip in flips[:: max(1, len(flips) // 25)]:
            candidate = population.candidate(flip.row)
            at = decide(candidate, policy.with_thresholds(**{parameter: flip.value}), as_of=AS_OF).tier
            above = math.nextafter(flip.value, math.inf)
            below = math.nextafter(flip.value, -math.inf)
            after = decide(candidate, policy.with_thresholds(**{parameter: above}), as_of=AS_OF).tier
            before = decide(candidate, policy.with_thresholds(**{parameter: below}), as_of=AS_OF).tier
            assert before == Tier(flip.before)
            assert after == Tier(flip.after)
            assert at == Tier(flip.before if flip.inclusive else flip.after)

    def test_every_change_is_a_flip(self) -> None:
        """Rows whose tier differs between the ends of the range are exactly the rows that flip."""
        policy = load_policy("illustrative-capability@1.0")
        population = mixed_population(300, seed=29)
        sweep = sweep_population(population, policy, "compute_line", 1e22, 1e28, 3, as_of=AS_OF)
        changed = np.flatnonzero(sweep.low_tiers != sweep.high_tiers)
        assert sweep.flipping_rows().tolist() == changed.tolist()

    def test_strict_line_in_the_real_population(self) -> None:
        """Under '> line', the synthetic model at exactly 1e25 flips at 1e25 and is open at the value itself."""
        population = load_population(BOUNDARY)
        sweep = sweep_population(population, fixture_policy("raw-line"), "line", 1e24, 1e26, 5, as_of=AS_OF)
        flip = next(f for f in sweep.flips() if population.name(f.row) == "At the line")
        assert (flip.value, flip.before, flip.after, flip.inclusive) == (1e25, "staged", "open", False)


class TestErrors:
    """Bad sweeps are refused with a message naming what to fix."""

    def test_refusals(self) -> None:
        """Unknown parameter, bad range, bad steps, log scale through zero."""
        policy = load_policy("illustrative-capability@1.0")
        population = mixed_population(5, seed=1)
        with pytest.raises(InputError, match="compute_line"):
            sweep_population(population, policy, "nope", 1, 2, 3, as_of=AS_OF)
        with pytest.raises(InputError, match="NAME=LOW..HIGH"):
            parse_param_range("compute_line:1e24-1e26")
        with pytest.raises(InputError, match="LOW < HIGH"):
            parse_param_range("compute_line=1e26..1e24")
        with pytest.raises(InputError, match="--steps"):
            sweep_population(population, policy, "compute_line", 1e24, 1e26, 1, as_of=AS_OF)
        with pytest.raises(InputError, match="LOW > 0"):
            sweep_population(population, policy, "compute_line", 0, 1e26, 5, as_of=AS_OF, scale="log")
        assert parse_param_range(" compute_line = 1e24 .. 1e26 ") == ("compute_line", 1e24, 1e26)
