"""Inclusion and consistency proofs as self-contained JSON documents, and their offline checks.

``governance ledger prove DECISION_ID`` prints an inclusion proof: the entry itself, its leaf hash,
the audit path and the signed checkpoint it leads to. Anyone with the ledger's public key can check it
with ``governance audit proof FILE`` without the ledger: the leaf is recomputed from the entry, the
path must lead to the checkpoint's root, and the checkpoint's signature must verify.

``governance ledger consistency OLD_SIZE`` prints a consistency proof from an earlier tree size to the
latest checkpoint; with a checkpoint kept from that earlier size, ``governance audit consistency``
proves the log only grew since (nothing before was changed or removed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from governance.canonical import canonical_bytes
from governance.exceptions import InputError, LedgerError, VerificationError
from governance.ledger.entry import EntryRow, PendingEntry, leaf_bytes, leaf_object
from governance.ledger.merkle import (
    ProofError,
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from governance.ledger.signing import SignedCheckpoint, VerifierKey
from governance.ledger.store import AppendResult, LedgerReader

__all__ = [
    "CONSISTENCY_FORMAT",
    "INCLUSION_FORMAT",
    "ProofCheck",
    "appended_inclusion_document",
    "check_consistency_document",
    "check_inclusion_document",
    "consistency_document",
    "inclusion_document",
]

INCLUSION_FORMAT = "governance-inclusion-proof"
CONSISTENCY_FORMAT = "governance-consistency-proof"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise InputError(f"proof: {what} is missing or not a string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"proof: {what} is not base64") from exc


def _latest_signed(reader: LedgerReader, size: int | None = None) -> tuple[SignedCheckpoint, VerifierKey | None]:
    """The latest checkpoint, or the one signed at ``size`` entries, with its key."""
    if size is None:
        latest = reader.latest_checkpoint()
        if latest is None:
            raise LedgerError(f"{reader.description}: the ledger has no checkpoint yet (it is empty)")
    else:
        latest = reader.checkpoint_at(size)
        if latest is None:
            raise InputError(f"{reader.description}: no checkpoint was signed at tree size {size}")
    keys = {}
    for stored in reader.signing_keys():
        try:
            keys[stored.key_id] = stored.verifier()
        except InputError:
            continue
    key = keys.get(latest.key_id)
    return latest.signed(reader.origin, key.name if key else "unknown"), key


def inclusion_document(reader: LedgerReader, decision_id: str, *, size: int | None = None) -> dict[str, Any]:
    """The inclusion proof of one decision against the latest checkpoint (or the one signed at ``size``).

    Raises:
        InputError: when no entry has that decision id, or no checkpoint was signed at ``size``.
        LedgerError: when the ledger has no checkpoint covering it, or its stored tree does not
            lead to the checkpoint (run verify).
    """
    entry = reader.entry(decision_id)
    if entry is None:
        raise InputError(f"no decision {decision_id!r} in {reader.description}")
    signed, key = _latest_signed(reader, size)
    if size is not None and entry.seq >= size:
        raise InputError(f"entry {entry.seq} is not among the first {size} entries")
    size = signed.checkpoint.tree_size
    if entry.seq >= size:
        raise LedgerError(f"{reader.description}: entry {entry.seq} is not covered by the latest checkpoint ({size})")
    path = inclusion_proof(entry.seq, size, reader.subtree_reader().subtree)
    leaf = hashlib.sha256(
        b"\x00"
        + leaf_bytes(
            entry.seq,
            entry.decision_id,
            entry.recorded_at,
            entry.actor,
            entry.candidate,
            entry.decision,
            entry.policy_digest,
            entry.canon,
        )
    ).digest()
    try:
        verify_inclusion(entry.seq, size, leaf, path, signed.checkpoint.root_hash)
    except ProofError as exc:
        raise LedgerError(
            f"{reader.description}: the stored tree does not prove entry {entry.seq} ({exc}); "
            "run `governance ledger verify`"
        ) from exc
    return {
        "format": INCLUSION_FORMAT,
        "version": 1,
        "origin": reader.origin,
        "decision_id": entry.decision_id,
        "seq": entry.seq,
        "entry": leaf_object(entry),
        "leaf_hash": _b64(leaf),
        "tree_size": size,
        "root_hash": _b64(signed.checkpoint.root_hash),
        "proof": [_b64(node) for node in path],
        "checkpoint": signed.note(),
        "key": key.text() if key is not None else None,
    }


def appended_inclusion_document(
    origin: str, entry: PendingEntry, result: AppendResult, key: VerifierKey | None
) -> dict[str, Any]:
    """The inclusion proof of an entry just appended, from what its append returned (no reads).

    The same document as :func:`inclusion_document` gives against the checkpoint that append signed.

    Raises:
        LedgerError: when the append returned no path, or its path does not lead to its signed root.
    """
    row = EntryRow(
        result.seq,
        result.decision_id,
        result.recorded_at,
        entry.actor,
        entry.candidate,
        entry.decision,
        entry.policy_digest,
        entry.canon,
        bytes.fromhex(result.leaf_hash),
        b"",
    )
    root = bytes.fromhex(result.root_hash)
    try:
        if not result.checkpoint or (result.tree_size > 1 and not result.proof):
            raise ProofError("the append returned no audit path")
        verify_inclusion(result.seq, result.tree_size, row.leaf_hash, result.proof, root)
    except ProofError as exc:
        raise LedgerError(f"{origin}: entry {result.seq} has no valid proof from its append ({exc})") from exc
    return {
        "format": INCLUSION_FORMAT,
        "version": 1,
        "origin": origin,
        "decision_id": result.decision_id,
        "seq": result.seq,
        "entry": leaf_object(row),
        "leaf_hash": _b64(row.leaf_hash),
        "tree_size": result.tree_size,
        "root_hash": _b64(root),
        "proof": [_b64(node) for node in result.proof],
        "checkpoint": result.checkpoint,
        "key": key.text() if key is not None else None,
    }


def consistency_document(reader: LedgerReader, old_size: int, *, new_size: int | None = None) -> dict[str, Any]:
    """The consistency proof from ``old_size`` to the latest checkpoint (or the one signed at ``new_size``).

    Raises:
        InputError: when ``old_size`` is not between 1 and that checkpoint's size, or no checkpoint
            was signed at ``new_size``.
    """
    signed, key = _latest_signed(reader, new_size)
    size = signed.checkpoint.tree_size
    if not 1 <= old_size <= size:
        raise InputError(f"OLD_SIZE must be between 1 and the latest checkpoint's size {size}, not {old_size}")
    tree = reader.subtree_reader()
    proof = consistency_proof(old_size, size, tree.subtree)
    return {
        "format": CONSISTENCY_FORMAT,
        "version": 1,
        "origin": reader.origin,
        "old_size": old_size,
        "old_root": _b64(tree.subtree(0, old_size)),
        "new_size": size,
        "new_root": _b64(signed.checkpoint.root_hash),
        "proof": [_b64(node) for node in proof],
        "checkpoint": signed.note(),
        "key": key.text() if key is not None else None,
    }


@dataclass(frozen=True)
class ProofCheck:
    """What an offline proof check established."""

    origin: str
    tree_size: int
    key: VerifierKey
    trusted: bool
    """True when the key came from the auditor (``--pubkey``), False when from the proof itself."""
    detail: str


def _checked_note(
    document: dict[str, Any], trusted_keys: list[VerifierKey] | None
) -> tuple[SignedCheckpoint, VerifierKey]:
    note_text = document.get("checkpoint")
    if not isinstance(note_text, str):
        raise InputError("proof: the signed checkpoint is missing")
    signed = SignedCheckpoint.parse_note(note_text, source="proof checkpoint")
    if trusted_keys is not None:
        candidates = trusted_keys
    else:
        text = document.get("key")
        if not isinstance(text, str):
            raise InputError("proof: no public key in the proof; pass --pubkey")
        candidates = [VerifierKey.parse(text, source="proof key")]
    for key in candidates:
        if signed.verify(key):
            break
    else:
        raise VerificationError(
            f"the proof's checkpoint is not signed by a trusted key (signed by key id {signed.key_id})"
        )
    if signed.checkpoint.origin != document.get("origin"):
        raise VerificationError("the proof's checkpoint belongs to another ledger")
    return signed, key


def check_inclusion_document(document: dict[str, Any], trusted_keys: list[VerifierKey] | None = None) -> ProofCheck:
    """Check an inclusion proof document offline.

    Raises:
        InputError: when the document is not an inclusion proof.
        VerificationError: when it does not prove what it claims.
    """
    if document.get("format") != INCLUSION_FORMAT:
        raise InputError(f"not an inclusion proof (no format {INCLUSION_FORMAT!r})")
    signed, key = _checked_note(document, trusted_keys)
    entry = document.get("entry")
    seq = document.get("seq")
    size = document.get("tree_size")
    if not isinstance(entry, dict) or not isinstance(seq, int) or not isinstance(size, int):
        raise InputError("proof: entry, seq and tree_size are required")
    if entry.get("seq") != seq or entry.get("decision_id") != document.get("decision_id"):
        raise VerificationError("the proof's entry is not the entry it names")
    try:
        leaf = hashlib.sha256(b"\x00" + canonical_bytes(entry)).digest()
    except (TypeError, ValueError) as exc:
        raise VerificationError(f"the proof's entry is not JSON that can be canonicalised ({exc})") from exc
    if leaf != _unb64(document.get("leaf_hash"), "leaf_hash"):
        raise VerificationError("the entry does not hash to the proof's leaf hash: the entry was altered")
    checkpoint = signed.checkpoint
    if checkpoint.tree_size != size or checkpoint.root_hash != _unb64(document.get("root_hash"), "root_hash"):
        raise VerificationError("the proof's size or root differs from its signed checkpoint")
    proof = document.get("proof")
    if not isinstance(proof, list):
        raise InputError("proof: the audit path is missing")
    try:
        verify_inclusion(seq, size, leaf, [_unb64(p, "a proof hash") for p in proof], checkpoint.root_hash)
    except ProofError as exc:
        raise VerificationError(f"the inclusion proof does not verify: {exc}") from exc
    return ProofCheck(
        checkpoint.origin,
        size,
        key,
        trusted_keys is not None,
        f"decision {document.get('decision_id')} is entry {seq} of the {size} entries signed at {checkpoint.time}",
    )


def check_consistency_document(
    document: dict[str, Any], old: SignedCheckpoint, trusted_keys: list[VerifierKey] | None = None
) -> ProofCheck:
    """Check that the log grew from the checkpoint ``old`` (kept by the auditor) to the proof's checkpoint.

    Raises:
        InputError: when the document is not a consistency proof.
        VerificationError: when the log did not only grow.
    """
    if document.get("format") != CONSISTENCY_FORMAT:
        raise InputError(f"not a consistency proof (no format {CONSISTENCY_FORMAT!r})")
    signed, key = _checked_note(document, trusted_keys)
    if trusted_keys is not None and not any(old.verify(k) for k in trusted_keys):
        raise VerificationError("the earlier checkpoint is not signed by a trusted key")
    if old.checkpoint.origin != signed.checkpoint.origin:
        raise VerificationError("the two checkpoints belong to different ledgers")
    proof = document.get("proof")
    if not isinstance(proof, list):
        raise InputError("proof: the consistency path is missing")
    try:
        verify_consistency(
            old.checkpoint.tree_size,
            signed.checkpoint.tree_size,
            old.checkpoint.root_hash,
            signed.checkpoint.root_hash,
            [_unb64(p, "a proof hash") for p in proof],
        )
    except ProofError as exc:
        raise VerificationError(f"the log did not only grow: {exc}") from exc
    return ProofCheck(
        signed.checkpoint.origin,
        signed.checkpoint.tree_size,
        key,
        trusted_keys is not None,
        f"the {old.checkpoint.tree_size} entries signed at {old.checkpoint.time} are unchanged in the "
        f"{signed.checkpoint.tree_size} entries signed at {signed.checkpoint.time}",
    )
