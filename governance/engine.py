"""``decide``: from a candidate and a policy to a decision document.

The stages, in order: derive the features (:mod:`governance.features`), fire the rules in
durable_rules, take the most restrictive tier, add the missing-evidence floor, then explain: each
fired rule's atoms with margins, the labels and obligations, the staged plan, what is missing, which
thresholds fell inside an input's interval, and how close each feature is to the next threshold that
would raise the tier. Stages do no I/O; one structured log event is emitted per decision.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal, overload

from governance.candidate import Candidate
from governance.compiled import CompiledPolicy, compile_policy
from governance.decision import DECISION_SCHEMA_VERSION, Decision
from governance.exceptions import InputError
from governance.features import FeatureVector, extract_features, feature_info
from governance.logs import get_logger
from governance.policy import Atom, Condition, Policy, Rule
from governance.tiers import Tier

__all__ = ["ENGINE_NAME", "ENGINE_VERSION", "decide", "evaluator_names"]

ENGINE_NAME = "governance"
try:
    ENGINE_VERSION = version("governance")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
    ENGINE_VERSION = "0.0.0+source"

Evaluator = Literal["durable_rules", "python"]


def evaluator_names() -> tuple[str, ...]:
    """The evaluators ``decide`` accepts."""
    return ("durable_rules", "python")


def _source(policy: Policy, source_id: str) -> dict[str, Any]:
    source = policy.sources_by_id.get(source_id)
    if source is None:  # the static checks refuse such a policy; this guards plugin policies
        return {"id": source_id, "title": source_id}
    out: dict[str, Any] = {"id": source.id, "title": source.title}
    if source.url:
        out["url"] = source.url
    if source.section:
        out["section"] = source.section
    return out


def _atom_results(
    item: Atom | Condition, policy: Policy, values: Mapping[str, float], out: list[dict[str, Any]]
) -> None:
    if isinstance(item, Condition):
        for sub in item.items:
            _atom_results(sub, policy, values, out)
        return
    threshold = policy.threshold(item)
    value = values[item.feature]
    holds = {">=": value >= threshold, ">": value > threshold, "<=": value <= threshold, "<": value < threshold}[
        item.op
    ]
    result: dict[str, Any] = {"feature": item.feature, "op": item.op, "threshold": threshold, "holds": holds}
    if not math.isinf(value):
        result["value"] = value
        result["margin"] = value - threshold
        info = feature_info(item.feature, ())
        if info is not None and info.kind == "compute" and threshold > 0:
            result["ratio"] = value / threshold
    out.append(result)


def _reason(rule: Rule, policy: Policy, values: Mapping[str, float]) -> dict[str, Any]:
    atoms: list[dict[str, Any]] = []
    _atom_results(rule.when, policy, values, atoms)
    return {
        "rule": rule.id,
        "tier": rule.tier.value,
        "rationale": rule.rationale,
        "source": _source(policy, rule.source),
        "labels": sorted(rule.labels),
        "obligations": sorted(rule.obligations),
        "atoms": atoms,
    }


def _nearest(compiled: CompiledPolicy, values: Mapping[str, float], tier: Tier) -> list[dict[str, Any]]:
    """For each feature, the smallest raise that alone lifts the tier, tested with the Python predicates."""
    out: list[dict[str, Any]] = []
    if tier is Tier.RESTRICTED:
        return out
    lower_bound_ops: dict[str, dict[float, set[str]]] = {}
    for rule in compiled.policy.rules:
        if rule.tier <= tier:
            continue
        for atom in rule.when.atoms():
            if atom.is_lower_bound:
                lower_bound_ops.setdefault(atom.feature, {}).setdefault(compiled.policy.threshold(atom), set()).add(
                    atom.op
                )
    for feature in sorted(lower_bound_ops):
        value = values[feature]
        if math.isinf(value):
            continue
        for threshold in sorted(lower_bound_ops[feature]):
            if threshold < value:
                continue
            ops = lower_bound_ops[feature][threshold]
            strict_only = ops == {">"}
            probe = math.nextafter(threshold, math.inf) if strict_only else threshold
            if probe <= value:
                continue
            trial = dict(values)
            trial[feature] = probe
            fired = compiled.fired_python(trial)
            raised = compiled.tier_of(fired)
            if raised > tier:
                new_rules = sorted(compiled.policy.rules[i].id for i in fired if compiled.rule_tiers[i] > tier)
                entry: dict[str, Any] = {
                    "feature": feature,
                    "value": value,
                    "threshold": threshold,
                    "op": ">" if strict_only else ">=",
                    "raises_to": raised.value,
                    "rules": new_rules,
                    "distance": threshold - value,
                }
                info = feature_info(feature, compiled.domains)
                if info is not None and info.kind == "compute" and value > 0:
                    entry["ratio"] = threshold / value
                out.append(entry)
                break
    return out


def _interval_resolutions(compiled: CompiledPolicy, features: FeatureVector) -> list[dict[str, Any]]:
    """Thresholds that fall inside an input's interval, and the side the policy's stance put them on."""
    out: list[dict[str, Any]] = []
    for note in features.intervals:
        lower = note.lower if note.lower is not None else 0.0
        upper = note.upper if note.upper is not None else math.inf
        targets = ("training_flop", "training_flop_total") if note.feature == "training_flop" else (note.feature,)
        for target in targets:
            for threshold in compiled.thresholds.get(target, ()):
                if lower < threshold <= upper:
                    entry = {
                        "feature": target,
                        "threshold": threshold,
                        "lower": note.lower,
                        "estimate": note.estimate,
                        "upper": note.upper,
                        "used": None if math.isinf(note.used) else note.used,
                        "stance": note.stance,
                        "resolved": "above" if note.used >= threshold else "below",
                    }
                    out.append(_compact(entry))
    return out


def _compact(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if value is not None}


def _decide_one(candidate: Candidate, policy: Policy, as_of: dt.date, evaluator: Evaluator) -> Decision:
    compiled = compile_policy(policy)
    features = extract_features(candidate, policy, as_of)
    values = features.values
    fired = compiled.fired_durable(values) if evaluator == "durable_rules" else compiled.fired_python(values)
    rules = [policy.rules[i] for i in fired]
    tier = compiled.tier_of(fired)

    required = set(policy.evidence.required_domains)
    missing: list[dict[str, Any]] = []
    for feature, why in sorted(features.missing.items()):
        domain = feature.partition(".")[2] if feature.startswith("capability.") else None
        is_required = domain in required if domain else False
        if (
            compiled.reads(feature)
            or is_required
            or (
                feature == "training_flop" and any(compiled.reads(f) for f in ("training_flop_total", "effective_flop"))
            )
        ):
            missing.append({"feature": feature, "why": why, "required": is_required})

    labels = {label for rule in rules for label in rule.labels}
    obligation_rules: dict[str, list[str]] = {}
    for rule in rules:
        for obligation in rule.obligations:
            obligation_rules.setdefault(obligation, []).append(rule.id)
    if any(item["required"] for item in missing):
        tier = max(tier, policy.evidence.if_missing_tier)
        labels.update(policy.evidence.if_missing_labels)
        for obligation in policy.evidence.if_missing_obligations:
            obligation_rules.setdefault(obligation, []).append("evidence.if_missing")

    obligations: list[dict[str, Any]] = []
    for obligation_id in sorted(obligation_rules):
        spec = policy.obligations_by_id.get(obligation_id)
        entry: dict[str, Any] = {
            "id": obligation_id,
            "text": spec.text if spec else obligation_id,
            "source": _source(policy, spec.source if spec else ""),
            "rules": sorted(obligation_rules[obligation_id]),
        }
        if spec is not None and spec.due_within_days is not None:
            entry["due_within_days"] = spec.due_within_days
        if spec is not None and spec.due_by is not None:
            entry["due_by"] = spec.due_by.isoformat()
        obligations.append(entry)

    reasons = [_reason(rule, policy, values) for rule in rules]
    reasons.sort(key=lambda r: (-Tier(r["tier"]).rank, r["rule"]))
    model = {"name": candidate.model.name, "developer": candidate.model.developer}
    if candidate.model.version:
        model["version"] = candidate.model.version

    document: dict[str, Any] = {
        "schema_version": DECISION_SCHEMA_VERSION,
        "candidate_digest": candidate.digest,
        "model": model,
        "policy": {"id": policy.id, "version": policy.version, "digest": policy.digest},
        "engine": {"name": ENGINE_NAME, "version": ENGINE_VERSION},
        "as_of": as_of.isoformat(),
        "in_force": policy.in_force(as_of),
        "tier": tier.value,
        "reasons": reasons,
        "labels": sorted(labels),
        "obligations": obligations,
        "missing_evidence": missing,
        "nearest_thresholds": _nearest(compiled, values, tier),
        "interval_resolutions": _interval_resolutions(compiled, features),
    }
    if not document["in_force"]:
        period = policy.effective
        if as_of < period.start:
            document["in_force_note"] = f"{policy.ref} is not yet in force on {as_of}: it applies from {period.start}"
        else:
            document["in_force_note"] = f"{policy.ref} is no longer in force on {as_of}: it ended on {period.end}"
            if period.note:
                document["in_force_note"] += f" ({period.note})"
    if tier is Tier.STAGED and policy.plan:
        document["plan"] = [step.model_dump(mode="json", exclude_none=True) for step in policy.plan]
    if features.adjustment is not None and compiled.reads("effective_flop"):
        document["compute_adjustment"] = features.adjustment
    decision = Decision.from_document(document)
    get_logger("governance.decision").info(
        "decision",
        candidate=candidate.model.name,
        candidate_digest=candidate.digest,
        policy=policy.ref,
        policy_digest=policy.digest,
        as_of=document["as_of"],
        tier=tier.value,
        rules=[r.id for r in rules],
        evaluator=evaluator,
    )
    return decision


@overload
def decide(
    candidate: Candidate, policy: Policy, *, as_of: dt.date | None = ..., evaluator: Evaluator = ...
) -> Decision: ...


@overload
def decide(
    candidate: Candidate, policy: Sequence[Policy], *, as_of: dt.date | None = ..., evaluator: Evaluator = ...
) -> list[Decision]: ...


def decide(
    candidate: Candidate,
    policy: Policy | Sequence[Policy],
    *,
    as_of: dt.date | None = None,
    evaluator: Evaluator = "durable_rules",
) -> Decision | list[Decision]:
    """Decide the release tier of ``candidate`` under one policy, or under each of several.

    Args:
        candidate: the validated candidate.
        policy: one policy, or a sequence of them (then one decision per policy, in order).
        as_of: the date the decision is made for; today (UTC) when omitted. It selects whether the
            policy is in force and ages efficiency-adjusted compute thresholds.
        evaluator: ``durable_rules`` (the default) or ``python``; both give the same document.

    Returns:
        A :class:`Decision`, or a list of them when several policies were given.
    """
    if evaluator not in ("durable_rules", "python"):
        raise InputError(f"unknown evaluator {evaluator!r}; expected one of {', '.join(evaluator_names())}")
    day = as_of or dt.datetime.now(dt.UTC).date()
    if isinstance(policy, Policy):
        return _decide_one(candidate, policy, day, evaluator)
    policies: Iterable[Policy] = policy
    return [_decide_one(candidate, p, day, evaluator) for p in policies]
