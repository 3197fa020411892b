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

from governance.exceptions import PolicyError
from governance.policy import Atom, Condition, Policy

__all__ = ["MAX_BOXES", "Box", "Interval", "condition_boxes"]

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
    """The condition as a union of non-empty boxes (its disjunctive normal form).

    Raises:
        PolicyError: when the normal form would exceed :data:`MAX_BOXES` boxes (never truncated).
    """
    if isinstance(condition, Atom):
        return [{condition.feature: Interval.from_atom(condition.op, policy.threshold(condition))}]
    parts = [condition_boxes(item, policy) for item in condition.items]
    if condition.kind == "any":
        return _bounded([box for part in parts for box in part], policy)
    result: list[dict[str, Interval]] = [{}]
    for part in parts:
        combined: list[dict[str, Interval]] = []
        for left in result:
            for right in part:
                merged = _intersect_boxes(left, right)
                if merged is not None:
                    combined.append(merged)
        result = _bounded(combined, policy)
    return result


def _bounded(boxes: list[dict[str, Interval]], policy: Policy) -> list[dict[str, Interval]]:
    if len(boxes) > MAX_BOXES:
        raise PolicyError(
            f"{policy.ref}: a rule condition expands to more than {MAX_BOXES} boxes; "
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
