"""``decide``: from a candidate and a policy to a decision document.

The stages, in order: derive the features (:mod:`governance.features`) from the candidate and the
evaluation suites given, evaluate the rules three-valued in durable_rules (fired, not ruled out, or
neither; :mod:`governance.compiled`), aggregate (the most restrictive tier of every rule fired or not
ruled out, then the missing-evidence floor; labels and obligations from findings only), then explain:
each fired rule's atoms with margins, each not-ruled-out rule with the evidence that would settle it,
the obligations, the staged plan, what is missing, which thresholds fell inside an input's interval,
and how close each feature is to the next threshold that would raise the tier. Stages do no I/O; one
structured log event is emitted per decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal, cast, overload

from governance import explain
from governance._parts import AdjustmentDoc
from governance.candidate import Candidate
from governance.compiled import Aggregate, CompiledPolicy, Evaluation, compile_policy
from governance.decision import (
    DECISION_SCHEMA_VERSION,
    PART_ABSENT,
    PART_WHOLE,
    SUPPORTED_DECISION_SCHEMAS,
    Decision,
)
from governance.evidence.suites import Suite, SuiteCatalogue, shipped_suites
from governance.exceptions import EngineError, InputError
from governance.features import ComputeAdjustmentNote, FeatureVector, extract_features
from governance.logs import get_logger, logging_enabled
from governance.policy import Policy, PolicyKind
from governance.tiers import Tier

__all__ = ["ENGINE_NAME", "ENGINE_VERSION", "decide", "evaluator_names"]

ENGINE_NAME = "governance"
try:
    ENGINE_VERSION = version("governance")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
    ENGINE_VERSION = "0.0.0+source"

Evaluator = Literal["durable_rules", "python"]
Suites = SuiteCatalogue | Iterable[Suite] | Literal["shipped"]


def evaluator_names() -> tuple[str, ...]:
    """The evaluators ``decide`` accepts."""
    return ("durable_rules", "python")


def _in_force_note(policy: Policy, day: dt.date) -> str | None:
    period = policy.effective
    if policy.kind is PolicyKind.PROPOSAL:
        note = f"{policy.ref} is a proposal and was never in force"
        return note + (f" ({period.note})" if period.note else "")
    if period.contains(day):
        if period.unconfirmed_after is not None and day >= period.unconfirmed_after:
            return (
                f"{policy.ref}: currency unconfirmed after {period.unconfirmed_after}: a successor is reported "
                "but its text was not reached, so this decision rests on the last version confirmed"
            )
        return None
    if day < period.start:
        return f"{policy.ref} is not yet in force on {day}: it applies from {period.start}"
    note = f"{policy.ref} is no longer in force on {day}: it ended on {period.end}"
    return note + (f" ({period.note})" if period.note else "")


def _decide_one(
    candidate: Candidate,
    policy: Policy,
    as_of: dt.date,
    evaluator: Evaluator,
    suites: SuiteCatalogue | None,
    schema: int,
) -> Decision:
    compiled = compile_policy(policy)
    features = extract_features(candidate, policy, as_of, suites, names=compiled.needed)
    values = features.values
    evaluation = compiled.evaluate_durable(values) if evaluator == "durable_rules" else compiled.evaluate_scalar(values)
    if schema == 1:
        # Decision schema 1 read a rule that was only not ruled out as fired: labels, obligations, reasons.
        evaluation = Evaluation(evaluation.raising, ())
    result = compiled.aggregate(evaluation, values)
    adjustment = features.adjustment
    if schema == 1 and adjustment is not None and adjustment.factor is None and compiled.reads("effective_flop"):
        # Raised here, not when the document is first read: a decision that cannot be written is not made.
        raise EngineError(_SCHEMA_1_OVERFLOW)
    pending = _Pending(candidate, compiled, as_of, schema, features, evaluation, result)
    decision = Decision._from_engine(pending, suites=features.suites)
    if logging_enabled():
        rules = policy.rules
        get_logger("governance.decision").info(
            "decision",
            candidate=candidate.model.name,
            candidate_digest=candidate.digest,
            policy=policy.ref,
            policy_digest=policy.digest,
            as_of=as_of.isoformat(),
            tier=result.tier.value,
            rules=[rules[i].id for i in evaluation.fired],
            not_ruled_out=[rules[i].id for i in result.not_ruled_out],
            evaluator=evaluator,
        )
    return decision


class _Pending:
    """One evaluation, kept compactly: the decision document's parts are built from it when first read.

    It holds the candidate, the derived features and the indexes of the rules that fired or are not
    ruled out; the explanation (reasons, obligations, missing evidence, nearest thresholds, interval
    resolutions) is computed from them on demand, and :meth:`document` builds the whole document,
    always the same for the same record.
    """

    __slots__ = ("as_of", "candidate", "compiled", "evaluation", "features", "result", "schema")

    def __init__(
        self,
        candidate: Candidate,
        compiled: CompiledPolicy,
        as_of: dt.date,
        schema: int,
        features: FeatureVector,
        evaluation: Evaluation,
        result: Aggregate,
    ) -> None:
        self.candidate = candidate
        self.compiled = compiled
        self.as_of = as_of
        self.schema = schema
        self.features = features
        self.evaluation = evaluation
        self.result = result

    def part(self, name: str) -> Any:
        """One field built alone (see :class:`~governance.decision.PendingDocument`), or a marker."""
        if name == "tier":
            return self.result.tier
        three_valued = self.schema >= 2
        if name == "reasons":
            fired = self.evaluation.fired
            return explain.reasons_of(self.compiled, fired, self.features.values, three_valued) if fired else []
        if name == "not_ruled_out":
            if not three_valued:
                return PART_ABSENT
            waiting = self.result.not_ruled_out
            return explain.not_ruled_out_of(self.compiled, waiting, self.features) if waiting else []
        if name == "tier_on_evidence":
            return self.result.tier_on_evidence if three_valued else PART_ABSENT
        if name == "schema_version":
            return self.schema
        return PART_WHOLE

    def document(self) -> dict[str, Any]:
        """The whole decision document."""
        compiled, features, result, schema = self.compiled, self.features, self.result, self.schema
        policy, candidate = compiled.policy, self.candidate
        values = features.values
        tier = result.tier
        rules = policy.rules
        labels = {label for i in result.findings for label in rules[i].labels}
        attached: dict[str, list[str]] = {}
        for i in result.findings:
            for obligation in rules[i].obligations:
                attached.setdefault(obligation, []).append(rules[i].id)
        if result.floor:
            labels.update(policy.evidence.if_missing_labels)
            for obligation in policy.evidence.if_missing_obligations:
                attached.setdefault(obligation, []).append("evidence.if_missing")
        three_valued = schema >= 2
        model = {"name": candidate.model.name, "developer": candidate.model.developer}
        if candidate.model.version:
            model["version"] = candidate.model.version
        fixed = _fixed_parts(compiled, self.as_of)
        document: dict[str, Any] = {
            "schema_version": schema,
            "candidate_digest": candidate.digest,
            "model": model,
            "policy": dict(fixed.policy),
            "engine": dict(fixed.engine),
            "as_of": fixed.as_of,
            "in_force": fixed.in_force,
            "tier": tier.value,
            "reasons": explain.reasons_of(compiled, self.evaluation.fired, values, three_valued),
            "labels": sorted(labels),
            "obligations": explain.obligations(policy, attached),
            "missing_evidence": explain.missing_evidence(compiled, features),
            "nearest_thresholds": explain.nearest_thresholds(compiled, values, tier),
            "interval_resolutions": explain.interval_resolutions(compiled, features),
        }
        if three_valued:
            document["not_ruled_out"] = explain.not_ruled_out_of(compiled, result.not_ruled_out, features)
            document["tier_on_evidence"] = result.tier_on_evidence.value
        if fixed.note is not None:
            document["in_force_note"] = fixed.note
        if tier is Tier.STAGED and policy.plan:
            document["plan"] = compiled.plan_document()
        if features.adjustment is not None and compiled.reads("effective_flop"):
            document["compute_adjustment"] = _adjustment(features.adjustment, three_valued)
        if features.evidence:
            document["evidence"] = features.evidence
        if three_valued and features.suites:
            document["suites"] = [
                {"id": suite.id, "version": suite.version, "digest": suite.digest} for suite in features.suites
            ]
        return document


class _Fixed:
    """The parts of a decision document that depend only on the policy and the date."""

    __slots__ = ("as_of", "engine", "in_force", "note", "policy")

    def __init__(self, policy: Policy, as_of: dt.date) -> None:
        self.policy = {"id": policy.id, "version": policy.version, "digest": policy.digest}
        self.engine = {"name": ENGINE_NAME, "version": ENGINE_VERSION}
        self.as_of = as_of.isoformat()
        self.in_force = policy.in_force(as_of)
        self.note = _in_force_note(policy, as_of)


_FIXED_DATES = 64
"""How many dates' fixed parts a compiled policy keeps."""


