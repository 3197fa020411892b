"""What moved between two decisions of the same model under the same policy.

:func:`diff_decisions` compares two decision documents (as ``decide --format json`` prints them, or as
a ledger stores them): the tier, the policy version, the rules that fired and those not ruled out,
labels, obligations, missing evidence, and every threshold an input crossed or left. It reads the
documents only, so a decision recorded by an older engine (another ``schema_version``) compares too.

An input's side of a threshold is ``above`` (the condition holds), ``below``, or ``unknown`` (no value:
never read as below, by the rule that unknown is not crossed). The thresholds compared are those
either decision shows: the atoms of its rules and its nearest thresholds; the side is worked out from
each decision's own value of the input.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Crossing", "DecisionDiff", "InputMove", "diff_decisions"]

_COMPARE = {
    ">=": lambda v, t: v >= t,
    ">": lambda v, t: v > t,
    "<=": lambda v, t: v <= t,
    "<": lambda v, t: v < t,
}


def _number(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value:.3g}" if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3) else f"{value:.4g}"


@dataclass(frozen=True)
class Crossing:
    """An input that moved to the other side of a threshold (or became known or unknown)."""

    feature: str
    op: str
    threshold: float
    before: str
    """``above``, ``below`` or ``unknown``."""
    after: str
    value_before: float | None
    value_after: float | None

    def text(self) -> str:
        """One line, e.g. ``training_flop crossed >= 1e+25 (8e+24 -> 2e+25)``."""
        verb = {"above": "crossed", "below": "left", "unknown": "became unknown for"}[self.after]
        if self.before == "unknown":
            verb = "became known: " + ("above" if self.after == "above" else "below")
        values = f"{_number(self.value_before)} -> {_number(self.value_after)}"
        return f"{self.feature} {verb} {self.op} {_number(self.threshold)} ({values})"

    def document(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "feature": self.feature,
            "op": self.op,
            "threshold": self.threshold,
            "before": self.before,
            "after": self.after,
            "value_before": self.value_before,
            "value_after": self.value_after,
        }


@dataclass(frozen=True)
class InputMove:
    """An input the policy reads whose value changed."""

    feature: str
    before: float | None
    after: float | None


@dataclass(frozen=True)
class DecisionDiff:
    """The differences between an earlier and a later decision of one model under one policy."""

    model: str
    previous_model: str
    policy_before: str
    policy_after: str
    as_of_before: str
    as_of_after: str
    tier_before: str
    tier_after: str
    rules: tuple[tuple[str, ...], tuple[str, ...]]
    """(fired now but not before, fired before but not now)."""
    not_ruled_out: tuple[tuple[str, ...], tuple[str, ...]]
    labels: tuple[tuple[str, ...], tuple[str, ...]]
    obligations: tuple[tuple[str, ...], tuple[str, ...]]
    missing_evidence: tuple[tuple[str, ...], tuple[str, ...]]
    crossings: tuple[Crossing, ...]
    moves: tuple[InputMove, ...]

    @property
    def unchanged(self) -> bool:
        """True when nothing that decides moved: tier, policy, rules, labels, obligations, evidence, crossings."""
        sets = (self.rules, self.not_ruled_out, self.labels, self.obligations, self.missing_evidence)
        return (
            self.tier_before == self.tier_after
            and self.policy_before == self.policy_after
            and not any(added or removed for added, removed in sets)
            and not self.crossings
        )

    def lines(self) -> list[str]:
        """The differences as readable lines, the tier first."""
        head = f"{self.model} under {self.policy_after}, since the decision of {self.as_of_before}"
        out = [head + ":"]
        if self.previous_model != self.model:
            out.append(f"  note: the earlier decision is for {self.previous_model!r}")
        if self.policy_before != self.policy_after:
            out.append(f"  policy: {self.policy_before} -> {self.policy_after}")
        if self.tier_before != self.tier_after:
            out.append(f"  tier: {self.tier_before} -> {self.tier_after}")
        else:
            out.append(f"  tier: {self.tier_after} (unchanged)")
        for name, (added, removed) in (
            ("rules fired", self.rules),
            ("rules not ruled out", self.not_ruled_out),
            ("labels", self.labels),
            ("obligations", self.obligations),
            ("missing evidence", self.missing_evidence),
        ):
            if added:
                out.append(f"  {name}, new: {', '.join(added)}")
            if removed:
                out.append(f"  {name}, gone: {', '.join(removed)}")
        out += [f"  threshold: {crossing.text()}" for crossing in self.crossings]
        crossed = {c.feature for c in self.crossings}
        out += [
            f"  input moved: {m.feature} {_number(m.before)} -> {_number(m.after)}"
            for m in self.moves
            if m.feature not in crossed
        ]
        if self.unchanged and not self.moves:
            out.append("  nothing else moved")
        return out

    def document(self) -> dict[str, Any]:
        """JSON-ready form."""

        def pair(value: tuple[tuple[str, ...], tuple[str, ...]]) -> dict[str, list[str]]:
            return {"added": list(value[0]), "removed": list(value[1])}

        return {
            "model": self.model,
            "previous_model": self.previous_model,
            "policy": {"before": self.policy_before, "after": self.policy_after},
            "as_of": {"before": self.as_of_before, "after": self.as_of_after},
            "tier": {"before": self.tier_before, "after": self.tier_after},
            "rules": pair(self.rules),
            "not_ruled_out": pair(self.not_ruled_out),
            "labels": pair(self.labels),
            "obligations": pair(self.obligations),
            "missing_evidence": pair(self.missing_evidence),
            "crossings": [c.document() for c in self.crossings],
            "inputs_moved": [{"feature": m.feature, "before": m.before, "after": m.after} for m in self.moves],
            "unchanged": self.unchanged,
        }


def _ref(document: Mapping[str, Any]) -> str:
    policy = document.get("policy") or {}
    return f"{policy.get('id', '?')}@{policy.get('version', '?')}"


def _ids(items: Iterable[Any], key: str) -> set[str]:
    return {str(item[key]) for item in items if isinstance(item, Mapping) and key in item}


def _change(before: set[str], after: set[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(sorted(after - before)), tuple(sorted(before - after))


def _atoms(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for group in ("reasons", "not_ruled_out"):
        for entry in document.get(group) or []:
            found += [a for a in entry.get("atoms") or [] if isinstance(a, Mapping)]
    return found


def _values(document: Mapping[str, Any]) -> dict[str, float | None]:
    """Each input's value as the decision read it; None when it shows the input as unknown."""
    values: dict[str, float | None] = {}
    for atom in _atoms(document):
        value = atom.get("value")
        values[str(atom["feature"])] = float(value) if isinstance(value, int | float) else None
    for nearest in document.get("nearest_thresholds") or []:
        values.setdefault(str(nearest["feature"]), float(nearest["value"]))
    for missing in document.get("missing_evidence") or []:
        values[str(missing["feature"])] = None
    return values


