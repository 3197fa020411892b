"""Seeded, edge-heavy random candidates and feature arrays for the benchmarks.

"Edge-heavy" means that many values sit exactly on a threshold or one double away from it
(``math.nextafter`` below and above), some are unknown (read as above every threshold: fail
closed), and some are the values whose ``repr`` uses an exponent without a ``.`` (``1e+25``,
``1e-05``), which durable_rules' JSON parser rejects. The rest are spread over the range around the
thresholds. The same seed always gives the same candidates.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "DOMAINS",
    "bench3_arrays",
    "bench3_documents",
    "edge_value",
    "illustrative_arrays",
    "illustrative_documents",
]

FloatArray = npt.NDArray[np.float64]

DOMAINS = ("bio", "chem", "nuclear", "cyber", "autonomy", "ai_rnd", "persuasion")
"""The built-in risk domains (as in ``governance.BUILTIN_DOMAINS``)."""

COMPUTE_LINES = (1.0e25, 1.0e26)
SCORE_LINES = (0.5, 0.8)
_COMPUTE_TRAPS = tuple(float(f"1e{k}") for k in range(16, 28))
_SCORE_TRAPS = (1e-05, 5e-05, 1e-07, 0.0001, 0.0, 1.0)
_FORMS = ("closed", "hosted", "api", "open_weights", "open_source")
_REFERENCE_DATE = dt.date(2024, 8, 1)
"""The illustrative policy's reference date: effective compute equals raw compute on it."""


def edge_value(
    rng: random.Random,
    thresholds: tuple[float, ...],
    traps: tuple[float, ...],
    spread: tuple[float, float],
    *,
    log: bool,
    edge: float,
    upper: float = math.inf,
) -> float:
    """One value: with probability ``edge`` on a threshold (half), one double below (a quarter) or
    above (a quarter); a trap value with probability 0.1; otherwise spread uniformly (or
    log-uniformly) over ``spread``."""
    r = rng.random()
    if r < edge:
        threshold = rng.choice(thresholds)
        side = rng.random()
        if side < 0.5:
            return threshold
        if side < 0.75:
            return math.nextafter(threshold, 0.0)
        return min(math.nextafter(threshold, math.inf), upper)
    if r < edge + 0.1:
        return rng.choice(traps)
    low, high = spread
    return 10.0 ** rng.uniform(low, high) if log else rng.uniform(low, high)


def bench3_documents(n: int, seed: int, *, unknown: float = 0.05) -> list[dict[str, Any]]:
    """Candidate documents for the 3-rule policy: compute and bio capability, each unknown with ``unknown``."""
    rng = random.Random(seed)
    documents: list[dict[str, Any]] = []
    for index in range(n):
        flop = (
            None
            if rng.random() < unknown
            else edge_value(rng, COMPUTE_LINES, _COMPUTE_TRAPS, (20, 26.5), log=True, edge=0.5)
        )
        capabilities: dict[str, float] = {}
        if rng.random() >= unknown:
            capabilities["bio"] = edge_value(rng, (0.8,), _SCORE_TRAPS, (0.0, 1.0), log=False, edge=0.2, upper=1.0)
        documents.append(
            {
                "model": {"name": f"bench-{seed}-{index}", "developer": "Benchmark Lab"},
                "compute": {"training_flop": flop},
                "capabilities": capabilities,
                "release": {"form": rng.choice(_FORMS)},
            }
        )
    return documents


def illustrative_documents(n: int, seed: int, *, unknown: float = 0.01) -> list[dict[str, Any]]:
    """Candidate documents for ``illustrative-capability``: every domain, release form, training date."""
    rng = random.Random(seed)
    documents: list[dict[str, Any]] = []
    for index in range(n):
        flop = (
            None if rng.random() < unknown else edge_value(rng, (1.0e25,), _COMPUTE_TRAPS, (21, 26), log=True, edge=0.4)
        )
        capabilities = {
            domain: edge_value(rng, SCORE_LINES, _SCORE_TRAPS, (0.0, 0.5), log=False, edge=0.05, upper=1.0)
            for domain in DOMAINS
            if rng.random() >= unknown
        }
        r = rng.random()
        if r < 0.5:
            training_end: str | None = _REFERENCE_DATE.isoformat()
        elif r < 0.8:
            training_end = (dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(1400))).isoformat()
        else:
            training_end = None
        compute: dict[str, Any] = {"training_flop": flop}
        if training_end is not None:
            compute["training_end"] = training_end
        documents.append(
            {
                "model": {"name": f"illustrative-{seed}-{index}", "developer": "Benchmark Lab"},
                "compute": compute,
                "capabilities": capabilities,
                "release": {"form": rng.choice(_FORMS), "license": "Apache-2.0"},
                "developer": {"name": "Benchmark Lab"},
            }
        )
    return documents


def _edge_array(
    rng: np.random.Generator,
    n: int,
    thresholds: tuple[float, ...],
    spread: tuple[float, float],
    *,
    log: bool,
    edge: float,
    unknown: float,
    upper: float = math.inf,
) -> FloatArray:
    """The array counterpart of :func:`edge_value` (without the trap values), ``inf`` for unknown."""
    kind = rng.random(n)
    side = rng.random(n)
    lines = np.asarray(thresholds, dtype=np.float64)[rng.integers(0, len(thresholds), n)]
    low, high = spread
    values = 10.0 ** rng.uniform(low, high, n) if log else rng.uniform(low, high, n)
    on_edge = kind < edge
    values = np.where(on_edge & (side < 0.5), lines, values)
    values = np.where(on_edge & (side >= 0.5) & (side < 0.75), np.nextafter(lines, 0.0), values)
    values = np.where(on_edge & (side >= 0.75), np.minimum(np.nextafter(lines, np.inf), upper), values)
    values[rng.random(n) < unknown] = np.inf
    return np.asarray(values, dtype=np.float64)


def bench3_arrays(n: int, seed: int, *, unknown: float = 0.05) -> dict[str, FloatArray]:
    """Feature arrays for the 3-rule policy (``training_flop``, ``capability.bio``)."""
    rng = np.random.default_rng(seed)
    return {
        "training_flop": _edge_array(rng, n, COMPUTE_LINES, (20, 26.5), log=True, edge=0.5, unknown=unknown),
        "capability.bio": _edge_array(rng, n, (0.8,), (0.0, 1.0), log=False, edge=0.2, unknown=unknown, upper=1.0),
    }


def illustrative_arrays(n: int, seed: int, *, unknown: float = 0.01) -> dict[str, FloatArray]:
    """Feature arrays for ``illustrative-capability``: effective compute, capabilities, gaps, openness."""
    rng = np.random.default_rng(seed)
    arrays: dict[str, FloatArray] = {
        "effective_flop": _edge_array(rng, n, (1.0e25,), (21, 26), log=True, edge=0.4, unknown=unknown),
        "release.openness": rng.integers(0, 5, n).astype(np.float64),
    }
    for domain in DOMAINS:
        scores = _edge_array(rng, n, SCORE_LINES, (0.0, 0.5), log=False, edge=0.05, unknown=unknown, upper=1.0)
        arrays[f"capability.{domain}"] = scores
        arrays[f"evidence_gap.{domain}"] = np.isinf(scores).astype(np.float64)
    return arrays
