"""How a compute threshold ages as training gets cheaper.

Algorithmic progress halves the compute needed for a fixed capability about every 8 months (Ho et
al. 2024, arXiv 2403.05812; 95% CI about 5 to 14 months). A line drawn at ``T`` FLOP on a reference
date therefore stands, ``m`` months later, for the capability that ``T / 2^(m/h)`` FLOP then buys:
the raw-compute line that catches the same capability falls tenfold every ``h * log2(10)`` months
(about 27 months at 8). A policy whose threshold reads ``effective_flop`` follows that line by
construction; a policy with a fixed raw line does not, and :func:`compute_ageing` shows the difference.

For each year the line on 1 January is computed at the central halving time and at both ends of the
band, and the population's models are counted against it exactly as the engine would: a model is
caught when its compute times the efficiency factor of that date meets the threshold (``>=`` or
``>`` as the policy writes it). Models with unknown compute are always caught (fail closed) and are
counted separately.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from governance.compare._halving import HALVING_BAND, HALVING_MONTHS, HALVING_SOURCE
from governance.compare.comparison import COMPUTE_FEATURES
from governance.compare.population import Population
from governance.exceptions import InputError
from governance.features import DAYS_PER_MONTH, months_between
from governance.policy import Policy

__all__ = [
    "HALVING_BAND",
    "HALVING_MONTHS",
    "HALVING_SOURCE",
    "Ageing",
    "AgeingLine",
    "ComputeThreshold",
    "compute_ageing",
    "compute_thresholds",
    "tenfold_date",
]

_OPS = {">=": np.greater_equal, ">": np.greater}
_LOG2_10 = math.log2(10.0)


def tenfold_date(reference: dt.date, halving_months: float) -> dt.date:
    """The date by which a fixed-capability compute line has fallen tenfold."""
    days = halving_months * _LOG2_10 * DAYS_PER_MONTH
    return reference + dt.timedelta(days=round(days))


def _factor(reference: dt.date, day: dt.date, halving_months: float) -> float:
    """The efficiency factor, computed as :func:`governance.features.efficiency_factor` does."""
    return float(2.0 ** (months_between(reference, day) / halving_months))


@dataclass(frozen=True)
class ComputeThreshold:
    """A lower-bound compute test in a tier-raising rule."""

    feature: str
    op: str
    value: float
    parameter: str | None
    rules: tuple[str, ...]


def compute_thresholds(policy: Policy) -> list[ComputeThreshold]:
    """The distinct compute thresholds of ``policy``'s tier-raising and labelling rules, ascending."""
    found: dict[tuple[str, str, float, str | None], list[str]] = {}
    for rule in policy.rules:
        for atom in rule.when.atoms():
            if atom.feature in COMPUTE_FEATURES and atom.is_lower_bound:
                key = (atom.feature, atom.op, policy.threshold(atom), atom.param)
                found.setdefault(key, []).append(rule.id)
    return [
        ComputeThreshold(feature, op, value, param, tuple(dict.fromkeys(rules)))
        for (feature, op, value, param), rules in sorted(found.items(), key=lambda item: (item[0][2], item[0][0]))
    ]


@dataclass(frozen=True)
class AgeingLine:
    """The line at one halving time: its tenfold date, its value and the models it catches each year."""

    halving_months: float
    tenfold: dt.date
    lines: tuple[float, ...]
    """Raw FLOP that matches the threshold's capability on 1 January of each year."""
    caught: tuple[int, ...]
    """Models (known compute) at or above each year's line."""


@dataclass(frozen=True, eq=False)
class Ageing:
    """How one compute threshold ages, at the central halving time and at both ends of the band."""

    policy: Policy
    threshold: ComputeThreshold
    reference_date: dt.date
    adjusts: bool
    """True when the policy itself ages this line (it reads ``effective_flop`` with a halving time)."""
    years: tuple[int, ...]
    central: AgeingLine
    fast: AgeingLine
    """The shortest halving time of the band: the line falls fastest."""
    slow: AgeingLine
    fixed_caught: int
    """Models (known compute) the unadjusted line catches."""
    unknown: int
    """Models with unknown compute: caught by every line (fail closed)."""
    total: int
    compute: npt.NDArray[np.float64]
    """The compute each model is counted with (inf when unknown)."""

    def document(self) -> dict[str, Any]:
        """The result as JSON-ready data."""

        def line(item: AgeingLine) -> dict[str, Any]:
            return {
                "halving_months": item.halving_months,
                "tenfold_date": item.tenfold.isoformat(),
                "lines": list(item.lines),
                "caught": list(item.caught),
            }

        return {
            "policy": {"ref": self.policy.ref, "digest": self.policy.digest},
            "threshold": {
                "feature": self.threshold.feature,
                "op": self.threshold.op,
                "value": self.threshold.value,
                "parameter": self.threshold.parameter,
                "rules": list(self.threshold.rules),
            },
            "reference_date": self.reference_date.isoformat(),
            "policy_adjusts_for_efficiency": self.adjusts,
            "source": HALVING_SOURCE,
            "years": list(self.years),
            "central": line(self.central),
            "fast": line(self.fast),
            "slow": line(self.slow),
            "fixed_line_caught": self.fixed_caught,
            "unknown_compute": self.unknown,
            "population": self.total,
        }


