"""Threshold sweeps: counts per tier and label as one named threshold moves, and where each model flips.

:func:`sweep_population` moves one of a policy's named thresholds (``parameters.thresholds``) over a
range, on a log scale for thresholds that compare training compute and a linear one otherwise, and
evaluates the policy over the whole population at each step with the vectorised evaluator (each
step is :meth:`~governance.policy.Policy.with_thresholds`, a real policy version).

Flips are exact, not read off the grid. A model's tier can change only where the threshold crosses
one of the model's own values of the features the threshold is compared with; the sweep evaluates
the policy with a per-model threshold at each such value and at the doubles just above and below
it, so every change inside the range is found, with the exact value at which it happens.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from governance.compare.comparison import COMPUTE_FEATURES, TIERS
from governance.compare.population import SILENT, Population, Reporter
from governance.compiled import CompiledPolicy
from governance.exceptions import InputError
from governance.policy import Atom, Condition, Policy
from governance.vectorised import VectorisedPolicy

__all__ = [
    "Flip",
    "Scale",
    "Sweep",
    "parameter_features",
    "parse_param_range",
    "sweep_population",
    "sweep_values",
]

FloatArray = npt.NDArray[np.float64]
Scale = Literal["log", "linear"]

_RANGE = re.compile(r"^\s*([a-z0-9][a-z0-9_.\-]*)\s*=\s*(\S+?)\s*\.\.\s*(\S+)\s*$")
_OPS = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}
_CHUNK = 200_000
_MAX_STEPS = 10_000


def parse_param_range(text: str) -> tuple[str, float, float]:
    """Parse ``NAME=LOW..HIGH`` (e.g. ``compute_line=1e24..1e27``) into its parts.

    Raises:
        InputError: the text is not of that form, or LOW is not below HIGH.
    """
    match = _RANGE.match(text)
    if not match:
        raise InputError(f"--param {text!r}: expected NAME=LOW..HIGH, e.g. compute_line=1e24..1e27")
    name, low_text, high_text = match.groups()
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise InputError(f"--param {text!r}: LOW and HIGH must be numbers") from None
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise InputError(f"--param {text!r}: expected finite LOW < HIGH")
    return name, low, high


def parameter_features(policy: Policy, name: str) -> tuple[str, ...]:
    """The features the threshold ``name`` is compared with, in order of first use."""
    found: dict[str, None] = {}
    for rule in policy.rules:
        for atom in rule.when.atoms():
            if atom.param == name:
                found.setdefault(atom.feature, None)
    return tuple(found)


def _check(policy: Policy, name: str) -> None:
    if name not in policy.parameters.thresholds:
        known = ", ".join(sorted(policy.parameters.thresholds)) or "none"
        raise InputError(f"{policy.ref} has no threshold {name!r}; its named thresholds: {known}")


def sweep_values(low: float, high: float, steps: int, scale: Scale) -> FloatArray:
    """``steps`` values from ``low`` to ``high`` inclusive; log-scale values snap to 12 significant digits."""
    if steps < 2 or steps > _MAX_STEPS:
        raise InputError(f"--steps {steps}: expected 2 to {_MAX_STEPS}")
    if scale == "log":
        if low <= 0:
            raise InputError(f"a log-scale sweep needs LOW > 0 (got {low:g}); use --scale linear")
        raw = np.logspace(math.log10(low), math.log10(high), steps)
        values = np.array([float(f"{v:.12g}") for v in raw], dtype=np.float64)
    else:
        values = np.linspace(low, high, steps)
    values[0], values[-1] = low, high
    return values


@dataclass(frozen=True)
class Flip:
    """A model's tier changes as the threshold rises past ``value``."""

    row: int
    value: float
    """The model's own feature value at which the change happens."""
    before: str
    """The tier while the threshold is below ``value`` (and at it when ``inclusive``)."""
    after: str
    """The tier once the threshold is above ``value`` (and at it when not ``inclusive``)."""
    inclusive: bool
    """True when a threshold exactly at ``value`` still gives ``before`` (a ``>=`` comparison)."""


