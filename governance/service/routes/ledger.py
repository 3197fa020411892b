"""The ledger over HTTP: entries (by role), inclusion and consistency proofs (public), audit bundles.

An auditor reads every entry; a lab reads the entries of its own organisation (those whose candidate's
``model.developer`` is the key's organisation). Proofs are public: anyone can check that a leaf hash
is in a signed tree, or that one signed tree extends another, but the entry itself is in the proof only
for a caller who may read it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse

from governance.ledger.bundle import bundle_lines
from governance.ledger.entry import EntryRow, leaf_object
from governance.ledger.proofs import consistency_document, inclusion_document
from governance.service.apikeys import ApiKey, Role
from governance.service.auth import optional_key, require
from governance.service.models import ConsistencyProof, Entry, EntryPage, InclusionProof
from governance.service.problems import ProblemError
from governance.service.runtime import service_of

__all__ = ["may_read", "router"]

router = APIRouter(tags=["ledger"])
EntryReader = Annotated[ApiKey, Depends(require(Role.LAB, Role.AUDITOR))]
Auditor = Annotated[ApiKey, Depends(require(Role.AUDITOR))]
MaybeKey = Annotated[ApiKey | None, Depends(optional_key)]

MAX_SEQ = 2**62
"""Sequence numbers and sizes above this are refused (the databases store 64-bit integers)."""
SCAN_LIMIT = 10_000
"""Most entries one page request reads while filtering; the page then ends early with ``next`` set."""
_SINCE = re.compile(r"^\d{4}-\d\d-\d\d(T\d\d(:\d\d(:\d\d(\.\d{1,6})?)?)?Z?)?$")
_POLICY = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}(@[0-9A-Za-z][0-9A-Za-z.\-]{0,31})?$")


def _developer(candidate: bytes) -> str | None:
    model = json.loads(candidate).get("model")
    developer = model.get("developer") if isinstance(model, dict) else None
    return developer if isinstance(developer, str) else None


def may_read(key: ApiKey | None, row: EntryRow) -> bool:
    """True when ``key`` may see the documents of ``row``."""
    if key is None:
        return False
    if key.role is Role.AUDITOR:
        return True
    return key.role is Role.LAB and key.org is not None and _developer(row.candidate) == key.org


def _entry(row: EntryRow) -> dict[str, Any]:
    return {**leaf_object(row), "leaf_hash": row.leaf_hash.hex()}


def _not_found(what: str) -> ProblemError:
    return ProblemError(404, "not_found", what)


@router.get("/v1/entries/{seq}", summary="One ledger entry (auditor; lab: its organisation's).")
def get_entry(request: Request, seq: Annotated[int, Path(ge=0, le=MAX_SEQ)], key: EntryReader) -> Entry:
    """The entry at ``seq`` with its candidate and decision documents."""
    with service_of(request).ledger.read() as reader:
        row = reader.entry_at(seq)
    if row is None:
        raise _not_found(f"no entry {seq}")
    if not may_read(key, row):
        raise ProblemError(403, "forbidden", f"entry {seq} is not a decision about a model of {key.org}")
    return Entry.model_validate(_entry(row))


@router.get("/v1/entries", summary="Entries, filtered and paged (auditor; lab: its organisation's).")
def list_entries(
    request: Request,
    key: EntryReader,
    model: Annotated[str | None, Query(max_length=200, description="Exact model name.")] = None,
    policy: Annotated[str | None, Query(max_length=120, description="Policy id or id@version.")] = None,
    since: Annotated[str | None, Query(description="Recorded at or after this date or RFC 3339 time.")] = None,
    after: Annotated[int, Query(ge=-1, le=MAX_SEQ, description="Start after this sequence number (next).")] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EntryPage:
    """Entries in sequence order; each page reads at most 10,000 entries, so a sparse filter may give a short page."""
    if since is not None and not _SINCE.fullmatch(since):
        raise ProblemError(422, "invalid_input", f"since: {since!r} is not a date or RFC 3339 UTC time")
    if policy is not None and not _POLICY.fullmatch(policy):
        raise ProblemError(422, "invalid_input", f"policy: {policy!r} is not a policy id or id@version")
    found: list[dict[str, Any]] = []
    last = after
    more = False
    with service_of(request).ledger.read() as reader:
        digests = None
        if policy is not None:
            wanted_id, _, wanted_version = policy.partition("@")
            digests = {
                p.digest
                for p in reader.policies()
                if p.policy_id == wanted_id and (not wanted_version or p.policy_version == wanted_version)
            }
        scanned = 0
        for row in reader.entries(after + 1, since=since):
            if scanned >= SCAN_LIMIT or len(found) >= limit:
                more = True
                break
            scanned += 1
            last = row.seq
            if digests is not None and row.policy_digest not in digests:
                continue
            if model is not None and json.loads(row.candidate).get("model", {}).get("name") != model:
                continue
            if not may_read(key, row):
                continue
            found.append(_entry(row))
    return EntryPage.model_validate({"entries": found, "next": last if more else None})


@router.get("/v1/proofs/inclusion", summary="Inclusion proof of an entry (public; the entry only for its readers).")
def inclusion(
    request: Request,
    key: MaybeKey,
    seq: Annotated[int, Query(ge=0, le=MAX_SEQ)],
    size: Annotated[int | None, Query(ge=1, le=MAX_SEQ, description="A signed tree size (default: latest).")] = None,
) -> InclusionProof:
    """That entry ``seq`` is in the signed tree of ``size`` entries; ``governance audit proof`` checks it offline."""
    with service_of(request).ledger.read() as reader:
        row = reader.entry_at(seq)
        if row is None:
            raise _not_found(f"no entry {seq}")
        document = inclusion_document(reader, row.decision_id, size=size)
    if not may_read(key, row):
        document["entry"] = None
    return InclusionProof.model_validate(document)


@router.get("/v1/proofs/consistency", summary="Consistency proof between two signed tree sizes (public).")
def consistency(
    request: Request,
    old: Annotated[int, Query(alias="from", ge=1, le=MAX_SEQ)],
    new: Annotated[int | None, Query(alias="to", ge=1, le=MAX_SEQ, description="Default: the latest.")] = None,
) -> ConsistencyProof:
    """That the tree of ``from`` entries is a prefix of the signed tree of ``to`` (``governance audit consistency``)."""
    with service_of(request).ledger.read() as reader:
        if reader.latest_checkpoint() is None:
            raise _not_found("the ledger is empty: no checkpoint has been signed yet")
        document = consistency_document(reader, old, new_size=new)
    return ConsistencyProof.model_validate(document)


@router.get(
    "/v1/bundle",
    summary="The whole ledger as an audit bundle (auditor).",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "An audit bundle (JSON Lines)."}},
)
def bundle(request: Request, _key: Auditor) -> StreamingResponse:
    """Streams the audit bundle ``governance audit verify`` and ``audit replay`` accept, from one snapshot."""
    ledger = service_of(request).ledger

    def lines() -> Iterator[bytes]:
        with ledger.read() as reader:
            yield from bundle_lines(reader)

    origin = ledger.origin.rsplit("/", 1)[-1]
    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="governance-{origin}.bundle.jsonl"'},
    )
