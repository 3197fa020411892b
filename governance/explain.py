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
from typing import Literal, cast

from governance._parts import (
    AtomDoc,
    Bounded,
    IntervalDoc,
    MissingDoc,
    NearestDoc,
    NotRuledOutDoc,
    ObligationDoc,
    ReasonDoc,
    SourceDoc,
)
from governance.compiled import CompiledPolicy, Node
from governance.features import FeatureVector, feature_info, scale_by_power_of_two
from governance.policy import Atom, Condition, Policy, Rule
from governance.tiers import Tier

__all__ = [
    "UNBOUNDED",
    "difference",
    "interval_resolutions",
    "missing_evidence",
    "nearest_thresholds",
    "not_ruled_out",
    "not_ruled_out_of",
    "num",
    "obligations",
    "ratio",
    "reason",
    "reason_of",
    "reasons_of",
    "source_ref",
]

_COMPUTE = frozenset({"training_flop", "training_flop_total", "effective_flop"})
_EXACT_INT = 2.0**53


UNBOUNDED: Literal["unbounded"] = "unbounded"
"""Written where a margin, distance or ratio is too large for a double: the truth in words, never ``inf``."""


def num(value: float) -> float | int:
    """``value`` as an int when it is integral and exactly representable, else unchanged."""
    if value.is_integer() and -_EXACT_INT < value < _EXACT_INT:
        return int(value)
    return value


def difference(left: float, right: float) -> Bounded:
    """``left - right`` of two finite numbers, or ``"unbounded"`` when no double holds it."""
    result = left - right
    return num(result) if math.isfinite(result) else UNBOUNDED


def ratio(numerator: float, denominator: float) -> Bounded:
    """``numerator / denominator`` (denominator > 0), or ``"unbounded"`` when no double holds it."""
    result = numerator / denominator
    return num(result) if math.isfinite(result) else UNBOUNDED


def source_ref(policy: Policy, source_id: str) -> SourceDoc:
    """The cited source as it appears in the decision (the static checks guarantee it exists)."""
    source = policy.sources_by_id.get(source_id)
    if source is None:
        return {"id": source_id, "title": source_id}
    ref: SourceDoc = {"id": source.id, "title": source.title}
    if source.url is not None:
        ref["url"] = source.url
    if source.section is not None:
        ref["section"] = source.section
    return ref


def _holds(op: str, value: float, threshold: float) -> bool:
    if op == ">=":
        return value >= threshold
    if op == ">":
        return value > threshold
    if op == "<=":
        return value <= threshold
    return value < threshold


def _atoms(
    item: Atom | Condition, policy: Policy, values: Mapping[str, float], out: list[AtomDoc], three_valued: bool
) -> None:
    if isinstance(item, Condition):
        for sub in item.items:
            _atoms(sub, policy, values, out, three_valued)
        return
    threshold = policy.threshold(item)
    value = values[item.feature]
    unknown = math.isinf(value) and three_valued
    # Unknown: a lower bound is not ruled out (it would hold if the value were high enough), an upper
    # bound does not hold (unknown is never read as below a threshold).
    holds = False if unknown else _holds(item.op, value, threshold)
    result: AtomDoc = {"feature": item.feature, "op": item.op, "threshold": num(threshold), "holds": holds}
    if unknown:
        result["unknown"] = True
    if not math.isinf(value):
        result["value"] = num(value)
        result["margin"] = difference(value, threshold) if three_valued else num(value - threshold)
        if item.feature in _COMPUTE and threshold > 0:
            result["ratio"] = ratio(value, threshold) if three_valued else num(value / threshold)
    out.append(result)


def reason(rule: Rule, policy: Policy, values: Mapping[str, float], *, three_valued: bool = True) -> ReasonDoc:
    """A fired rule with every atom as evaluated (``three_valued=False``: as decision schema 1 wrote it)."""
    atoms: list[AtomDoc] = []
    _atoms(rule.when, policy, values, atoms, three_valued)
    return {
        "rule": rule.id,
        "tier": rule.tier.value,
        "rationale": rule.rationale,
        "source": source_ref(policy, rule.source),
        "labels": sorted(rule.labels),
        "obligations": sorted(rule.obligations),
        "atoms": atoms,
    }