@dataclass(frozen=True, eq=False)
class Sweep:
    """Counts per tier and label at each value of one threshold, and each model's flips."""

    policy: Policy
    parameter: str
    features: tuple[str, ...]
    scale: Scale
    values: FloatArray
    tier_counts: npt.NDArray[np.int64]
    """``tier_counts[step, rank]``."""
    label_counts: Mapping[str, npt.NDArray[np.int64]]
    low_tiers: npt.NDArray[np.int8]
    high_tiers: npt.NDArray[np.int8]
    flip_table: _FlipTable
    """Every change of tier inside the range, ordered by value then row."""

    @property
    def current(self) -> float:
        """The threshold's value in the policy."""
        return self.policy.parameters.thresholds[self.parameter]

    def flipping_rows(self) -> npt.NDArray[np.intp]:
        """Rows whose tier changes somewhere in the range."""
        return np.unique(self.flip_table.rows)

    def flips(self, limit: int | None = None) -> list[Flip]:
        """The tier changes, by value then row (the first ``limit`` of them)."""
        table = self.flip_table
        count = len(table.rows) if limit is None else min(limit, len(table.rows))
        return [
            Flip(
                int(table.rows[i]),
                float(table.values[i]),
                TIERS[int(table.before[i])].value,
                TIERS[int(table.after[i])].value,
                bool(table.inclusive[i]),
            )
            for i in range(count)
        ]

    def first_flip(self) -> dict[int, Flip]:
        """Per flipping row, its first change as the threshold rises."""
        out: dict[int, Flip] = {}
        for flip in self.flips():
            out.setdefault(flip.row, flip)
        return out

    def _repr_html_(self) -> str:
        """The sweep as escaped, self-contained HTML (Jupyter shows it for a cell's last value)."""
        from governance._html import sweep_html

        return sweep_html(self)

    def document(self, population: Population, *, limit: int | None = None) -> dict[str, Any]:
        """The sweep as JSON-ready data; ``limit`` caps the list of flips."""
        shown = self.flips(limit)
        return {
            "policy": {"ref": self.policy.ref, "digest": self.policy.digest},
            "parameter": self.parameter,
            "features": list(self.features),
            "current": self.current,
            "scale": self.scale,
            "values": [float(v) for v in self.values],
            "tiers": {tier.value: [int(c) for c in self.tier_counts[:, tier.rank]] for tier in TIERS},
            "labels": {label: [int(c) for c in counts] for label, counts in self.label_counts.items()},
            "flipping_models": len(self.flipping_rows()),
            "flip_count": len(self.flip_table.rows),
            "flips": [
                {
                    "model": population.label(f.row),
                    "value": f.value,
                    "from": f.before,
                    "to": f.after,
                    "inclusive": f.inclusive,
                }
                for f in shown
            ],
        }


@dataclass(frozen=True)
class _FlipTable:
    rows: npt.NDArray[np.intp]
    values: FloatArray
    before: npt.NDArray[np.int8]
    after: npt.NDArray[np.int8]
    inclusive: npt.NDArray[np.bool_]

    @classmethod
    def join(cls, parts: list[_FlipTable]) -> _FlipTable:
        if not parts:
            empty = np.zeros(0)
            return cls(empty.astype(np.intp), empty, empty.astype(np.int8), empty.astype(np.int8), empty.astype(bool))
        rows = np.concatenate([p.rows for p in parts])
        values = np.concatenate([p.values for p in parts])
        order = np.lexsort((rows, values))
        return cls(
            rows[order],
            values[order],
            np.concatenate([p.before for p in parts])[order],
            np.concatenate([p.after for p in parts])[order],
            np.concatenate([p.inclusive for p in parts])[order],
        )


def _holds(
    item: Atom | Condition, policy: Policy, arrays: Mapping[str, FloatArray], name: str, threshold: FloatArray
) -> npt.NDArray[np.bool_]:
    if isinstance(item, Atom):
        value: FloatArray | float = threshold if item.param == name else policy.threshold(item)
        result: npt.NDArray[np.bool_] = _OPS[item.op](arrays[item.feature], value)
        return result
    parts = [_holds(sub, policy, arrays, name, threshold) for sub in item.items]
    combined = parts[0].copy()
    combine = np.logical_and if item.kind == "all" else np.logical_or
    for part in parts[1:]:
        combine(combined, part, out=combined)
    return combined


def _tiers_with(
    policy: Policy,
    arrays: Mapping[str, FloatArray],
    name: str,
    threshold: FloatArray,
    floor: npt.NDArray[np.int8],
) -> npt.NDArray[np.int8]:
    """The tier of each row with threshold ``name`` set to a per-row value (same rules as the evaluator)."""
    tiers = floor.copy()
    for rule in policy.rules:
        rank = rule.tier.rank
        if rank:
            holds = _holds(rule.when, policy, arrays, name, threshold)
            np.maximum(tiers, holds.view(np.int8) * np.int8(rank), out=tiers)
    return tiers


def _floor(policy: Policy, arrays: Mapping[str, FloatArray], n: int) -> npt.NDArray[np.int8]:
    floor = np.zeros(n, dtype=np.int8)
    if policy.evidence.required_domains:
        gap = np.zeros(n, dtype=np.bool_)
        for domain in policy.evidence.required_domains:
            gap |= arrays[f"evidence_gap.{domain}"] >= 1.0
        floor = gap.view(np.int8) * np.int8(policy.evidence.if_missing_tier.rank)
    return floor