def _thresholds(document: Mapping[str, Any]) -> set[tuple[str, str, float]]:
    keys = {(str(a["feature"]), str(a["op"]), float(a["threshold"])) for a in _atoms(document)}
    keys |= {(str(n["feature"]), str(n["op"]), float(n["threshold"])) for n in document.get("nearest_thresholds") or []}
    return keys


def _side(value: float | None, op: str, threshold: float) -> str:
    if value is None or math.isnan(value):
        return "unknown"
    return "above" if _COMPARE[op](value, threshold) else "below"


def diff_decisions(previous: Mapping[str, Any], current: Mapping[str, Any]) -> DecisionDiff:
    """What moved from decision document ``previous`` to decision document ``current``."""
    values_before, values_after = _values(previous), _values(current)
    crossings: list[Crossing] = []
    for feature, op, threshold in sorted(_thresholds(previous) | _thresholds(current)):
        if feature not in values_before or feature not in values_after:
            continue  # one decision does not show this input: nothing to compare it with
        before = _side(values_before[feature], op, threshold)
        after = _side(values_after[feature], op, threshold)
        if before != after:
            crossings.append(
                Crossing(feature, op, threshold, before, after, values_before[feature], values_after[feature])
            )
    moves = tuple(
        InputMove(feature, values_before[feature], values_after[feature])
        for feature in sorted(set(values_before) & set(values_after))
        if values_before[feature] != values_after[feature]
    )

    def changed(key: str, field: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return _change(_ids(previous.get(key) or [], field), _ids(current.get(key) or [], field))

    return DecisionDiff(
        model=str((current.get("model") or {}).get("name", "?")),
        previous_model=str((previous.get("model") or {}).get("name", "?")),
        policy_before=_ref(previous),
        policy_after=_ref(current),
        as_of_before=str(previous.get("as_of", "?")),
        as_of_after=str(current.get("as_of", "?")),
        tier_before=str(previous.get("tier", "?")),
        tier_after=str(current.get("tier", "?")),
        rules=changed("reasons", "rule"),
        not_ruled_out=changed("not_ruled_out", "rule"),
        labels=_change({str(x) for x in previous.get("labels") or []}, {str(x) for x in current.get("labels") or []}),
        obligations=changed("obligations", "id"),
        missing_evidence=changed("missing_evidence", "feature"),
        crossings=tuple(crossings),
        moves=moves,
    )
