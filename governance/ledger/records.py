"""The shapes the ledger's contents take outside the database, shared by the store, bundles and verifiers.

A :class:`LedgerSource` is anything that can hand over a ledger's contents for checking: an open
ledger (:class:`governance.ledger.store.LedgerReader`) or an audit bundle
(:class:`governance.ledger.bundle.Bundle`). Verification and replay read only through it, so both
work the same way on a live database and on a file received by an auditor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from governance.ledger.entry import EntryRow
from governance.ledger.signing import Checkpoint, SignedCheckpoint, VerifierKey

__all__ = ["LedgerSource", "StoredCheckpoint", "StoredKey", "StoredPolicy", "StoredSuite"]


@dataclass(frozen=True)
class StoredKey:
    """A public key row as stored (not yet checked)."""

    key_id: str
    name: str
    public_key: bytes
    registered_at: str

    def verifier(self) -> VerifierKey:
        """The key as a :class:`VerifierKey`; raises InputError when the row is inconsistent."""
        return VerifierKey(self.name, self.key_id, self.public_key)


@dataclass(frozen=True)
class StoredPolicy:
    """A policy version row: its digest and canonical document bytes."""

    digest: str
    policy_id: str
    policy_version: str
    canon: str
    document: bytes
    recorded_at: str

    @property
    def ref(self) -> str:
        """``id@version``."""
        return f"{self.policy_id}@{self.policy_version}"


@dataclass(frozen=True)
class StoredSuite:
    """An evaluation-suite version row: its digest and canonical document bytes."""

    digest: str
    suite_id: str
    suite_version: str
    canon: str
    document: bytes
    recorded_at: str

    @property
    def ref(self) -> str:
        """``id@version``."""
        return f"{self.suite_id}@{self.suite_version}"


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint row: size, root, time, and the signature with its key id."""

    tree_size: int
    root_hash: bytes
    signed_at: str
    key_id: str
    signature: bytes

    def signed(self, origin: str, key_name: str) -> SignedCheckpoint:
        """The signed checkpoint this row stands for, under ``origin`` and the signing key's name."""
        return SignedCheckpoint(
            Checkpoint(origin, self.tree_size, self.root_hash, self.signed_at), key_name, self.key_id, self.signature
        )


class LedgerSource(Protocol):
    """A ledger's contents, as verification and replay read them."""

    @property
    def origin(self) -> str:
        """The ledger's origin line (its unique name)."""
        ...

    @property
    def description(self) -> str:
        """Where the contents come from, for messages (a path or URL)."""
        ...

    def signing_keys(self) -> list[StoredKey]:
        """The public keys the ledger registers."""
        ...

    def policies(self) -> list[StoredPolicy]:
        """Every policy version stored."""
        ...

    def suites(self) -> list[StoredSuite]:
        """Every evaluation-suite version stored (none before schema version 2)."""
        ...

    def suite_uses(self) -> dict[int, tuple[str, ...]]:
        """For each entry decided with evaluation suites, their digests (sorted), by sequence number."""
        ...

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every checkpoint, by increasing tree size."""
        ...

    def entry_count(self) -> int:
        """How many entries :meth:`entries` will yield (for progress bars)."""
        ...

    def entries(self) -> Iterator[EntryRow]:
        """Every entry, in the stored order."""
        ...

    def append_runs(self) -> list[tuple[str, int, int]]:
        """The runs of entries recorded at one time, (recorded_at, first seq, last seq), by seq.

        Each run is one append (or several sharing a timestamp); see :mod:`governance.ledger._appends`.
        """
        ...

    def raw_rows(self) -> Iterator[tuple[Any, ...]]:
        """Every entry as a plain tuple in :data:`~governance.ledger.entry.ENTRY_COLUMNS` order.

        Text columns may come as the raw UTF-8 bytes stored (so that text damaged into invalid UTF-8
        is still read, and hashed as it is); verification reads this fast path.
        """
        ...
