"""The vectorised evaluator: one policy over many candidates at once, with numpy.

It is generated from the same compiled form as the durable_rules and scalar evaluators
(:mod:`governance.compiled`): a test is one array comparison (shared between rules that test the same
thing), evaluated twice over, reading an unknown value (``inf``) as high enough and as not known, so
that each rule is fired, not ruled out, or neither; a condition is a logical and/or of its parts; the
tier is the maximum rank among rules fired or not ruled out, with the missing-evidence floor where a
required domain has no evidence. Property tests check that every evaluator agrees on every candidate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from governance.candidate import Candidate
from governance.compiled import CompiledPolicy, Node, Test, compile_policy
from governance.evidence.suites import SuiteCatalogue
from governance.exceptions import InputError
from governance.features import extract_features
from governance.policy import Policy
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
    """Tiers and rule outcomes of one policy over a population, in input order."""

    policy: Policy
    tiers: npt.NDArray[np.int8]
    """Tier rank per candidate: 0 open, 1 staged, 2 restricted."""
    fired: BoolArray
    """``fired[i, j]`` is True when rule ``i`` fired (holds on known values) for candidate ``j``."""
    not_ruled_out: BoolArray
    """``not_ruled_out[i, j]`` is True when rule ``i`` would fire for candidate ``j`` only if an unknown
    input were high enough."""
    floor: BoolArray
    """True where a required domain has no evidence, so the policy's evidence floor applies."""
    tiers_on_evidence: npt.NDArray[np.int8]
    """Tier rank from fired rules alone: below ``tiers`` where the decision rests on missing evidence."""

    def tier(self, index: int) -> Tier:
        """The tier of candidate ``index``."""
        return Tier.from_rank(int(self.tiers[index]))

    def fired_rules(self, index: int) -> list[str]:
        """Ids of the rules that fired for candidate ``index``, in policy order."""
        return [self.policy.rules[i].id for i in np.flatnonzero(self.fired[:, index])]

    def not_ruled_out_rules(self, index: int) -> list[str]:
        """Ids of the rules not ruled out for candidate ``index``, in policy order."""
        return [self.policy.rules[i].id for i in np.flatnonzero(self.not_ruled_out[:, index])]

    @property
    def rests_on_missing_evidence(self) -> BoolArray:
        """True where missing evidence (a not-ruled-out rule or the floor) raised the tier."""
        return self.tiers > self.tiers_on_evidence

    def counts(self) -> dict[Tier, int]:
        """How many candidates fall in each tier."""
        ranks = np.bincount(self.tiers, minlength=3)
        return {Tier.from_rank(r): int(ranks[r]) for r in range(3)}


_Memo = dict[tuple[str, str, float], tuple[BoolArray, BoolArray]]


class VectorisedPolicy:
    """The column evaluator: a compiled policy's rules over arrays of feature values."""

    def __init__(self, compiled: CompiledPolicy) -> None:
        self.compiled = compiled
        self.policy = compiled.policy
        self.required_gaps = compiled.required_gaps
        self.features = tuple(dict.fromkeys((*compiled.features, *self.required_gaps)))
        """Every array :meth:`evaluate` needs."""

    def _condition(
        self, item: Test | Node, arrays: Mapping[str, FloatArray], memo: _Memo
    ) -> tuple[BoolArray, BoolArray]:
        """``(possible, definite)``: holds reading unknown as high enough, and holds on known values."""
        if isinstance(item, Test):
            key = (item.feature, item.op, item.threshold)
            result = memo.get(key)
            if result is None:
                column = arrays[item.feature]
                possible = _OPS[item.op](column, item.threshold)
                definite = possible & np.isfinite(column) if item.lower_bound else possible
                result = (possible, definite)
                memo[key] = result
            return result
        parts = [self._condition(sub, arrays, memo) for sub in item.items]
        if len(parts) == 1:
            return parts[0]
        combine = np.logical_and if item.kind == "all" else np.logical_or
        possible, definite = parts[0][0].copy(), parts[0][1].copy()
        for part_possible, part_definite in parts[1:]:
            combine(possible, part_possible, out=possible)
            combine(definite, part_definite, out=definite)
        return possible, definite

    def evaluate(self, arrays: Mapping[str, FloatArray]) -> PopulationResult:
        """Evaluate every rule over ``arrays`` (feature name to float64 array, all the same length)."""
        missing = [f for f in self.features if f not in arrays]
        if missing:
            raise InputError(f"feature arrays missing for {self.policy.ref}: {', '.join(missing)}")
        lengths = {len(arrays[f]) for f in self.features}
        if len(lengths) > 1:
            raise InputError("feature arrays differ in length")
        n = lengths.pop() if lengths else 0
        memo: _Memo = {}
        count = len(self.policy.rules)
        fired = np.zeros((count, n), dtype=np.bool_)
        open_ = np.zeros((count, n), dtype=np.bool_)
        tiers = np.zeros(n, dtype=np.int8)
        on_evidence = np.zeros(n, dtype=np.int8)
        for index, condition in enumerate(self.compiled.conditions):
            possible, definite = self._condition(condition, arrays, memo)
            fired[index] = definite
            np.logical_and(possible, ~definite, out=open_[index])
            rank = self.compiled.ranks[index]
            if rank:
                np.maximum(tiers, possible.view(np.int8) * np.int8(rank), out=tiers)
                np.maximum(on_evidence, definite.view(np.int8) * np.int8(rank), out=on_evidence)
        floor = np.zeros(n, dtype=np.bool_)
        for name in self.required_gaps:
            np.logical_or(floor, arrays[name] >= 1.0, out=floor)
        if self.required_gaps:
            np.maximum(tiers, floor.view(np.int8) * np.int8(self.compiled.floor_rank), out=tiers)
        return PopulationResult(self.policy, tiers, fired, open_, floor, on_evidence)


def feature_arrays(
    candidates: Sequence[Candidate], policy: Policy, as_of: dt.date, suites: SuiteCatalogue | None = None
) -> dict[str, FloatArray]:
    """Derive the feature arrays of ``candidates`` under ``policy`` (the per-candidate slow path)."""
    vectorised = VectorisedPolicy(compile_policy(policy))
    columns: dict[str, list[float]] = {name: [] for name in vectorised.features}
    for candidate in candidates:
        values = extract_features(candidate, policy, as_of, suites).values
        for name, column in columns.items():
            column.append(values[name])
    return {name: np.asarray(column, dtype=np.float64) for name, column in columns.items()}


def evaluate_population(
    candidates: Sequence[Candidate], policy: Policy, *, as_of: dt.date, suites: SuiteCatalogue | None = None
) -> PopulationResult:
    """Evaluate ``policy`` over ``candidates`` with the column evaluator."""
    arrays = feature_arrays(candidates, policy, as_of, suites)
    return VectorisedPolicy(compile_policy(policy)).evaluate(arrays)
