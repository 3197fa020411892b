"""``POST /v1/decisions``: decide a candidate under policies, and record the decisions when asked.

The response is canonical JSON (RFC 8785): each ``decision`` member is, byte for byte, the decision's
canonical document, the same bytes ``governance decide --format json`` prints once canonicalised and
the bytes the ledger hashes. Recorded decisions come back with their sequence number and an inclusion
proof in the tree their append signed (computed by the append, not read back); concurrent requests
share one ledger transaction (group commit).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from governance import Candidate, canonical_bytes, decide
from governance.ledger.entry import prepare_entry
from governance.ledger.proofs import appended_inclusion_document
from governance.service.apikeys import ApiKey, Role
from governance.service.auth import require
from governance.service.bodies import StrictRoute
from governance.service.models import InclusionProof
from governance.service.problems import ProblemError
from governance.service.routes.policies import POLICY_REF_PATTERN, resolve_refs
from governance.service.runtime import service_of

__all__ = ["DecisionRequest", "DecisionResponse", "router"]

router = APIRouter(tags=["decisions"], route_class=StrictRoute)
Lab = Annotated[ApiKey, Depends(require(Role.LAB))]
PolicyRefText = Annotated[str, StringConstraints(pattern=POLICY_REF_PATTERN)]


class DecisionRequest(BaseModel):
    """A candidate, the policies to decide it under, the date, and whether to record the decisions."""

    model_config = ConfigDict(extra="forbid")
    candidate: Candidate
    policies: list[PolicyRefText] = Field(default_factory=lambda: ["all"], min_length=1, max_length=32)
    """``all`` (every policy in force on ``as_of`` that applies to the candidate), ``id`` or ``id@version``."""
    as_of: dt.date | None = None
    """The decision date (default: today, UTC)."""
    record: bool = False
    """Append the decisions to the ledger (all or none)."""


class RecordedEntry(BaseModel):
    """Where a decision was recorded, and the proof that the signed tree holds it."""

    seq: int
    decision_id: str
    recorded_at: str
    leaf_hash: str
    tree_size: int
    root_hash: str
    inclusion_proof: InclusionProof


class DecisionResult(BaseModel):
    """One decision: under which policy version, its digest, the document, and where it was recorded."""

    policy: str
    digest: str
    """``sha256:<hex>`` of the canonical decision document."""
    decision: dict[str, Any]
    """The decision document (docs/decision-format.md); read ``not_ruled_out`` when present."""
    recorded: RecordedEntry | None = None


class DecisionResponse(BaseModel):
    """The decisions, one per policy, in the order the policies were resolved."""

    decisions: list[DecisionResult]


@router.post(
    "/v1/decisions",
    summary="Decide (and record) a candidate of the key's organisation (lab).",
    response_model=DecisionResponse,
    responses={200: {"content": {"application/json": {}}, "description": "Canonical JSON (RFC 8785)."}},
)
async def post_decisions(request: Request, body: DecisionRequest, key: Lab) -> Response:
    """Decide ``candidate`` under each policy; with ``record``, append every decision (all or none) first.

    Deciding is CPU work done on the event loop (no thread hand-off); only the commit is waited for.
    """
    candidate = body.candidate
    if candidate.model.developer != key.org:
        raise ProblemError(
            403,
            "forbidden",
            f"a key of {key.org!r} may decide only candidates whose model.developer is {key.org!r}, "
            f"not {candidate.model.developer!r}",
        )
    service = service_of(request)
    day = body.as_of or dt.datetime.now(dt.UTC).date()
    policies = resolve_refs(body.policies, as_of=day, candidate=candidate)
    decisions = [decide(candidate, policy, as_of=day, suites="shipped") for policy in policies]
    recorded: list[dict[str, Any] | None] = [None] * len(decisions)
    if body.record:
        prepared = [
            prepare_entry(candidate, policy, decision, actor=key.actor)
            for policy, decision in zip(policies, decisions, strict=True)
        ]
        results = await service.appender.submit_async(prepared)
        recorded = [
            {
                "seq": result.seq,
                "decision_id": result.decision_id,
                "recorded_at": result.recorded_at,
                "leaf_hash": result.leaf_hash,
                "tree_size": result.tree_size,
                "root_hash": result.root_hash,
                "inclusion_proof": appended_inclusion_document(service.ledger.origin, entry, result, service.verifier),
            }
            for entry, result in zip(prepared, results, strict=True)
        ]
    for policy, decision in zip(policies, decisions, strict=True):
        service.metrics.decisions.labels(policy.ref, decision.tier.value, str(body.record).lower()).inc()
    document = {
        "decisions": [
            {"policy": policy.ref, "digest": decision.digest, "decision": decision.document(), "recorded": entry}
            for policy, decision, entry in zip(policies, decisions, recorded, strict=True)
        ]
    }
    return Response(canonical_bytes(document), media_type="application/json")
