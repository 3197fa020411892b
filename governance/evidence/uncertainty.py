"""Uncertainty of one evaluation result: an interval at the confidence a policy declares.

A result's interval comes from what the run reports, in this order:

1. a standard error: ``score ± z · stderr`` with ``z`` the two-sided normal quantile of the
   confidence (1.96 at 95%);
2. a reported interval ``[lower, upper]``, used as given;
3. for a proportion with a sample count only: the Wilson score interval;
4. nothing: the point estimate alone (the result is flagged).

For a proportion whose sample count is known, a reported standard error or interval is widened to
the Wilson interval where that is wider: a normal-approximation error collapses to 0 at scores of 0
and 1 (``stderr: 0.0`` from one sample proves nothing), and the Wilson interval does not. Every
interval is clipped to the values the measure can take.

The Wilson interval narrows as samples grow (for a fixed score) and its upper end rises with the
score; both properties are what a policy reading the upper end relies on, and both are tested.
All outputs are rounded to 12 decimal places so that decisions are byte-identical across platforms
whose ``log`` differs in the last bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from statistics import NormalDist
from typing import Literal

__all__ = ["RawInterval", "Uncertainty", "raw_interval", "wilson_interval", "z_value"]

Uncertainty = Literal["stderr", "interval", "wilson", "stderr+wilson", "interval+wilson", "none"]

_DIGITS = 12


def _round(value: float) -> float:
    return value if math.isinf(value) else round(value, _DIGITS)


@cache
def z_value(confidence: float) -> float:
    """The two-sided standard-normal quantile for ``confidence`` (1.959963984540 at 0.95)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return _round(NormalDist().inv_cdf((1.0 + confidence) / 2.0))


def wilson_interval(score: float, samples: int, confidence: float) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``score`` observed on ``samples`` items.

    Args:
        score: the observed share in [0, 1].
        samples: the number of items (at least 1).
        confidence: two-sided confidence, e.g. 0.95.

    Returns:
        ``(lower, upper)``, within [0, 1].
    """
    if samples < 1:
        raise ValueError("a Wilson interval needs at least one sample")
    p = min(1.0, max(0.0, score))
    z = z_value(confidence)
    z2 = z * z
    denominator = 1.0 + z2 / samples
    centre = (p + z2 / (2.0 * samples)) / denominator
    half = (z / denominator) * math.sqrt(p * (1.0 - p) / samples + z2 / (4.0 * samples * samples))
    return _round(max(0.0, centre - half)), _round(min(1.0, centre + half))


@dataclass(frozen=True)
class RawInterval:
    """A result's interval on its benchmark's raw scale, and how it was obtained."""

    score: float
    lower: float
    upper: float
    method: Uncertainty
    confidence: float


def raw_interval(
    score: float,
    *,
    stderr: float | None,
    interval: tuple[float, float] | None,
    samples: int | None,
    proportion: bool,
    confidence: float,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> RawInterval:
    """The interval of one result at ``confidence`` (see the module docstring for the order).

    Args:
        score: the reported point estimate.
        stderr: the reported standard error, if any.
        interval: the reported ``[lower, upper]``, if any.
        samples: the number of items scored, if known.
        proportion: True when the score is a share of items (a Wilson interval applies).
        confidence: the two-sided confidence the policy declares.
        bounds: the values the measure can take; the interval is clipped to them.

    Returns:
        The interval, with the method that produced it.
    """
    low_bound, high_bound = bounds
    method: Uncertainty
    if stderr is not None:
        z = z_value(confidence)
        lower, upper, method = score - z * stderr, score + z * stderr, "stderr"
    elif interval is not None:
        lower, upper, method = min(interval[0], score), max(interval[1], score), "interval"
    elif proportion and samples is not None:
        lower, upper = wilson_interval(score, samples, confidence)
        method = "wilson"
    else:
        lower, upper, method = score, score, "none"
    if proportion and samples is not None and method in ("stderr", "interval"):
        w_lower, w_upper = wilson_interval(score, samples, confidence)
        if w_upper > upper or w_lower < lower:
            lower, upper = min(lower, w_lower), max(upper, w_upper)
            method = "stderr+wilson" if method == "stderr" else "interval+wilson"
    lower = min(max(lower, low_bound), high_bound)
    upper = max(min(upper, high_bound), low_bound)
    return RawInterval(_round(score), _round(lower), _round(upper), method, confidence)