class _RuleTemplate:
    """The parts of one rule's reason that no candidate changes, built once per compiled policy."""

    __slots__ = ("atoms", "labels", "obligations", "rank", "rationale", "rule", "source", "tier")

    def __init__(self, compiled: CompiledPolicy, index: int) -> None:
        rule = compiled.rules[index]
        self.rule = rule.id
        self.tier = rule.tier.value
        self.rank = rule.tier.rank
        self.rationale = rule.rationale
        self.source = source_ref(compiled.policy, rule.source)
        self.labels = sorted(rule.labels)
        self.obligations = sorted(rule.obligations)
        condition = compiled.conditions[index]
        tests = condition.tests() if isinstance(condition, Node) else (condition,)
        self.atoms = tuple(
            (
                test.feature,
                test.op,
                test.threshold,
                num(test.threshold),
                test.feature in _COMPUTE and test.threshold > 0,
            )
            for test in tests
        )


def _templates(compiled: CompiledPolicy) -> tuple[_RuleTemplate, ...]:
    templates = compiled.memo.get("reasons")
    if templates is None:
        templates = compiled.memo["reasons"] = tuple(
            _RuleTemplate(compiled, index) for index in range(len(compiled.rules))
        )
    return cast(tuple[_RuleTemplate, ...], templates)


def reason_of(compiled: CompiledPolicy, index: int, values: Mapping[str, float], three_valued: bool) -> ReasonDoc:
    """The reason of rule ``index`` of ``compiled``: :func:`reason` from the rule's fixed parts, built once."""
    template = _templates(compiled)[index]
    atoms: list[AtomDoc] = []
    for feature, op, threshold, written, compute in template.atoms:
        value = values[feature]
        if value == math.inf or value == -math.inf:
            unknown = three_valued
            atom: AtomDoc = {
                "feature": feature,
                "op": op,
                "threshold": written,
                "holds": False if unknown else _holds(op, value, threshold),
            }
            if unknown:
                atom["unknown"] = True
        else:
            atom = {
                "feature": feature,
                "op": op,
                "threshold": written,
                "holds": _holds(op, value, threshold),
                "value": num(value),
                "margin": difference(value, threshold) if three_valued else num(value - threshold),
            }
            if compute:
                atom["ratio"] = ratio(value, threshold) if three_valued else num(value / threshold)
        atoms.append(atom)
    return {
        "rule": template.rule,
        "tier": template.tier,
        "rationale": template.rationale,
        "source": dict(template.source),  # type: ignore[typeddict-item]
        "labels": list(template.labels),
        "obligations": list(template.obligations),
        "atoms": atoms,
    }


def reasons_of(
    compiled: CompiledPolicy, indices: tuple[int, ...], values: Mapping[str, float], three_valued: bool
) -> list[ReasonDoc]:
    """The reasons of the rules ``indices``, most restrictive tier first, then by rule id."""
    templates = _templates(compiled)
    order = sorted(indices, key=lambda i: (-templates[i].rank, templates[i].rule))
    return [reason_of(compiled, i, values, three_valued) for i in order]


def not_ruled_out(rule: Rule, policy: Policy, features: FeatureVector, domains: tuple[str, ...]) -> NotRuledOutDoc:
    """A rule that would fire if some unknown input were high enough: what it waits on, and what settles it."""
    return _waiting(rule, policy, features, domains, reason(rule, policy, features.values))


def not_ruled_out_of(
    compiled: CompiledPolicy, indices: tuple[int, ...], features: FeatureVector
) -> list[NotRuledOutDoc]:
    """:func:`not_ruled_out` of the rules ``indices`` (most restrictive tier first, then by rule id)."""
    templates = _templates(compiled)
    order = sorted(indices, key=lambda i: (-templates[i].rank, templates[i].rule))
    rules, policy, values = compiled.rules, compiled.policy, features.values
    return [_waiting(rules[i], policy, features, compiled.domains, reason_of(compiled, i, values, True)) for i in order]


def _waiting(
    rule: Rule, policy: Policy, features: FeatureVector, domains: tuple[str, ...], base: ReasonDoc
) -> NotRuledOutDoc:
    values = features.values
    waiting: dict[str, None] = {}
    for atom in rule.when.atoms():
        if atom.is_lower_bound and math.isinf(values[atom.feature]):
            waiting.setdefault(atom.feature, None)
    settle = []
    for feature in waiting:
        info = feature_info(feature, domains)
        settle.append(info.settled_by if info is not None else f"a known value of {feature}")
    declared = rule.cannot_rule_out
    entry: NotRuledOutDoc = {
        "rule": base["rule"],
        "tier": base["tier"],
        "rationale": base["rationale"],
        "source": base["source"],
        "labels": base["labels"],
        "obligations": base["obligations"],
        "atoms": base["atoms"],
        "waiting_on": list(waiting),
        "settle": "supply " + "; and ".join(settle) if settle else "no unknown input",
        "finding": declared is not None,
    }
    if declared is not None:
        entry["treated_as"] = {
            "reading": declared.treat_as,
            "source": source_ref(policy, declared.source),
            "quote": declared.quote,
        }
    return entry


