"""Exact regions of feature space where two policies decide different tiers.

A policy's tier is a function of the features: ``tier >= k`` holds on the union of the boxes of its
rules of tier ``k`` or higher (plus, when it requires evidence, the boxes "capability ``d`` unknown"
for each required domain ``d``). Rules are conjunctions and disjunctions of one-sided threshold
atoms, so every such set is a finite union of axis-aligned boxes, and so is the set where policy A
decides tier ``a`` while policy B decides tier ``b``: :func:`region_diff` computes it exactly, as
disjoint boxes, by box intersection and subtraction with open and closed ends kept apart (``> 1e25``
and ``>= 1e25`` differ by exactly the point 1e25).

The space is the feature catalogue on one date, with three couplings removed so that every box
stands for real candidates:

- ``effective_flop`` is training compute times the policy's efficiency factor on that date (the
  candidate's end of training), so its thresholds become exact thresholds on ``training_flop``: the
  smallest double whose product with the factor meets the threshold, found by stepping through the
  neighbouring doubles.
- ``evidence_gap.<d>`` is 1 exactly when ``capability.<d>`` is unknown, so a gap test becomes
  "capability unknown" (the point +inf) or "capability known" (``[0, 1]``).
- unknown inputs are the point +inf of their axis, as the engine reads them: unknown compute lies
  above every compute threshold.

Each region comes with a witness: a candidate built inside it (the lowest point of each interval,
with ``training_flop_total`` at least ``training_flop`` and a release plan whose openness flags match),
decided under both policies with :func:`governance.decide` to confirm the pair of tiers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import struct
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from governance.candidate import Candidate, Release, ReleaseForm
from governance.engine import decide
from governance.exceptions import EngineError, PolicyError
from governance.features import (
    efficiency_exponent,
    feature_info,
    policy_domains,
    release_features,
    scale_by_power_of_two,
)
from governance.policy import Atom, Condition, Policy
from governance.regions import Interval
from governance.tiers import Tier

__all__ = ["MAX_REGION_BOXES", "Axis", "Region", "RegionDiff", "region_diff"]

MAX_REGION_BOXES = 50_000
"""Refuse (rather than truncate) a diff whose intermediate box lists grow beyond this."""

Box = dict[str, Interval]

_UNKNOWN = Interval(math.inf, True, math.inf, True)
_KNOWN = Interval(-math.inf, False, math.inf, False)
_EVERYTHING = Interval(-math.inf, True, math.inf, True)
_COMPUTE = ("training_flop", "training_flop_total")
_TYPICAL = {"training_flop": 1e21, "training_flop_total": 1e21, "model.parameters": 1e9}
_COMPONENT_POOL = (
    "weights",
    "architecture",
    "model_card",
    "training_code",
    "inference_code",
    "technical_report",
    "evaluation_results",
    "datasets",
    "data_card",
    "research_paper",
)
_RELEASE_TRIES = 20_000
_TIERS = (Tier.OPEN, Tier.STAGED, Tier.RESTRICTED)


@dataclass(frozen=True)
class Axis:
    """One feature of the space: the values it can take (unknown is +inf where an input can be unknown)."""

    feature: str
    parts: tuple[Interval, ...]
    integer: bool = False

    @property
    def hull(self) -> Interval:
        """The smallest interval holding every part."""
        first, last = self.parts[0], self.parts[-1]
        return Interval(first.low, first.low_closed, last.high, last.high_closed)

    def clip(self, interval: Interval) -> Interval | None:
        """``interval`` within the axis (integer ends for integer axes), or None when no value is left."""
        clipped = interval.intersect(self.hull)
        if self.integer:
            low = math.ceil(clipped.low) if math.isfinite(clipped.low) else clipped.low
            if low == clipped.low and not clipped.low_closed:
                low += 1
            high = math.floor(clipped.high) if math.isfinite(clipped.high) else clipped.high
            if high == clipped.high and not clipped.high_closed:
                high -= 1
            if low > high:
                return None
            return Interval(float(low), True, float(high), True)
        if all(clipped.intersect(part).empty for part in self.parts):
            return None
        return clipped

    def describe(self, interval: Interval) -> str:
        """``interval`` in words a policymaker reads: bounds, and whether unknown is included."""
        known = [interval.intersect(p) for p in self.parts if math.isfinite(p.low) or math.isfinite(p.high)]
        known = [k for k in known if not k.empty and not (k.low == k.high == math.inf)]
        has_unknown = not interval.intersect(_UNKNOWN).empty and any(p.high == math.inf for p in self.parts)
        pieces = [_interval_text(k, self) for k in known]
        if has_unknown:
            pieces.append("unknown")
        return " or ".join(pieces) if pieces else "no value"


def _fmt(value: float) -> str:
    if value == 0 or (1e-3 <= abs(value) < 1e5):
        return f"{value:g}"
    return repr(value) if abs(value) >= 1e5 and float(f"{value:.6g}") != value else f"{value:.6g}"


def _interval_text(interval: Interval, axis: Axis) -> str:
    hull = axis.hull
    low_free = interval.low == hull.low and interval.low_closed == hull.low_closed
    high_free = interval.high == axis.parts[0].high and interval.high_closed == axis.parts[0].high_closed
    if axis.integer and interval.low == interval.high:
        return f"= {_fmt(interval.low)}"
    if low_free and high_free:
        return "any known value"
    if low_free:
        return ("<= " if interval.high_closed else "< ") + _fmt(interval.high)
    if high_free:
        return (">= " if interval.low_closed else "> ") + _fmt(interval.low)
    left = "[" if interval.low_closed else "("
    right = "]" if interval.high_closed else ")"
    return f"{left}{_fmt(interval.low)}, {_fmt(interval.high)}{right}"


def _axis(feature: str, domains: tuple[str, ...]) -> Axis:
    info = feature_info(feature, domains)
    if info is None:
        raise PolicyError(f"feature {feature!r} is not in the catalogue; the region diff cannot place it")
    if info.kind == "capability":
        return Axis(feature, (Interval(0.0, True, 1.0, True), _UNKNOWN))
    if info.kind in ("flag", "evidence") or info.unit == "ordinal":
        return Axis(feature, (Interval(info.low, True, info.high, True),), integer=True)
    low_closed = feature not in (*_COMPUTE, "effective_flop", "model.parameters")
    return Axis(feature, (Interval(info.low, low_closed, math.inf, True),))


# -- turning a policy into boxes on the common axes -----------------------------------------------


def _effective_threshold(op: str, threshold: float, exponent: float) -> Interval:
    """The exact set of known training-compute values whose effective compute satisfies ``op threshold``.

    Effective compute is :func:`~governance.features.scale_by_power_of_two` of training compute, the very
    function the scalar evaluator uses; it is non-decreasing, so the boundary is found by bisection over
    the ordered non-negative doubles (64 steps), whatever the factor, far dates included.
    """

    def holds(x: float) -> bool:
        y = scale_by_power_of_two(x, exponent)
        return {">=": y >= threshold, ">": y > threshold, "<=": y <= threshold, "<": y < threshold}[op]

    largest = struct.unpack("<q", struct.pack("<d", sys.float_info.max))[0]
    if op in (">=", ">"):
        if not holds(sys.float_info.max):
            return Interval(math.inf, True, math.inf, True)  # only unknown compute reaches it
        return Interval(_double(_boundary(lambda bits: holds(_double(bits)), -1, largest)), True, math.inf, True)
    if not holds(0.0):
        return Interval(-math.inf, False, -math.inf, False)
    last = _boundary(lambda bits: not holds(_double(bits)), 0, largest + 1) - 1
    return Interval(-math.inf, False, _double(last), True)


def _double(bits: int) -> float:
    return float(struct.unpack("<d", struct.pack("<q", bits))[0])


def _boundary(test: Callable[[int], bool], low: int, high: int) -> int:
    """The least ``bits`` in ``(low, high]`` for which ``test`` holds, given it holds at ``high`` and is monotone."""
    while high - low > 1:
        middle = (low + high) // 2
        if test(middle):
            high = middle
        else:
            low = middle
    return high


class _Space:
    """The axes both policies read, and box algebra on them."""

    def __init__(self, policies: Sequence[Policy]) -> None:
        domains = tuple(dict.fromkeys(d for p in policies for d in policy_domains(p)))
        self.domains = domains
        self.axes: dict[str, Axis] = {}
        self.work = 0

    def axis(self, feature: str) -> Axis:
        axis = self.axes.get(feature)
        if axis is None:
            axis = self.axes[feature] = _axis(feature, self.domains)
        return axis

    def constrain(self, box: Box, feature: str, interval: Interval) -> Box | None:
        axis = self.axis(feature)
        current = box.get(feature, axis.hull)
        clipped = axis.clip(current.intersect(interval))
        if clipped is None:
            return None
        out = dict(box)
        if clipped == axis.hull:
            out.pop(feature, None)
        else:
            out[feature] = clipped
        return out

    def intersect(self, a: Box, b: Box) -> Box | None:
        out: Box | None = dict(a)
        for feature, interval in b.items():
            assert out is not None
            out = self.constrain(out, feature, interval)
            if out is None:
                return None
        return out

    def subtract(self, a: Box, b: Box) -> list[Box]:
        """``a`` minus ``b`` as disjoint boxes."""
        if self.intersect(a, b) is None:
            return [a]
        pieces: list[Box] = []
        current: Box = dict(a)
        for feature, cut in b.items():
            axis = self.axis(feature)
            have = current.get(feature, axis.hull)
            below = Interval(-math.inf, True, cut.low, not cut.low_closed)
            above = Interval(cut.high, not cut.high_closed, math.inf, True)
            for side in (below, above):
                if side.empty:
                    continue
                piece = self.constrain(current, feature, have.intersect(side))
                if piece is not None:
                    pieces.append(piece)
            narrowed = self.constrain(current, feature, cut)
            if narrowed is None:
                break
            current = narrowed
        self.work += len(pieces)
        if self.work > MAX_REGION_BOXES * 20 or len(pieces) > MAX_REGION_BOXES:
            raise PolicyError(
                f"the region diff needs more than {MAX_REGION_BOXES} boxes; compare smaller policies or fewer rules"
            )
        return pieces

    def minus(self, boxes: list[Box], cuts: Sequence[Box]) -> list[Box]:
        for cut in cuts:
            boxes = [piece for box in boxes for piece in self.subtract(box, cut)]
            if len(boxes) > MAX_REGION_BOXES:
                raise PolicyError(f"the region diff needs more than {MAX_REGION_BOXES} boxes; compare smaller policies")
        return boxes

    def disjoint(self, boxes: Sequence[Box]) -> list[Box]:
        out: list[Box] = []
        for box in boxes:
            out.extend(self.minus([box], out))
        return out

    def merge(self, boxes: list[Box]) -> list[Box]:
        """Join disjoint boxes that differ on one axis where their intervals touch."""
        changed = True
        while changed:
            changed = False
            for i, j in itertools.combinations(range(len(boxes)), 2):
                joined = self._join(boxes[i], boxes[j])
                if joined is not None:
                    boxes = [b for k, b in enumerate(boxes) if k not in (i, j)] + [joined]
                    changed = True
                    break
        return boxes

    def _join(self, a: Box, b: Box) -> Box | None:
        keys = set(a) | set(b)
        differing = [f for f in keys if a.get(f, self.axis(f).hull) != b.get(f, self.axis(f).hull)]
        if len(differing) != 1:
            return None
        feature = differing[0]
        axis = self.axis(feature)
        x, y = sorted((a.get(feature, axis.hull), b.get(feature, axis.hull)))
        touching = (x.high == y.low and x.high_closed != y.low_closed) or (
            axis.integer and x.high + 1 == y.low and x.high_closed and y.low_closed
        )
        if not touching:
            return None
        return self.constrain(
            {k: v for k, v in a.items() if k != feature}, feature, Interval(x.low, x.low_closed, y.high, y.high_closed)
        )

    def condition(self, item: Atom | Condition, policy: Policy, day: dt.date) -> list[Box]:
        if isinstance(item, Atom):
            return self.atom(item, policy, day)
        parts = [self.condition(sub, policy, day) for sub in item.items]
        if item.kind == "any":
            return [box for part in parts for box in part]
        result: list[Box] = [{}]
        for part in parts:
            result = [m for left in result for right in part if (m := self.intersect(left, right)) is not None]
            if len(result) > MAX_REGION_BOXES:
                raise PolicyError(f"{policy.ref}: a rule expands to more than {MAX_REGION_BOXES} boxes")
        return result

    def atom(self, atom: Atom, policy: Policy, day: dt.date) -> list[Box]:
        threshold = policy.threshold(atom)
        feature = atom.feature
        if feature == "effective_flop":
            exponent = efficiency_exponent(policy, day)
            interval = (
                Interval.from_atom(atom.op, threshold)
                if exponent == 0.0
                else _effective_threshold(atom.op, threshold, exponent)
            )
            box = self.constrain({}, "training_flop", interval)
            return [] if box is None else [box]
        if feature.startswith("evidence_gap."):
            domain = feature.partition(".")[2]
            holds = [v for v in (0.0, 1.0) if _compare(v, atom.op, threshold)]
            if not holds:
                return []
            if len(holds) == 2:
                return [{}]
            target = _UNKNOWN if holds == [1.0] else _KNOWN
            box = self.constrain({}, f"capability.{domain}", target)
            return [] if box is None else [box]
        # lower bounds include +inf (unknown reads as above every threshold); upper bounds exclude it
        box = self.constrain({}, feature, Interval.from_atom(atom.op, threshold))
        return [] if box is None else [box]


def _compare(value: float, op: str, threshold: float) -> bool:
    return {">=": value >= threshold, ">": value > threshold, "<=": value <= threshold, "<": value < threshold}[op]


def _at_least(space: _Space, policy: Policy, rank: int, day: dt.date) -> list[Box]:
    """Boxes on which ``policy`` decides a tier of rank ``rank`` or more."""
    boxes: list[Box] = []
    for rule in policy.rules:
        if rule.tier.rank >= rank:
            boxes.extend(space.condition(rule.when, policy, day))
    if policy.evidence.required_domains and policy.evidence.if_missing_tier.rank >= rank:
        for domain in policy.evidence.required_domains:
            box = space.constrain({}, f"capability.{domain}", _UNKNOWN)
            if box is not None:
                boxes.append(box)
    return boxes


def _levels(space: _Space, policy: Policy, day: dt.date) -> dict[int, list[Box]]:
    """Disjoint boxes per tier rank: where ``policy`` decides exactly that tier."""
    at_least = {rank: space.disjoint(_at_least(space, policy, rank, day)) for rank in (1, 2)}
    return {
        0: space.minus([{}], at_least[1]),
        1: space.minus(list(at_least[1]), at_least[2]),
        2: at_least[2],
    }


# -- witnesses ------------------------------------------------------------------------------------


def _lowest(interval: Interval, axis: Axis) -> float:
    """The lowest value of ``interval`` on ``axis``, preferring known (finite) values."""
    for part in axis.parts:
        piece = interval.intersect(part)
        if piece.empty:
            continue
        if piece.low_closed:
            return piece.low
        if piece.low == 0.0 and axis.feature in _TYPICAL:
            typical = _TYPICAL[axis.feature]
            if piece.intersect(Interval(typical, True, typical, True)).empty:
                return piece.high / 2 if math.isfinite(piece.high) else math.nextafter(piece.low, math.inf)
            return typical
        above = math.nextafter(piece.low, math.inf)
        if not piece.intersect(Interval(above, True, above, True)).empty:
            return above
    raise EngineError(f"no value of {axis.feature} in {interval}")


def _true_lowest(interval: Interval) -> float:
    return interval.low if interval.low_closed else math.nextafter(interval.low, math.inf)


def _compute_pair(box: Box, space: _Space) -> tuple[float, float] | None:
    """Training compute and total (training plus fine-tuning) inside the box, with total >= training."""
    flop_axis, total_axis = space.axis("training_flop"), space.axis("training_flop_total")
    if "training_flop_total" not in box:
        flop = _lowest(box.get("training_flop", flop_axis.hull), flop_axis)
        return flop, flop
    if "training_flop" not in box:
        total = _lowest(box["training_flop_total"], total_axis)
        return total, total
    flop_interval, total_interval = box["training_flop"], box["training_flop_total"]
    known_flop = flop_axis.clip(flop_interval.intersect(_KNOWN))
    known_total = total_axis.clip(total_interval.intersect(_KNOWN))
    if known_flop is not None and known_total is not None:
        # a typical value first (readable witnesses), then the lowest one (it leaves the most room)
        for flop in (_lowest(known_flop, flop_axis), _true_lowest(known_flop)):
            reachable = total_axis.clip(known_total.intersect(Interval(flop, True, math.inf, False)))
            if reachable is not None:
                return flop, _lowest(reachable, total_axis)
    if not flop_interval.intersect(_UNKNOWN).empty and not total_interval.intersect(_UNKNOWN).empty:
        return math.inf, math.inf
    return None


def _fine_tuning(flop: float, total: float) -> float | None:
    """A fine-tuning figure with ``flop + fine_tuning == total`` in floating point, when one exists nearby."""
    if math.isinf(flop) or total <= flop:
        return None
    guess = total - flop
    for step in range(64):
        for candidate in (guess, -guess):
            value = abs(candidate)
            if flop + value == total:
                return value
        guess = math.nextafter(guess, math.inf) if step % 2 == 0 else math.nextafter(guess, 0.0)
    return total - flop


def _release_plans() -> Iterator[Release]:
    licences: tuple[str | None, ...] = (None, "Apache-2.0")
    count = 0
    for size in range(len(_COMPONENT_POOL) + 1):
        for components in itertools.combinations(_COMPONENT_POOL, size):
            for form in ReleaseForm:
                for licence in licences:
                    count += 1
                    if count > _RELEASE_TRIES:
                        return
                    yield Release(form=form, components=components, license=licence)


def _holds(interval: Interval, value: float) -> bool:
    return not interval.intersect(Interval(value, True, value, True)).empty


def _release_for(box: Box) -> Release | None:
    wanted = {f: i for f, i in box.items() if f.startswith("release.")}
    if not wanted:
        return Release(form=ReleaseForm.CLOSED)
    for plan in _release_plans():
        values = {"release.openness": float(plan.form.openness), **release_features(plan)}
        if all(
            f in values and not i.intersect(Interval(values[f], True, values[f], True)).empty for f, i in wanted.items()
        ):
            return plan
    return None


def _witness(box: Box, space: _Space, day: dt.date, name: str) -> Candidate | None:
    pair = _compute_pair(box, space)
    release = _release_for(box)
    if pair is None or release is None:
        return None
    flop, total = pair
    values = {f: _lowest(i, space.axis(f)) for f, i in box.items() if f not in _COMPUTE}
    capabilities = {}
    for domain in space.domains:
        value = values.get(f"capability.{domain}", 0.0)
        if math.isfinite(value):
            capabilities[domain] = value
    fine_tuning = _fine_tuning(flop, total)
    revenue = values.get("developer.revenue_usd", 0.0)
    parameters = values.get("model.parameters", _TYPICAL["model.parameters"])
    generative = values.get("model.generative", 1.0)
    document: dict[str, Any] = {
        "model": {
            "name": name,
            "developer": "Witness Lab",
            "modalities": ["text"] if generative >= 1 else ["code"],
            "trained_primarily_on_biological_sequences": values.get("model.bio_sequence", 0.0) >= 1,
        },
        "compute": {
            "training_flop": None if math.isinf(flop) else flop,
            "training_end": day,
            "source": "witness built by governance.compare.region_diff",
        },
        "capabilities": capabilities,
        "release": release.model_dump(mode="json", exclude_none=True),
        "developer": {"name": "Witness Lab"},
    }
    if not math.isinf(parameters):
        document["model"]["parameters"] = parameters
    if fine_tuning is not None:
        document["compute"]["fine_tuning_flop"] = fine_tuning
    if not math.isinf(revenue):
        document["developer"]["annual_revenue_usd"] = revenue
    return Candidate.model_validate(document)


# -- the result -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """A box of feature space where the left policy decides ``left`` and the right one ``right``."""

    left: Tier
    right: Tier
    box: Mapping[str, Interval]
    """Constrained features; a feature not listed may take any value."""
    witness: Candidate | None
    """A candidate inside the box, decided to confirm the tiers; None when no release plan tried fits."""
    left_rules: tuple[str, ...] = ()
    right_rules: tuple[str, ...] = ()

    def contains(self, values: Mapping[str, float]) -> bool:
        """True when the point ``values`` (canonical features) lies in the box."""
        return all(
            not interval.intersect(Interval(values[f], True, values[f], True)).empty for f, interval in self.box.items()
        )


@dataclass(frozen=True, eq=False)
class RegionDiff:
    """Every region where two policies decide different tiers, on one date."""

    left: Policy
    right: Policy
    as_of: dt.date
    axes: Mapping[str, Axis]
    regions: tuple[Region, ...]

    @cached_property
    def identical(self) -> bool:
        """True when the two policies decide the same tier everywhere."""
        return not self.regions

    def region_at(self, values: Mapping[str, float]) -> Region | None:
        """The region holding the canonical point ``values``, or None where the policies agree."""
        for region in self.regions:
            if region.contains(values):
                return region
        return None

    def document(self) -> dict[str, Any]:
        """The diff as JSON-ready data (intervals as ``{low, low_closed, high, high_closed}``; inf as null)."""

        def bound(value: float) -> float | None:
            return None if math.isinf(value) else value

        return {
            "left": {"ref": self.left.ref, "digest": self.left.digest},
            "right": {"ref": self.right.ref, "digest": self.right.digest},
            "as_of": self.as_of.isoformat(),
            "identical": self.identical,
            "axes": sorted(self.axes),
            "regions": [
                {
                    "left_tier": r.left.value,
                    "right_tier": r.right.value,
                    "conditions": {f: self.axes[f].describe(i) for f, i in sorted(r.box.items())},
                    "box": {
                        f: {
                            "low": bound(i.low),
                            "low_closed": i.low_closed,
                            "high": bound(i.high),
                            "high_closed": i.high_closed,
                            "includes_unknown": i.high == math.inf and i.high_closed,
                        }
                        for f, i in sorted(r.box.items())
                    },
                    "witness": None if r.witness is None else r.witness.document(),
                    "left_rules": list(r.left_rules),
                    "right_rules": list(r.right_rules),
                }
                for r in self.regions
            ],
        }


def region_diff(left: Policy, right: Policy, *, as_of: dt.date) -> RegionDiff:
    """The exact regions where ``left`` and ``right`` decide different tiers on ``as_of``.

    ``as_of`` is the decision date and the candidates' end of training, which fixes the efficiency
    factor of effective compute.

    Raises:
        PolicyError: the diff would need more than :data:`MAX_REGION_BOXES` boxes.
        EngineError: a witness did not reproduce its region's tiers (a defect).
    """
    space = _Space((left, right))
    left_levels = _levels(space, left, as_of)
    right_levels = _levels(space, right, as_of)
    regions: list[Region] = []
    for a, b in itertools.product(range(3), repeat=2):
        if a == b:
            continue
        boxes = [m for x in left_levels[a] for y in right_levels[b] if (m := space.intersect(x, y)) is not None]
        for box in sorted(space.merge(boxes), key=_box_key):
            name = (
                f"witness {len(regions) + 1}: {_TIERS[a].value} under {left.ref}, {_TIERS[b].value} under {right.ref}"
            )
            witness = _witness(box, space, as_of, name)
            left_rules: tuple[str, ...] = ()
            right_rules: tuple[str, ...] = ()
            if witness is not None:
                got_left = decide(witness, left, as_of=as_of, evaluator="python")
                got_right = decide(witness, right, as_of=as_of, evaluator="python")
                if (got_left.tier, got_right.tier) != (_TIERS[a], _TIERS[b]):
                    raise EngineError(
                        f"region witness decided {got_left.tier.value}/{got_right.tier.value}, expected "
                        f"{_TIERS[a].value}/{_TIERS[b].value}: {box}"
                    )
                left_rules = tuple(r.rule for r in got_left.reasons)
                right_rules = tuple(r.rule for r in got_right.reasons)
            regions.append(Region(_TIERS[a], _TIERS[b], box, witness, left_rules, right_rules))
    return RegionDiff(left, right, as_of, dict(space.axes), tuple(regions))


def _box_key(box: Box) -> tuple[Any, ...]:
    return tuple((f, i.low, i.high) for f, i in sorted(box.items()))
