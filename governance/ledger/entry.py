"""What one ledger entry holds, how its leaf is encoded, and how a decision is made ready to append.

The leaf of entry ``seq`` is the RFC 8785 canonical JSON of the object::

    {"actor": str, "candidate": <candidate document>, "canon": "jcs-rfc8785",
     "decision": <decision document>, "decision_id": str, "policy_digest": "sha256:<hex>",
     "recorded_at": "<RFC 3339 UTC>", "seq": int}

Because the candidate and decision columns already hold canonical JSON, those bytes are spliced in as
they are: :func:`leaf_bytes` equals ``canonical_bytes`` of that object without re-encoding the
documents, which is what lets verification run near the speed of SHA-256 itself.

An entry also names the evaluation-suite versions its decision was made with: the ones the decision
itself carries (``decide`` records each suite it used; ledgers from before decision schema 2 hold every
suite the candidate's results resolved to, see :func:`suites_for_benchmarks`). They are stored beside
the entry, not in its leaf: replay decides with exactly them, and reproducing the stored decision byte
for byte is what shows they are the ones used.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any, Literal, NamedTuple

from governance.candidate import Candidate
from governance.canonical import CANONICAL_FORM, canonical_bytes, sha256_hex
from governance.decision import Decision
from governance.evidence.suites import Suite, find_suite
from governance.exceptions import InputError
from governance.ledger._rows import parse_document
from governance.policy import Policy

__all__ = [
    "ENTRY_COLUMNS",
    "LEAF_FIELDS",
    "EntryRow",
    "PendingEntry",
    "PolicyBlob",
    "SuiteBlob",
    "entry_document",
    "leaf_bytes",
    "leaf_object",
    "prepare_entry",
    "suites_for_benchmarks",
]

LEAF_FIELDS = ("actor", "candidate", "canon", "decision", "decision_id", "policy_digest", "recorded_at", "seq")
"""The members of the leaf object, in canonical (sorted) order."""
ENTRY_COLUMNS = (
    "seq",
    "decision_id",
    "recorded_at",
    "actor",
    "candidate",
    "decision",
    "policy_digest",
    "canon",
    "leaf_hash",
    "node",
)
"""The stored columns of an entry, in the order :class:`EntryRow` holds them."""

_DECISION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class EntryRow(NamedTuple):
    """An entry as stored: the leaf fields (documents as canonical bytes), its leaf hash and node."""

    seq: int
    decision_id: str
    recorded_at: str
    actor: str
    candidate: bytes
    decision: bytes
    policy_digest: str
    canon: str
    leaf_hash: bytes
    node: bytes


def leaf_bytes(
    seq: int,
    decision_id: str,
    recorded_at: str,
    actor: str,
    candidate: bytes,
    decision: bytes,
    policy_digest: str,
    canon: str,
) -> bytes:
    """The canonical JSON of the leaf object, with the two documents spliced in as stored."""
    return b"".join(
        (
            b'{"actor":',
            encode_basestring(actor).encode(),
            b',"candidate":',
            candidate,
            b',"canon":',
            encode_basestring(canon).encode(),
            b',"decision":',
            decision,
            b',"decision_id":',
            encode_basestring(decision_id).encode(),
            b',"policy_digest":',
            encode_basestring(policy_digest).encode(),
            b',"recorded_at":',
            encode_basestring(recorded_at).encode(),
            b',"seq":',
            str(seq).encode(),
            b"}",
        )
    )


def entry_document(row: EntryRow, column: Literal["candidate", "decision"], source: str) -> dict[str, Any]:
    """The stored candidate or decision of ``row``, parsed.

    Raises:
        VerificationError: naming ``source``, the entry and the column, when the stored bytes are not
            a UTF-8 JSON object (the ledger was changed outside governance).
    """
    where = f"{source}: entry seq {row.seq} (decision {row.decision_id})"
    return parse_document(row.candidate if column == "candidate" else row.decision, where, column)


def leaf_object(row: EntryRow, source: str = "the ledger") -> dict[str, object]:
    """The leaf as a JSON object (documents parsed), for bundles and proofs."""
    return {
        "actor": row.actor,
        "candidate": entry_document(row, "candidate", source),
        "canon": row.canon,
        "decision": entry_document(row, "decision", source),
        "decision_id": row.decision_id,
        "policy_digest": row.policy_digest,
        "recorded_at": row.recorded_at,
        "seq": row.seq,
    }


@dataclass(frozen=True)
class PolicyBlob:
    """A policy version as the ledger stores it: digest, identity and canonical document bytes."""

    digest: str
    policy_id: str
    policy_version: str
    document: bytes


@dataclass(frozen=True)
class SuiteBlob:
    """An evaluation-suite version as the ledger stores it: digest, identity and canonical document bytes."""

    digest: str
    suite_id: str
    suite_version: str
    document: bytes

    @property
    def ref(self) -> str:
        """``id@version``."""
        return f"{self.suite_id}@{self.suite_version}"


_SUITE_JSON: dict[str, SuiteBlob] = {}


def _suite_blob(suite: Suite) -> SuiteBlob:
    blob = _SUITE_JSON.get(suite.digest)
    if blob is None:
        encoded = canonical_bytes(suite.document())
        blob = SuiteBlob("sha256:" + sha256_hex(encoded), suite.id, suite.version, encoded)
        if len(_SUITE_JSON) < 256:
            _SUITE_JSON[suite.digest] = blob
    return blob


def suites_for_benchmarks(benchmarks: Iterable[str]) -> tuple[SuiteBlob, ...]:
    """The suite versions in force that the benchmark names resolve to, once each, by digest.

    This is every suite the engine can consult for results with these benchmarks (the ones that count
    and the ones set aside), so storing them lets replay decide again with nothing else.
    """
    found: dict[str, SuiteBlob] = {}
    for name in benchmarks:
        suite = find_suite(name)
        if suite is not None:
            blob = _suite_blob(suite)
            found.setdefault(blob.digest, blob)
    return tuple(found[digest] for digest in sorted(found))


def _named_suites(evidence: dict[str, dict[str, Any]] | None) -> set[str]:
    """The ``id@version`` of every suite a decision's evidence section names."""
    named: set[str] = set()
    for record in (evidence or {}).values():
        results: list[object] = [record.get("chosen")]
        for group in ("counted", "discarded"):
            listed = record.get(group)
            if isinstance(listed, list):
                results.extend(listed)
        for result in results:
            if isinstance(result, dict) and isinstance(result.get("suite"), str):
                named.add(result["suite"])
    return named