def _flips(
    policy: Policy,
    arrays: Mapping[str, FloatArray],
    name: str,
    features: tuple[str, ...],
    low: float,
    high: float,
    floor: npt.NDArray[np.int8],
    rows: npt.NDArray[np.intp],
) -> _FlipTable:
    """Every tier change of ``rows`` with the threshold inside ``[low, high]``."""
    if not features:
        return _FlipTable.join([])
    chunk_arrays = {f: a[rows] for f, a in arrays.items()}
    n = len(rows)
    samples: list[FloatArray] = [np.full(n, low), np.full(n, high)]
    kinds: list[int] = [0, 0]  # 0 endpoint, 1 the model's own value, 2 a neighbouring double
    for feature in features:
        own = chunk_arrays[feature]
        samples += [own, np.nextafter(own, np.inf), np.nextafter(own, -np.inf)]
        kinds += [1, 2, 2]
    points = np.vstack(samples)
    kind = np.repeat(np.asarray(kinds, dtype=np.int8)[:, None], n, axis=1)
    points[(points < low) | (points > high) | ~np.isfinite(points)] = np.nan
    tiers = np.vstack(
        [_tiers_with(policy, chunk_arrays, name, np.where(np.isnan(p), low, p), floor[rows]) for p in points]
    )
    order = np.argsort(points, axis=0, kind="stable")
    points = np.take_along_axis(points, order, axis=0)
    tiers = np.take_along_axis(tiers, order, axis=0)
    kind = np.take_along_axis(kind, order, axis=0)
    valid = ~np.isnan(points)
    change = (tiers[1:] != tiers[:-1]) & valid[1:] & valid[:-1]
    steps, columns = np.nonzero(change)
    at_left = kind[steps, columns] == 1
    values = np.where(at_left, points[steps, columns], points[steps + 1, columns])
    return _FlipTable(rows[columns], values, tiers[steps, columns], tiers[steps + 1, columns], at_left)


def sweep_population(
    population: Population,
    policy: Policy,
    parameter: str,
    low: float,
    high: float,
    steps: int,
    *,
    as_of: dt.date,
    scale: Scale | None = None,
    reporter: Reporter | None = None,
) -> Sweep:
    """Move threshold ``parameter`` of ``policy`` from ``low`` to ``high`` over ``population``.

    Args:
        population: the models.
        policy: the policy whose named threshold moves.
        parameter: a key of ``policy.parameters.thresholds``.
        low: the first value.
        high: the last value.
        steps: how many values, both ends included.
        as_of: the decision date (ages efficiency-adjusted compute).
        scale: ``log`` or ``linear``; by default log when the threshold is compared with training compute.
        reporter: progress of the steps.

    Raises:
        InputError: unknown parameter, bad range or step count.
    """
    _check(policy, parameter)
    features = parameter_features(policy, parameter)
    chosen: Scale = scale or ("log" if any(f in COMPUTE_FEATURES for f in features) else "linear")
    values = sweep_values(low, high, steps, chosen)
    progress = reporter or SILENT
    base = VectorisedPolicy(CompiledPolicy(policy))
    arrays = population.feature_arrays(policy, as_of, base.features)
    n = len(population)
    labels = sorted({label for rule in policy.rules for label in rule.labels})
    floor_labels = policy.evidence.if_missing_labels if policy.evidence.required_domains else ()
    labels = sorted({*labels, *floor_labels})
    floor = _floor(policy, arrays, n)
    tier_counts = np.zeros((len(values), 3), dtype=np.int64)
    label_counts = {label: np.zeros(len(values), dtype=np.int64) for label in labels}
    low_tiers = high_tiers = np.zeros(n, dtype=np.int8)
    progress.start(f"sweeping {parameter}", len(values) + max(1, n // _CHUNK))
    for step, value in enumerate(values):
        moved = policy.with_thresholds(**{parameter: float(value)})
        result = VectorisedPolicy(CompiledPolicy(moved)).evaluate(arrays)
        tier_counts[step] = np.bincount(result.tiers, minlength=3)
        for label in labels:
            mask = floor > 0 if label in floor_labels else np.zeros(n, dtype=np.bool_)
            for index, rule in enumerate(moved.rules):
                if label in rule.labels:
                    mask = mask | result.fired[index]
            label_counts[label][step] = int(mask.sum())
        if step == 0:
            low_tiers = result.tiers
        if step == len(values) - 1:
            high_tiers = result.tiers
        progress.advance(1)
    parts: list[_FlipTable] = []
    rising = [f for f in features if any(f == a.feature for r in policy.rules if r.tier.rank for a in r.when.atoms())]
    for begin in range(0, n, _CHUNK):
        rows = np.arange(begin, min(n, begin + _CHUNK), dtype=np.intp)
        parts.append(_flips(policy, arrays, parameter, tuple(rising), float(values[0]), float(values[-1]), floor, rows))
        progress.advance(1)
    progress.finish()
    return Sweep(
        policy,
        parameter,
        features,
        chosen,
        values,
        tier_counts,
        label_counts,
        low_tiers,
        high_tiers,
        _FlipTable.join(parts),
    )
