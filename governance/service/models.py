"""Response models the routes share: entries and proofs, as the ledger's own documents define them.

The proof models describe the documents :func:`governance.ledger.inclusion_document` and
:func:`governance.ledger.consistency_document` build, which ``governance audit proof`` and
``governance audit consistency`` check offline.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["ConsistencyProof", "Entry", "EntryPage", "InclusionProof"]


class InclusionProof(BaseModel):
    """That entry ``seq`` is in the tree of ``tree_size`` entries signed in ``checkpoint``.

    ``entry`` (the leaf object) is present only for a caller who may read it; without it, the proof
    still shows that ``leaf_hash`` is in the signed tree.
    """

    format: str
    version: int
    origin: str
    decision_id: str | None
    seq: int
    entry: dict[str, Any] | None
    leaf_hash: str
    """Base64 of SHA-256(0x00 ‖ canonical leaf)."""
    tree_size: int
    root_hash: str
    proof: list[str]
    checkpoint: str
    """The signed note (C2SP tlog-checkpoint)."""
    key: str | None


class ConsistencyProof(BaseModel):
    """That the tree of ``old_size`` entries is a prefix of the signed tree of ``new_size``."""

    format: str
    version: int
    origin: str
    old_size: int
    old_root: str
    new_size: int
    new_root: str
    proof: list[str]
    checkpoint: str
    key: str | None


class Entry(BaseModel):
    """A ledger entry: the leaf object (candidate and decision documents inline) and its leaf hash."""

    seq: int
    decision_id: str
    recorded_at: str
    actor: str
    policy_digest: str
    canon: str
    candidate: dict[str, Any]
    decision: dict[str, Any]
    leaf_hash: str
    """Hex SHA-256(0x00 ‖ canonical leaf)."""


class EntryPage(BaseModel):
    """A page of entries; ask again with ``after=next`` for the following page (None: no more)."""

    entries: list[Entry]
    next: int | None
