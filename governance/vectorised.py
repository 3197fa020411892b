"""The vectorised evaluator: one policy over many candidates at once, with numpy.

It implements the same specification as the durable_rules path, from the same compiled policy: an
atom is one array comparison (shared between rules that test the same thing), a condition is a
logical and/or of its parts, the tier is the maximum rank among fired rules, and the
missing-evidence floor applies where a required domain has no evidence. Unknown inputs are ``inf``,
as in :mod:`governance.features`. Tests check that both paths agree on every candidate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from governance.candidate import Candidate
from governance.compiled import CompiledPolicy, compile_policy
from governance.exceptions import InputError
from governance.features import extract_features
from governance.policy import Atom, Condition, Policy
from governance.tiers import Tier

__all__ = ["PopulationResult", "VectorisedPolicy", "evaluate_population", "feature_arrays"]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

_OPS = {
    ">=": np.greater_equal,
    ">": np.greater,
    "<=": np.less_equal,
    "<": np.less,
}


@dataclass(frozen=True)
class PopulationResult:
    """Tiers and fired rules of one policy over a population, in input order."""

    policy: Policy
    tiers: npt.NDArray[np.int8]
    """Tier rank per candidate: 0 open, 1 staged, 2 restricted."""
    fired: BoolArray
    """``fired[i, j]`` is True when rule ``i`` fired for candidate ``j``."""

    def tier(self, index: int) -> Tier:
        """The tier of candidate ``index``."""
        return Tier.from_rank(int(self.tiers[index]))

    def fired_rules(self, index: int) -> list[str]:
        """Ids of the rules that fired for candidate ``index``, in policy order."""
        return [self.policy.rules[i].id for i in np.flatnonzero(self.fired[:, index])]

    def counts(self) -> dict[Tier, int]:
        """How many candidates fall in each tier."""
        ranks = np.bincount(self.tiers, minlength=3)
        return {Tier.from_rank(r): int(ranks[r]) for r in range(3)}


class VectorisedPolicy:
    """A compiled policy evaluated over arrays of feature values."""

    def __init__(self, compiled: CompiledPolicy) -> None:
        self.compiled = compiled
        self.policy = compiled.policy
        self.required_gaps = tuple(f"evidence_gap.{d}" for d in self.policy.evidence.required_domains)
        self.features = tuple(dict.fromkeys((*compiled.features, *self.required_gaps)))
        """Every array :meth:`evaluate` needs."""

    def _condition(
        self, item: Atom | Condition, arrays: Mapping[str, FloatArray], memo: dict[tuple[str, str, float], BoolArray]
    ) -> BoolArray:
        if isinstance(item, Atom):
            key = (item.feature, item.op, self.policy.threshold(item))
            result = memo.get(key)
            if result is None:
                result = _OPS[item.op](arrays[item.feature], key[2])
                memo[key] = result
            return result
        parts = [self._condition(sub, arrays, memo) for sub in item.items]
        combined = parts[0].copy() if len(parts) > 1 else parts[0]
        combine = np.logical_and if item.kind == "all" else np.logical_or
        for part in parts[1:]:
            combine(combined, part, out=combined)
        return combined

    def evaluate(self, arrays: Mapping[str, FloatArray]) -> PopulationResult:
        """Evaluate every rule over ``arrays`` (feature name to float64 array, all the same length)."""
        missing = [f for f in self.features if f not in arrays]
        if missing:
            raise InputError(f"feature arrays missing for {self.policy.ref}: {', '.join(missing)}")
        lengths = {len(arrays[f]) for f in self.features}
        if len(lengths) > 1:
            raise InputError("feature arrays differ in length")
        n = lengths.pop() if lengths else 0
        memo: dict[tuple[str, str, float], BoolArray] = {}
        fired = np.zeros((len(self.policy.rules), n), dtype=np.bool_)
        tiers = np.zeros(n, dtype=np.int8)
        for index, rule in enumerate(self.policy.rules):
            holds = self._condition(rule.when, arrays, memo)
            fired[index] = holds
            rank = rule.tier.rank
            if rank:
                np.maximum(tiers, holds.view(np.int8) * np.int8(rank), out=tiers)
        if self.required_gaps:
            floor = np.int8(self.policy.evidence.if_missing_tier.rank)
            gap = np.zeros(n, dtype=np.bool_)
            for name in self.required_gaps:
                np.logical_or(gap, arrays[name] >= 1.0, out=gap)
            np.maximum(tiers, gap.view(np.int8) * floor, out=tiers)
        return PopulationResult(self.policy, tiers, fired)


def feature_arrays(candidates: Sequence[Candidate], policy: Policy, as_of: dt.date) -> dict[str, FloatArray]:
    """Derive the feature arrays of ``candidates`` under ``policy`` (the per-candidate slow path)."""
    vectorised = VectorisedPolicy(compile_policy(policy))
    columns: dict[str, list[float]] = {name: [] for name in vectorised.features}
    for candidate in candidates:
        values = extract_features(candidate, policy, as_of).values
        for name, column in columns.items():
            column.append(values[name])
    return {name: np.asarray(column, dtype=np.float64) for name, column in columns.items()}


def evaluate_population(candidates: Sequence[Candidate], policy: Policy, *, as_of: dt.date) -> PopulationResult:
    """Evaluate ``policy`` over ``candidates`` with the vectorised evaluator."""
    arrays = feature_arrays(candidates, policy, as_of)
    return VectorisedPolicy(compile_policy(policy)).evaluate(arrays)
