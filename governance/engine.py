"""``decide``: from a candidate and a policy to a decision document.

The stages, in order: derive the features (:mod:`governance.features`), fire the rules in
durable_rules, take the most restrictive tier, add the missing-evidence floor, then explain: each
fired rule's atoms with margins, the labels and obligations, the staged plan, what is missing, which
thresholds fell inside an input's interval, and how close each feature is to the next threshold that
would raise the tier. Stages do no I/O; one structured log event is emitted per decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal, overload

from governance import explain
from governance.candidate import Candidate
from governance.compiled import compile_policy
from governance.decision import DECISION_SCHEMA_VERSION, Decision
from governance.exceptions import InputError
from governance.features import extract_features
from governance.logs import get_logger
from governance.policy import Policy, PolicyKind
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


def _in_force_note(policy: Policy, day: dt.date) -> str | None:
    period = policy.effective
    if policy.kind is PolicyKind.PROPOSAL:
        note = f"{policy.ref} is a proposal and was never in force"
        return note + (f" ({period.note})" if period.note else "")
    if period.contains(day):
        return None
    if day < period.start:
        return f"{policy.ref} is not yet in force on {day}: it applies from {period.start}"
    note = f"{policy.ref} is no longer in force on {day}: it ended on {period.end}"
    return note + (f" ({period.note})" if period.note else "")


def _decide_one(candidate: Candidate, policy: Policy, as_of: dt.date, evaluator: Evaluator) -> Decision:
    compiled = compile_policy(policy)
    features = extract_features(candidate, policy, as_of)
    values = features.values
    fired = compiled.fired_durable(values) if evaluator == "durable_rules" else compiled.fired_python(values)
    rules = [policy.rules[i] for i in fired]
    tier = compiled.tier_of(fired)

    missing = explain.missing_evidence(compiled, features)
    labels = {label for rule in rules for label in rule.labels}
    attached: dict[str, list[str]] = {}
    for rule in rules:
        for obligation in rule.obligations:
            attached.setdefault(obligation, []).append(rule.id)
    if any(item["required"] for item in missing):
        tier = max(tier, policy.evidence.if_missing_tier)
        labels.update(policy.evidence.if_missing_labels)
        for obligation in policy.evidence.if_missing_obligations:
            attached.setdefault(obligation, []).append("evidence.if_missing")

    reasons = [explain.reason(rule, policy, values) for rule in rules]
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
        "obligations": explain.obligations(policy, attached),
        "missing_evidence": missing,
        "nearest_thresholds": explain.nearest_thresholds(compiled, values, tier),
        "interval_resolutions": explain.interval_resolutions(compiled, features),
    }
    note = _in_force_note(policy, as_of)
    if note is not None:
        document["in_force_note"] = note
    if tier is Tier.STAGED and policy.plan:
        document["plan"] = compiled.plan_document()
    if features.adjustment is not None and compiled.reads("effective_flop"):
        document["compute_adjustment"] = {
            key: explain.num(value) if isinstance(value, float) else value for key, value in features.adjustment.items()
        }
    if features.evidence:
        document["evidence"] = features.evidence
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
