"""``/v1/policies``: the policy versions the service decides with, and each one's document and digest."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from governance import Candidate, Policy, PolicyNotFoundError, discover_policies, resolve_policies
from governance.service.apikeys import ApiKey, Role
from governance.service.auth import require

__all__ = ["POLICY_REF_PATTERN", "resolve_refs", "router"]

router = APIRouter(prefix="/v1/policies", tags=["policies"])
Reader = Annotated[ApiKey, Depends(require(Role.LAB, Role.AUDITOR, Role.POLICYMAKER))]

POLICY_REF_PATTERN = r"^(all|[a-z0-9][a-z0-9-]{0,79}(@[0-9A-Za-z][0-9A-Za-z.\-]{0,31})?)$"
"""``all``, ``id`` or ``id@version``: never a path (the service reads only its own policy catalogue)."""
_REF = re.compile(POLICY_REF_PATTERN)
_PINNED: dict[tuple[tuple[str, ...], str], tuple[Policy, ...]] = {}
"""Policies resolved from ``id@version`` references only, which depend on neither date nor candidate."""


class PolicySummary(BaseModel):
    """One policy version in the catalogue."""

    id: str
    version: str
    title: str
    kind: str
    jurisdiction: str
    effective_from: dt.date
    effective_to: dt.date | None
    digest: str


class PolicyDocument(PolicySummary):
    """A policy version with its canonical document (whose SHA-256 is ``digest``)."""

    document: dict[str, Any]


def _summary(policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "version": policy.version,
        "title": policy.title,
        "kind": policy.kind.value,
        "jurisdiction": policy.jurisdiction,
        "effective_from": policy.effective.start,
        "effective_to": policy.effective.end,
        "digest": policy.digest,
    }


def resolve_refs(refs: Sequence[str], *, as_of: dt.date, candidate: Candidate | None = None) -> list[Policy]:
    """Policies by ``all``, ``id`` or ``id@version`` from the catalogue, as ``governance decide --policy`` does.

    Raises:
        PolicyNotFoundError: for a reference that names no policy in the catalogue (or is a path).
    """
    pinned = all("@" in ref for ref in refs)
    cache_key = (tuple(refs), os.environ.get("GOVERNANCE_POLICY_PATH", ""))
    if pinned and cache_key in _PINNED:
        return list(_PINNED[cache_key])
    known = {entry.id for entry in discover_policies()}
    for ref in refs:
        if not _REF.fullmatch(ref):
            raise PolicyNotFoundError(f"policy {ref!r}: expected 'all', an id or id@version from GET /v1/policies")
        policy_id = ref.partition("@")[0]
        if ref != "all" and (policy_id not in known or os.path.lexists(ref)):
            raise PolicyNotFoundError(f"no policy with id {policy_id!r}; see GET /v1/policies")
    policies = resolve_policies(refs, as_of=as_of, candidate=candidate)
    if pinned and len(_PINNED) < 256:  # id@version names one immutable version of the cached catalogue
        _PINNED[cache_key] = tuple(policies)
    return policies


@router.get("", summary="Every policy version (lab, auditor, policymaker).")
def list_policies(_key: Reader) -> list[PolicySummary]:
    """Every policy version in the service's catalogue, by id and version."""
    entries = sorted(discover_policies(), key=lambda e: (e.id, e.policy.effective.start, e.version))
    return [PolicySummary.model_validate(_summary(entry.policy)) for entry in entries]


@router.get("/{policy_id}/{version}", summary="One policy version and its digest (lab, auditor, policymaker).")
def get_policy(policy_id: str, version: str, _key: Reader) -> PolicyDocument:
    """The policy version's canonical document and the digest decisions cite."""
    ref = f"{policy_id}@{version}"
    policy = resolve_refs([ref], as_of=dt.datetime.now(dt.UTC).date())[0] if _REF.fullmatch(ref) else None
    if policy is None:
        raise PolicyNotFoundError(f"no policy {ref!r}")
    return PolicyDocument.model_validate({**_summary(policy), "document": policy.document()})
