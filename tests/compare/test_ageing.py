"""Ageing compute lines: the tenfold date, the counts per year, and agreement with the engine."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from governance import InputError, load_policy
from governance.compare.ageing import HALVING_BAND, compute_ageing, compute_thresholds, tenfold_date
from governance.compare.comparison import evaluate_outcome
from governance.compare.population import Population
from governance.compare.population_io import load_population
from tests.compare.support import AS_OF, NOTABLE, fixture_policy, mixed_population


class TestTenfold:
    """The line falls tenfold after halving_months * log2(10) months."""

    @pytest.mark.parametrize("halving", [5.0, 8.0, 14.0])
    def test_dates(self, halving: float) -> None:
        """The date is the reference plus that many mean Gregorian months, to the day."""
        reference = dt.date(2024, 8, 1)
        days = halving * math.log2(10) * 365.2425 / 12
        assert tenfold_date(reference, halving) == reference + dt.timedelta(days=round(days))

    def test_eight_months(self) -> None:
        """At 8 months (Ho et al. 2024) a line drawn on 2024-08-01 has fallen tenfold by mid-October 2026."""
        assert tenfold_date(dt.date(2024, 8, 1), 8.0) == dt.date(2026, 10, 19)


class TestCounts:
    """Each year's line catches what the engine would catch on that date."""

    def test_matches_the_engine(self) -> None:
        """For an efficiency-adjusted policy, the central count equals the rows the compute rule fires for
        when every model is dated 1 January of that year."""
        policy = fixture_policy("ageing-line")
        source = mixed_population(300, seed=41)
        ageing = compute_ageing(source, policy, as_of=AS_OF, years=(2023, 2027))
        assert ageing.adjusts
        for k, year in enumerate(ageing.years):
            day = np.datetime64(dt.date(year, 1, 1), "D")
            dated = Population.from_columns(
                source.names,
                training_flop=source.training_flop,
                training_flop_lower=source.training_flop_lower,
                training_flop_upper=source.training_flop_upper,
                release=np.full(len(source), day),
            )
            outcome = evaluate_outcome(dated, policy, AS_OF)
            rule = [r.id for r in policy.rules].index("effective-line")
            fired = outcome.fired[rule] | outcome.not_ruled_out[rule]
            known = np.isfinite(dated.feature_arrays(policy, AS_OF, ["training_flop"])["training_flop"])
            assert ageing.central.caught[k] == int((fired & known).sum()), year
            assert int((fired & ~known).sum()) == ageing.unknown

    def test_band_and_direction(self) -> None:
        """After the reference date the fast end of the band catches the most; counts grow year by year."""
        population = load_population(NOTABLE)
        ageing = compute_ageing(population, load_policy("illustrative-capability@1.0"), as_of=AS_OF)
        after = [k for k, y in enumerate(ageing.years) if y > ageing.reference_date.year]
        for k in after:
            assert ageing.fast.caught[k] >= ageing.central.caught[k] >= ageing.slow.caught[k]
        assert list(ageing.central.caught) == sorted(ageing.central.caught)
        assert ageing.unknown == 2  # Grok 3 (no estimate); Mistral Large 2 (a lower bound and no upper bound)
        assert (ageing.fast.halving_months, ageing.slow.halving_months) == HALVING_BAND

    def test_fixed_line(self) -> None:
        """A raw line (the EU's 1e25) does not age itself; its unadjusted count is the models above it."""
        population = load_population(NOTABLE)
        policy = load_policy("eu-ai-act")
        ageing = compute_ageing(population, policy, as_of=AS_OF, parameter="systemic_risk_compute")
        assert not ageing.adjusts
        assert ageing.central.halving_months == 8.0
        assert ageing.reference_date == policy.effective.start
        compute = ageing.compute[np.isfinite(ageing.compute)]
        assert ageing.fixed_caught == int((compute > 1e25).sum())
        assert ageing.document()["threshold"]["op"] == ">"


class TestChoosing:
    """Which threshold ages, and refusals."""

    def test_choices(self) -> None:
        """Several compute thresholds need --param or --threshold; a bare number is read as '>=' on raw compute."""
        policy = load_policy("eu-ai-act")
        population = load_population(NOTABLE)
        assert len({t.value for t in compute_thresholds(policy)}) > 1
        with pytest.raises(InputError, match="several compute thresholds"):
            compute_ageing(population, policy, as_of=AS_OF)
        with pytest.raises(InputError, match="not compared with training compute"):
            compute_ageing(population, policy, as_of=AS_OF, parameter="generality_parameters")
        chosen = compute_ageing(population, policy, as_of=AS_OF, threshold=3e25)
        assert (chosen.threshold.feature, chosen.threshold.op) == ("training_flop", ">=")
        with pytest.raises(InputError, match="no compute threshold"):
            compute_ageing(population, load_policy("anthropic-rsp"), as_of=AS_OF)
        with pytest.raises(InputError, match="--band"):
            compute_ageing(population, policy, as_of=AS_OF, threshold=1e25, band=(10, 12))