def _fixed_parts(compiled: CompiledPolicy, as_of: dt.date) -> _Fixed:
    dates = compiled.memo.get("fixed")
    if not isinstance(dates, dict):
        dates = compiled.memo["fixed"] = {}
    fixed = dates.get(as_of)
    if fixed is None:
        fixed = _Fixed(compiled.policy, as_of)
        if len(dates) < _FIXED_DATES:
            dates[as_of] = fixed
    return cast(_Fixed, fixed)


_SCHEMA_1_OVERFLOW = "this decision cannot be written in decision schema 1: its efficiency factor overflows"


def _adjustment(adjustment: ComputeAdjustmentNote, three_valued: bool) -> AdjustmentDoc:
    out: AdjustmentDoc = {
        "reference_date": adjustment.reference_date.isoformat(),
        "date": adjustment.date.isoformat(),
        "date_basis": adjustment.date_basis,
        "halving_months": explain.num(adjustment.halving_months),
    }
    if three_valued:
        out["doublings"] = explain.num(adjustment.doublings)
    if adjustment.factor is not None:
        out["factor"] = explain.num(adjustment.factor)
    elif three_valued:
        out["factor_note"] = f"2^{adjustment.doublings:.6g} is beyond the range of a double"
    else:
        # Schema 1 wrote the factor only; it never held a factor beyond a double (such decisions failed).
        raise EngineError(_SCHEMA_1_OVERFLOW)
    return out


