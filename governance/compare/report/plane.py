"""Decision regions on the compute x capability plane, for one policy.

The plane is a slice through feature space: training compute on one axis (log scale), one
capability score shared by every risk domain on the other, and every other input fixed (the release
form asked for, the decision date as the end of training, developer revenue and parameter count
unknown, so never read as below a threshold). Each cell is a synthetic candidate decided by the
vectorised evaluator, exactly as :func:`governance.decide` would decide it. Two extra strips show
unknown capability (top) and unknown compute (right), because unknowns fail closed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from governance.candidate import ReleaseForm
from governance.compare.comparison import evaluate_outcome
from governance.compare.population import Population
from governance.features import policy_domains
from governance.policy import Policy

__all__ = ["Plane", "decision_plane"]


@dataclass(frozen=True)
class Plane:
    """Tiers on a grid of (compute, capability), plus the unknown strips."""

    policy: Policy
    as_of: dt.date
    form: ReleaseForm
    flops: npt.NDArray[np.float64]
    """Cell centres along the compute axis (log-spaced)."""
    scores: npt.NDArray[np.float64]
    """Cell centres along the capability axis."""
    tiers: npt.NDArray[np.int8]
    """``tiers[i, j]``: tier rank at ``scores[i]``, ``flops[j]``."""
    unknown_capability: npt.NDArray[np.int8]
    """Tier per compute cell when every capability is unknown."""
    unknown_compute: npt.NDArray[np.int8]
    """Tier per capability cell when compute is unknown."""
    unknown_both: int
    flop_range: tuple[float, float]


def decision_plane(
    policy: Policy,
    *,
    as_of: dt.date,
    form: ReleaseForm = ReleaseForm.OPEN_WEIGHTS,
    flop_range: tuple[float, float] = (1e20, 1e28),
    columns: int = 96,
    rows: int = 50,
) -> Plane:
    """Decide every cell of the plane for ``policy``."""
    low, high = math.log10(flop_range[0]), math.log10(flop_range[1])
    flops = 10.0 ** (low + (np.arange(columns) + 0.5) * (high - low) / columns)
    scores = (np.arange(rows) + 0.5) / rows
    xs = np.concatenate([np.tile(flops, rows), flops, np.full(rows, np.nan), [np.nan]])
    ys = np.concatenate([np.repeat(scores, columns), np.full(columns, np.nan), scores, [np.nan]])
    n = len(xs)
    domains = policy_domains(policy)
    population = Population.from_columns(
        [f"cell {i}" for i in range(n)],
        source=f"decision plane of {policy.ref}",
        training_flop=xs,
        capabilities=dict.fromkeys(domains, ys),
        openness=[form] * n,
        release=np.full(n, np.datetime64(as_of, "D")),
    )
    tiers = evaluate_outcome(population, policy, as_of).tiers
    grid = tiers[: rows * columns].reshape(rows, columns)
    return Plane(
        policy=policy,
        as_of=as_of,
        form=form,
        flops=flops,
        scores=scores,
        tiers=grid,
        unknown_capability=tiers[rows * columns : rows * columns + columns],
        unknown_compute=tiers[rows * columns + columns : rows * columns + columns + rows],
        unknown_both=int(tiers[-1]),
        flop_range=flop_range,
    )
