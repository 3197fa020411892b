"""Regions of feature space: a rule's condition as a finite union of boxes.

Every atom bounds one feature on one side, so a condition in disjunctive normal form is a union of
axis-aligned boxes. The static checks use boxes to find rules that can never fire, rules shadowed by
others, and rules that can fire together with conflicting labels; policy comparison uses them to
find where two policies disagree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from governance.compiled import CompiledPolicy, Evaluation, Node, Test, resolve_condition
from governance.exceptions import PolicyError
from governance.policy import Atom, Condition, Policy

__all__ = ["MAX_BOXES", "Box", "Interval", "RegionEvaluator", "condition_boxes", "node_boxes"]

MAX_BOXES = 4096


@dataclass(frozen=True, order=True)
class Interval:
    """A set of reals between ``low`` and ``high``, each end open or closed."""

    low: float = -math.inf
    low_closed: bool = False
    high: float = math.inf
    high_closed: bool = False

    @classmethod
    def from_atom(cls, op: str, threshold: float) -> Interval:
        """The values for which ``value op threshold`` holds."""
        if op == ">=":
            return cls(threshold, True, math.inf, True)
        if op == ">":
            return cls(threshold, False, math.inf, True)
        if op == "<=":
            return cls(-math.inf, False, threshold, True)
        return cls(-math.inf, False, threshold, False)

    def intersect(self, other: Interval) -> Interval:
        """The values in both intervals."""
        if self.low > other.low or (self.low == other.low and not self.low_closed):
            low, low_closed = self.low, self.low_closed
        else:
            low, low_closed = other.low, other.low_closed
        if self.high < other.high or (self.high == other.high and not self.high_closed):
            high, high_closed = self.high, self.high_closed
        else:
            high, high_closed = other.high, other.high_closed
        return Interval(low, low_closed, high, high_closed)

    @property
    def empty(self) -> bool:
        """True when no real number lies in the interval."""
        if self.low > self.high:
            return True
        return self.low == self.high and not (self.low_closed and self.high_closed)

    def contains(self, other: Interval) -> bool:
        """True when every value of ``other`` is in this interval."""
        if other.empty:
            return True
        low_ok = self.low < other.low or (self.low == other.low and (self.low_closed or not other.low_closed))
        high_ok = self.high > other.high or (self.high == other.high and (self.high_closed or not other.high_closed))
        return low_ok and high_ok

    def witness(self) -> float:
        """A value inside the interval (the lowest where that is possible)."""
        if self.low_closed and math.isfinite(self.low):
            return self.low
        if math.isfinite(self.low):
            above = math.nextafter(self.low, math.inf)
            return above if above < self.high or (above == self.high and self.high_closed) else self.low
        return 0.0 if self.high > 0 else self.high - 1.0


Box = Mapping[str, Interval]
"""A conjunction of intervals, one per constrained feature; unconstrained features are free."""


def _intersect_boxes(a: Box, b: Box) -> dict[str, Interval] | None:
    out = dict(a)
    for feature, interval in b.items():
        merged = out[feature].intersect(interval) if feature in out else interval
        if merged.empty:
            return None
        out[feature] = merged
    return out


def condition_boxes(condition: Atom | Condition, policy: Policy) -> list[dict[str, Interval]]:
    """The condition as a union of non-empty boxes (its disjunctive normal form), unknown as +inf.

    Raises:
        PolicyError: when the normal form would exceed :data:`MAX_BOXES` boxes (never truncated).
    """
    return node_boxes(resolve_condition(condition, policy), policy.ref)


def node_boxes(item: Test | Node, where: str, *, definite: bool = False) -> list[dict[str, Interval]]:
    """A compiled condition as a union of boxes on axes where an unknown value is the point +inf.

    With ``definite``, a lower-bound test excludes +inf: the boxes hold the points where the condition
    holds on known values (the rule fires); without it they also hold the points where it is only
    not ruled out.

    Raises:
        PolicyError: when the normal form would exceed :data:`MAX_BOXES` boxes (never truncated).
    """
    if isinstance(item, Test):
        interval = Interval.from_atom(item.op, item.threshold)
        if definite and item.lower_bound:
            interval = Interval(interval.low, interval.low_closed, math.inf, False)
        return [{item.feature: interval}]
    parts = [node_boxes(sub, where, definite=definite) for sub in item.items]
    if item.kind == "any":
        return _bounded([box for part in parts for box in part], where)
    result: list[dict[str, Interval]] = [{}]
    for part in parts:
        combined: list[dict[str, Interval]] = []
        for left in result:
            for right in part:
                merged = _intersect_boxes(left, right)
                if merged is not None:
                    combined.append(merged)
        result = _bounded(combined, where)
    return result


class RegionEvaluator:
    """The region evaluator: each rule of a compiled policy as two unions of boxes.

    A point (feature values, unknown as +inf) fires a rule when it lies in one of the rule's definite
    boxes, and leaves it not ruled out when it lies only in one of its possible boxes. Generated from
    the same compiled form as the other evaluators; policy comparison and the static checks reason
    with the same boxes.
    """

    def __init__(self, compiled: CompiledPolicy) -> None:
        where = compiled.policy.ref
        self.compiled = compiled
        self.possible = tuple(node_boxes(condition, where) for condition in compiled.conditions)
        self.definite = tuple(node_boxes(condition, where, definite=True) for condition in compiled.conditions)

    def evaluate(self, values: Mapping[str, float]) -> Evaluation:
        """Which rules fire and which are not ruled out at the point ``values``."""
        fired: list[int] = []
        open_: list[int] = []
        for index, (possible, definite) in enumerate(zip(self.possible, self.definite, strict=True)):
            if any(_inside(box, values) for box in definite):
                fired.append(index)
            elif any(_inside(box, values) for box in possible):
                open_.append(index)
        return Evaluation(tuple(fired), tuple(open_))


def _inside(box: Box, values: Mapping[str, float]) -> bool:
    return all(interval.contains(Interval(values[f], True, values[f], True)) for f, interval in box.items())


def _bounded(boxes: list[dict[str, Interval]], where: str) -> list[dict[str, Interval]]:
    if len(boxes) > MAX_BOXES:
        raise PolicyError(
            f"{where}: a rule condition expands to more than {MAX_BOXES} boxes; "
            "split it into several rules so it can be analysed"
        )
    return boxes


def clip_box(box: Box, domains: Mapping[str, Interval]) -> dict[str, Interval] | None:
    """Intersect ``box`` with the features' value ranges; None when nothing is left."""
    return _intersect_boxes(box, {f: d for f, d in domains.items() if f in box})


def box_contains(outer: Box, inner: Box) -> bool:
    """True when every point of ``inner`` is in ``outer``."""
    for feature, interval in outer.items():
        if not interval.contains(inner.get(feature, Interval(-math.inf, True, math.inf, True))):
            return False
    return True


def boxes_overlap(a: Box, b: Box) -> bool:
    """True when some point lies in both boxes."""
    return _intersect_boxes(a, b) is not None