@overload
def decide(
    candidate: Candidate,
    policy: Policy,
    *,
    as_of: dt.date | None = ...,
    suites: Suites = ...,
    evaluator: Evaluator = ...,
    schema: int = ...,
) -> Decision: ...


@overload
def decide(
    candidate: Candidate,
    policy: Sequence[Policy],
    *,
    as_of: dt.date | None = ...,
    suites: Suites = ...,
    evaluator: Evaluator = ...,
    schema: int = ...,
) -> list[Decision]: ...


def decide(
    candidate: Candidate,
    policy: Policy | Sequence[Policy],
    *,
    as_of: dt.date | None = None,
    suites: Suites = "shipped",
    evaluator: Evaluator = "durable_rules",
    schema: int = DECISION_SCHEMA_VERSION,
) -> Decision | list[Decision]:
    """Decide the release tier of ``candidate`` under one policy, or under each of several.

    Args:
        candidate: the validated candidate.
        policy: one policy, or a sequence of them (then one decision per policy, in order).
        as_of: the date the decision is made for; today (UTC) when omitted. It selects whether the
            policy is in force and ages efficiency-adjusted compute thresholds.
        suites: the evaluation suites in force, which give the candidate's evaluation results their
            meaning: a :class:`~governance.evidence.suites.SuiteCatalogue` or an iterable of suites, or
            ``"shipped"`` (the default) for the engine's own ``evaluations`` catalogue, read only when
            the candidate has evaluation results. The decision records the digest of each suite it used.
        evaluator: ``durable_rules`` (the default) or ``python``; both give the same document.
        schema: the decision schema to write: 2 (the default), or 1 to reproduce a decision recorded
            under schema 1, whose rules that were only not ruled out counted as fired.

    Returns:
        A :class:`Decision`, or a list of them when several policies were given.
    """
    if evaluator not in ("durable_rules", "python"):
        raise InputError(f"unknown evaluator {evaluator!r}; expected one of {', '.join(evaluator_names())}")
    if schema not in SUPPORTED_DECISION_SCHEMAS:
        raise InputError(f"unknown decision schema {schema!r}; this engine writes {SUPPORTED_DECISION_SCHEMAS}")
    day = as_of or dt.datetime.now(dt.UTC).date()
    catalogue = _catalogue(suites, candidate)
    if isinstance(policy, Policy):
        return _decide_one(candidate, policy, day, evaluator, catalogue, schema)
    policies: Iterable[Policy] = policy
    return [_decide_one(candidate, p, day, evaluator, catalogue, schema) for p in policies]


def _catalogue(suites: Suites, candidate: Candidate) -> SuiteCatalogue | None:
    if isinstance(suites, SuiteCatalogue):
        return suites
    if isinstance(suites, str):
        if suites != "shipped":
            raise InputError(f"suites must be a SuiteCatalogue, suites, or 'shipped'; got {suites!r}")
        return shipped_suites() if candidate.evaluations else None
    return SuiteCatalogue.of(suites)