def obligations(policy: Policy, attached: Mapping[str, list[str]]) -> list[ObligationDoc]:
    """The obligations attached (obligation id to the ids of the rules that attached it)."""
    out: list[ObligationDoc] = []
    for obligation_id in sorted(attached):
        spec = policy.obligations_by_id.get(obligation_id)
        entry: ObligationDoc = {
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


def missing_evidence(compiled: CompiledPolicy, features: FeatureVector) -> list[MissingDoc]:
    """Unknown inputs that the policy reads or requires, each with why it is unknown."""
    required = set(compiled.policy.evidence.required_domains)
    reads_compute = any(compiled.reads(f) for f in _COMPUTE)
    out: list[MissingDoc] = []
    for feature, why in sorted(features.missing.items()):
        family, _, domain = feature.partition(".")
        is_required = family == "capability" and domain in required
        relevant = compiled.reads(feature) or is_required or (feature == "training_flop" and reads_compute)
        if relevant:
            out.append({"feature": feature, "why": why, "required": is_required})
    return out


def interval_resolutions(compiled: CompiledPolicy, features: FeatureVector) -> list[IntervalDoc]:
    """Thresholds that fall inside an input's interval, and the side the policy's stance put them on."""
    doublings = features.adjustment.doublings if features.adjustment is not None else 0.0
    out: list[IntervalDoc] = []
    for note in features.intervals:
        scales = (
            {"training_flop": 0.0, "effective_flop": doublings}
            if note.feature == "training_flop"
            else {note.feature: 0.0}
        )
        for target, exponent in scales.items():

            def scaled(value: float, exponent: float = exponent) -> float:
                return scale_by_power_of_two(value, exponent)

            lower = scaled(note.lower or 0.0)
            upper = math.inf if note.upper is None else scaled(note.upper)
            used = math.inf if math.isinf(note.used) else scaled(note.used)
            for threshold in compiled.thresholds.get(target, ()):
                if lower < threshold <= upper:
                    entry: IntervalDoc = {
                        "feature": target,
                        "threshold": num(threshold),
                        "stance": note.stance,
                        "resolved": "above" if used >= threshold else "below",
                    }
                    if note.lower is not None:
                        entry["lower"] = num(scaled(note.lower))
                    if note.estimate is not None:
                        entry["estimate"] = num(scaled(note.estimate))
                    if note.upper is not None:
                        entry["upper"] = num(scaled(note.upper))
                    if not math.isinf(used):
                        entry["used"] = num(used)
                    out.append(entry)
    return out


def nearest_thresholds(compiled: CompiledPolicy, values: Mapping[str, float], tier: Tier) -> list[NearestDoc]:
    """For each known feature, the smallest raise of that feature alone that lifts the tier.

    Candidate thresholds are the lower-bound thresholds of rules above the current tier, tried in
    ascending order with the scalar evaluator on just those rules until one fires or is not ruled out
    (the other rules above the tier neither, and do not read the feature).
    """
    out: list[NearestDoc] = []
    trial = dict(values)  # one scratch copy: each probe sets one feature and puts it back
    rules = compiled.scalar
    for feature, (steps, candidates) in compiled.raising_thresholds(tier).items():
        value = values[feature]
        if math.isinf(value):
            continue
        for threshold, strict in steps:
            probe = math.nextafter(threshold, math.inf) if strict else threshold
            if probe <= value:
                continue
            trial[feature] = probe
            fired = [i for i in candidates if rules[i](trial)]
            trial[feature] = value
            if fired:
                raised = compiled.tier_of(fired)
                entry: NearestDoc = {
                    "feature": feature,
                    "value": num(value),
                    "threshold": num(threshold),
                    "op": ">" if strict else ">=",
                    "raises_to": raised.value,
                    "rules": sorted(compiled.policy.rules[i].id for i in fired),
                    "distance": difference(threshold, value),
                }
                info = feature_info(feature, compiled.domains)
                if info is not None and info.kind == "compute" and value > 0:
                    entry["ratio"] = ratio(threshold, value)
                out.append(entry)
                break
    return out
