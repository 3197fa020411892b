"""The explanation stages of a decision: pure functions from evaluated rules to document parts.

Each function returns JSON-compatible data for one part of the decision document: the reasons
(fired rules with their atoms and margins), obligations, missing evidence, thresholds inside an
input's interval, and the nearest threshold per feature. Numbers pass through :func:`num`, which
writes integral floats as integers (the canonical JSON form is the same, and it keeps canonical
encoding on its fast path).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from governance.compiled import CompiledPolicy
from governance.features import FeatureVector, feature_info
from governance.policy import Atom, Condition, Policy, Rule
from governance.tiers import Tier

__all__ = [
    "interval_resolutions",
    "missing_evidence",
    "nearest_thresholds",
    "num",
    "obligations",
    "reason",
    "source_ref",
]

_COMPUTE = frozenset({"training_flop", "training_flop_total", "effective_flop"})
_EXACT_INT = 2.0**53


def num(value: float) -> float | int:
    """``value`` as an int when it is integral and exactly representable, else unchanged."""
    if value.is_integer() and -_EXACT_INT < value < _EXACT_INT:
        return int(value)
    return value


def _compact(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if value is not None}


def source_ref(policy: Policy, source_id: str) -> dict[str, Any]:
    """The cited source as it appears in the decision (the static checks guarantee it exists)."""
    source = policy.sources_by_id.get(source_id)
    if source is None:
        return {"id": source_id, "title": source_id}
    return _compact({"id": source.id, "title": source.title, "url": source.url, "section": source.section})


def _holds(op: str, value: float, threshold: float) -> bool:
    if op == ">=":
        return value >= threshold
    if op == ">":
        return value > threshold
    if op == "<=":
        return value <= threshold
    return value < threshold


def _atoms(item: Atom | Condition, policy: Policy, values: Mapping[str, float], out: list[dict[str, Any]]) -> None:
    if isinstance(item, Condition):
        for sub in item.items:
            _atoms(sub, policy, values, out)
        return
    threshold = policy.threshold(item)
    value = values[item.feature]
    result: dict[str, Any] = {
        "feature": item.feature,
        "op": item.op,
        "threshold": num(threshold),
        "holds": _holds(item.op, value, threshold),
    }
    if not math.isinf(value):
        result["value"] = num(value)
        result["margin"] = num(value - threshold)
        if item.feature in _COMPUTE and threshold > 0:
            result["ratio"] = num(value / threshold)
    out.append(result)


def reason(rule: Rule, policy: Policy, values: Mapping[str, float]) -> dict[str, Any]:
    """A fired rule with every atom as evaluated."""
    atoms: list[dict[str, Any]] = []
    _atoms(rule.when, policy, values, atoms)
    return {
        "rule": rule.id,
        "tier": rule.tier.value,
        "rationale": rule.rationale,
        "source": source_ref(policy, rule.source),
        "labels": sorted(rule.labels),
        "obligations": sorted(rule.obligations),
        "atoms": atoms,
    }


def obligations(policy: Policy, attached: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    """The obligations attached (obligation id to the ids of the rules that attached it)."""
    out: list[dict[str, Any]] = []
    for obligation_id in sorted(attached):
        spec = policy.obligations_by_id.get(obligation_id)
        entry: dict[str, Any] = {
            "id": obligation_id,
            "text": spec.text if spec else obligation_id,
            "source": source_ref(policy, spec.source if spec else ""),
            "rules": sorted(attached[obligation_id]),
        }
        if spec is not None and spec.due_within_days is not None:
            entry["due_within_days"] = spec.due_within_days
        if spec is not None and spec.due_by is not None:
            entry["due_by"] = spec.due_by.isoformat()
        out.append(entry)
    return out


def missing_evidence(compiled: CompiledPolicy, features: FeatureVector) -> list[dict[str, Any]]:
    """Unknown inputs that the policy reads or requires, each with why it is unknown."""
    required = set(compiled.policy.evidence.required_domains)
    reads_compute = any(compiled.reads(f) for f in _COMPUTE)
    out: list[dict[str, Any]] = []
    for feature, why in sorted(features.missing.items()):
        family, _, domain = feature.partition(".")
        is_required = family == "capability" and domain in required
        relevant = compiled.reads(feature) or is_required or (feature == "training_flop" and reads_compute)
        if relevant:
            out.append({"feature": feature, "why": why, "required": is_required})
    return out


def interval_resolutions(compiled: CompiledPolicy, features: FeatureVector) -> list[dict[str, Any]]:
    """Thresholds that fall inside an input's interval, and the side the policy's stance put them on."""
    factor = 1.0
    if features.adjustment is not None:
        factor = float(features.adjustment["factor"])
    out: list[dict[str, Any]] = []
    for note in features.intervals:
        scales = (
            {"training_flop": 1.0, "effective_flop": factor} if note.feature == "training_flop" else {note.feature: 1.0}
        )
        for target, scale in scales.items():
            lower = (note.lower or 0.0) * scale
            upper = math.inf if note.upper is None else note.upper * scale
            used = note.used * scale
            for threshold in compiled.thresholds.get(target, ()):
                if lower < threshold <= upper:
                    entry = {
                        "feature": target,
                        "threshold": num(threshold),
                        "lower": None if note.lower is None else num(note.lower * scale),
                        "estimate": None if note.estimate is None else num(note.estimate * scale),
                        "upper": None if note.upper is None else num(note.upper * scale),
                        "used": None if math.isinf(used) else num(used),
                        "stance": note.stance,
                        "resolved": "above" if used >= threshold else "below",
                    }
                    out.append(_compact(entry))
    return out


def nearest_thresholds(compiled: CompiledPolicy, values: Mapping[str, float], tier: Tier) -> list[dict[str, Any]]:
    """For each known feature, the smallest raise of that feature alone that lifts the tier.

    Candidate thresholds are the lower-bound thresholds of rules above the current tier, tried in
    ascending order with the plain-Python predicates of just those rules until one fires (the other
    rules above the tier do not fire, and do not read the feature).
    """
    out: list[dict[str, Any]] = []
    trial = dict(values)  # one scratch copy: each probe sets one feature and puts it back
    predicates = compiled.predicates
    for feature, (steps, candidates) in compiled.raising_thresholds(tier).items():
        value = values[feature]
        if math.isinf(value):
            continue
        for threshold, strict in steps:
            probe = math.nextafter(threshold, math.inf) if strict else threshold
            if probe <= value:
                continue
            trial[feature] = probe
            fired = [i for i in candidates if predicates[i](trial)]
            trial[feature] = value
            if fired:
                raised = compiled.tier_of(fired)
                entry: dict[str, Any] = {
                    "feature": feature,
                    "value": num(value),
                    "threshold": num(threshold),
                    "op": ">" if strict else ">=",
                    "raises_to": raised.value,
                    "rules": sorted(compiled.policy.rules[i].id for i in fired),
                    "distance": num(threshold - value),
                }
                info = feature_info(feature, compiled.domains)
                if info is not None and info.kind == "compute" and value > 0:
                    entry["ratio"] = num(threshold / value)
                out.append(entry)
                break
    return out