@dataclass(frozen=True)
class PendingEntry:
    """A decision checked and encoded, ready to append; only ``seq`` and the time are added later."""

    decision_id: str
    actor: str
    candidate: bytes
    decision: bytes
    policy: PolicyBlob
    model: str
    tier: str
    as_of: str
    canon: str = CANONICAL_FORM
    suites: tuple[SuiteBlob, ...] = ()
    """The evaluation-suite versions the decision was made with (empty without evaluations)."""

    @property
    def policy_digest(self) -> str:
        """The digest of the policy version the decision was made under."""
        return self.policy.digest


_POLICY_JSON: dict[str, bytes] = {}


def _policy_json(policy: Policy) -> bytes:
    """The canonical policy document, encoded once per digest (policies are immutable)."""
    encoded = _POLICY_JSON.get(policy.digest)
    if encoded is None:
        encoded = canonical_bytes(policy.document())
        if "sha256:" + sha256_hex(encoded) != policy.digest:  # pragma: no cover - guarded by Policy itself
            raise InputError(f"policy {policy.ref}: its document does not hash to its digest")
        if len(_POLICY_JSON) < 256:
            _POLICY_JSON[policy.digest] = encoded
    return encoded


def check_actor(actor: str) -> str:
    """Return ``actor`` if it is a usable actor name, else raise InputError."""
    if not isinstance(actor, str) or not actor.strip():
        raise InputError("actor: expected a non-empty name (who recorded the decision)")
    if len(actor) > 200 or _CONTROL.search(actor):
        raise InputError("actor: expected at most 200 characters and no control characters")
    return actor


def prepare_entry(
    candidate: Candidate,
    policy: Policy,
    decision: Decision,
    *,
    actor: str,
    decision_id: str | None = None,
) -> PendingEntry:
    """Check that ``decision`` was made for ``candidate`` under ``policy`` and encode all three.

    Everything that can be wrong with an entry is found here, before any transaction starts.

    Raises:
        InputError: when the three do not belong together, or the actor or decision id is unusable.
    """
    if not isinstance(candidate, Candidate) or not isinstance(policy, Policy) or not isinstance(decision, Decision):
        raise InputError("an entry needs a Candidate, the Policy used and the Decision made")
    if decision.policy.digest != policy.digest:
        raise InputError(
            f"the decision was made under policy digest {decision.policy.digest}, "
            f"but the policy given is {policy.ref} with digest {policy.digest}"
        )
    if (decision.policy.id, decision.policy.version) != (policy.id, policy.version):
        raise InputError(f"the decision names policy {decision.policy.id}@{decision.policy.version}, not {policy.ref}")
    candidate_json = canonical_bytes(candidate.document())
    if decision.candidate_digest != "sha256:" + sha256_hex(candidate_json):
        raise InputError(
            f"the decision was made for candidate {decision.candidate_digest}, not for {candidate.model.name!r} "
            f"({candidate.digest})"
        )
    policy_json = _policy_json(policy)
    suites = tuple(sorted((_suite_blob(suite) for suite in decision.suites_used), key=lambda blob: blob.digest))
    recorded = {(ref.id, ref.version, ref.digest) for ref in decision.suites or ()}
    held = {(suite.id, suite.version, suite.digest) for suite in decision.suites_used}
    unknown = (_named_suites(decision.evidence) | {f"{i}@{v}" for i, v, _ in recorded}) - {blob.ref for blob in suites}
    if unknown or (decision.suites is not None and recorded != held):
        raise InputError(
            f"the decision names evaluation suite(s) {', '.join(sorted(unknown)) or 'by digest'} whose definitions "
            "it does not carry: record the decision returned by decide(), which holds the suites it used"
        )
    identifier = decision_id if decision_id is not None else str(uuid.uuid4())
    if not isinstance(identifier, str) or not _DECISION_ID.fullmatch(identifier):
        raise InputError(
            f"decision id {identifier!r}: expected 1-128 letters, digits, '.', '_', ':' or '-', starting alphanumeric"
        )
    return PendingEntry(
        decision_id=identifier,
        actor=check_actor(actor),
        candidate=candidate_json,
        decision=decision.canonical_json(),
        policy=PolicyBlob(policy.digest, policy.id, policy.version, policy_json),
        model=candidate.model.name,
        tier=decision.tier.value,
        as_of=decision.as_of.isoformat(),
        suites=suites,
    )