def _pick(policy: Policy, parameter: str | None, threshold: float | None) -> ComputeThreshold:
    options = compute_thresholds(policy)
    if threshold is not None:
        if not (math.isfinite(threshold) and threshold > 0):
            raise InputError(f"--threshold {threshold!r}: expected a positive number of FLOP")
        matching = [o for o in options if o.value == threshold]
        if matching:
            return matching[0]
        return ComputeThreshold("training_flop", ">=", threshold, None, ())
    if parameter is not None:
        matching = [o for o in options if o.parameter == parameter]
        if not matching:
            named = sorted({o.parameter for o in options if o.parameter}) or ["none"]
            raise InputError(
                f"{policy.ref}: threshold {parameter!r} is not compared with training compute; "
                f"compute thresholds by name: {', '.join(named)}"
            )
        return matching[0]
    if not options:
        raise InputError(f"{policy.ref} has no compute threshold; give one with --threshold FLOP")
    values = sorted({o.value for o in options})
    if len(values) > 1:
        listed = ", ".join(f"{o.value:g} ({o.parameter or o.feature})" for o in options)
        raise InputError(
            f"{policy.ref} has several compute thresholds ({listed}); choose one with --param or --threshold"
        )
    return options[0]


def compute_ageing(
    population: Population,
    policy: Policy,
    *,
    as_of: dt.date,
    parameter: str | None = None,
    threshold: float | None = None,
    halving_months: float | None = None,
    band: tuple[float, float] = HALVING_BAND,
    reference_date: dt.date | None = None,
    years: tuple[int, int] | None = None,
) -> Ageing:
    """How a compute threshold of ``policy`` ages, and how many models each year's line catches.

    Args:
        population: the models counted against the line.
        policy: the policy the threshold belongs to (its compute stance resolves intervals).
        as_of: the decision date (used for the compute stance only).
        parameter: the named threshold to age; by default the policy's only compute threshold.
        threshold: a compute value in FLOP instead of a named threshold.
        halving_months: the central halving time; the policy's own, else 8 (Ho et al. 2024).
        band: the range of halving times shown as a band.
        reference_date: when the line equals raw compute; the policy's own, else its start date.
        years: first and last year (inclusive); by default three years before the reference to six after.

    Raises:
        InputError: no usable threshold, or a bad band or year range.
    """
    chosen = _pick(policy, parameter, threshold)
    params = policy.parameters
    adjusts = chosen.feature == "effective_flop" and params.halving_months is not None
    central = halving_months or params.halving_months or HALVING_MONTHS
    fast, slow = band
    if not (0 < fast <= central <= slow):
        raise InputError(f"--band {fast:g}..{slow:g}: expected 0 < LOW <= halving time ({central:g}) <= HIGH")
    reference = reference_date or params.reference_date or policy.effective.start
    first, last = years or (reference.year - 3, reference.year + 6)
    if first > last or last - first > 200:
        raise InputError(f"--years {first}..{last}: expected FIRST <= LAST, at most 200 years apart")
    feature = "training_flop_total" if chosen.feature == "training_flop_total" else "training_flop"
    compute = population.feature_arrays(policy, as_of, [feature])[feature]
    known = np.isfinite(compute)
    known_compute = compute[known]
    year_list = tuple(range(first, last + 1))
    op = _OPS[chosen.op]

    def line(halving: float) -> AgeingLine:
        lines: list[float] = []
        caught: list[int] = []
        for year in year_list:
            factor = _factor(reference, dt.date(year, 1, 1), halving)
            lines.append(chosen.value / factor)
            caught.append(int(op(known_compute * factor, chosen.value).sum()))
        return AgeingLine(halving, tenfold_date(reference, halving), tuple(lines), tuple(caught))

    return Ageing(
        policy=policy,
        threshold=chosen,
        reference_date=reference,
        adjusts=adjusts,
        years=year_list,
        central=line(central),
        fast=line(fast),
        slow=line(slow),
        fixed_caught=int(op(known_compute, chosen.value).sum()),
        unknown=int((~known).sum()),
        total=len(population),
        compute=compute,
    )
