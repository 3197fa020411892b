"""The ledger's tables (SQLModel). Every table is append-only; ``docs/ledger.md`` describes each column.

Documents and hashes are stored as bytes, exactly as they were hashed: the candidate and decision
columns hold RFC 8785 canonical JSON, ``leaf_hash``, ``node`` and ``root_hash`` raw 32-byte SHA-256
values. Times are RFC 3339 UTC strings, stored as text because they are part of what is hashed.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import BigInteger, Column, ForeignKey, LargeBinary, String, Table, Text
from sqlmodel import Field, SQLModel

__all__ = [
    "LEDGER_TABLES",
    "SUITE_TABLES",
    "V1_TABLES",
    "CheckpointRow",
    "DecisionRow",
    "DecisionSuiteRow",
    "KeyRow",
    "MetaRow",
    "MigrationRow",
    "PolicyRow",
    "SuiteRow",
]


class MigrationRow(SQLModel, table=True):
    """One applied schema migration; the ledger's schema version is the highest ``version``."""

    __tablename__: ClassVar[str] = "ledger_migrations"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    description: str = Field(sa_column=Column(Text, nullable=False))
    applied_at: str = Field(sa_column=Column(String(40), nullable=False))


class MetaRow(SQLModel, table=True):
    """Write-once facts about the ledger: ``origin`` (its unique name, in every checkpoint) and ``created_at``."""

    __tablename__: ClassVar[str] = "ledger_meta"

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))


class KeyRow(SQLModel, table=True):
    """A public key registered to sign this ledger's checkpoints."""

    __tablename__: ClassVar[str] = "ledger_keys"

    key_id: str = Field(sa_column=Column(String(8), primary_key=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    registered_at: str = Field(sa_column=Column(String(40), nullable=False))


class PolicyRow(SQLModel, table=True):
    """A policy version, stored once under the digest of its canonical document."""

    __tablename__: ClassVar[str] = "ledger_policies"

    digest: str = Field(sa_column=Column(String(71), primary_key=True))
    """``sha256:<hex>`` of ``document``."""
    policy_id: str = Field(sa_column=Column(String(80), nullable=False))
    policy_version: str = Field(sa_column=Column(String(80), nullable=False))
    canon: str = Field(sa_column=Column(String(40), nullable=False))
    document: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    recorded_at: str = Field(sa_column=Column(String(40), nullable=False))


class DecisionRow(SQLModel, table=True):
    """One ledger entry: a decision, the candidate it was made for and the policy version used."""

    __tablename__: ClassVar[str] = "ledger_decisions"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    """Position in the log, from 0, without gaps: the leaf index in the Merkle tree."""
    decision_id: str = Field(sa_column=Column(String(128), nullable=False, unique=True))
    recorded_at: str = Field(sa_column=Column(String(40), nullable=False, index=True))
    actor: str = Field(sa_column=Column(String(200), nullable=False))
    candidate: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    decision: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    policy_digest: str = Field(
        sa_column=Column(String(71), ForeignKey("ledger_policies.digest"), nullable=False, index=True)
    )
    canon: str = Field(sa_column=Column(String(40), nullable=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    """SHA-256(0x00 ‖ leaf bytes)."""
    node: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    """Root of the largest perfect subtree that ends at this entry (the leaf hash when ``seq`` is even)."""


class CheckpointRow(SQLModel, table=True):
    """A signed statement of the tree size and root hash, written by the append that reached that size."""

    __tablename__: ClassVar[str] = "ledger_checkpoints"

    tree_size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    signed_at: str = Field(sa_column=Column(String(40), nullable=False))
    key_id: str = Field(sa_column=Column(String(8), nullable=False))
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SuiteRow(SQLModel, table=True):
    """An evaluation-suite version a recorded decision used, stored once under the digest of its document.

    Added in schema version 2: with it, replay reads suites from the ledger, not ``evaluations/``.
    """

    __tablename__: ClassVar[str] = "ledger_suites"

    digest: str = Field(sa_column=Column(String(71), primary_key=True))
    """``sha256:<hex>`` of ``document``."""
    suite_id: str = Field(sa_column=Column(String(80), nullable=False))
    suite_version: str = Field(sa_column=Column(String(32), nullable=False))
    canon: str = Field(sa_column=Column(String(40), nullable=False))
    document: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    """The canonical JSON of the suite definition (:meth:`governance.evidence.suites.Suite.document`)."""
    recorded_at: str = Field(sa_column=Column(String(40), nullable=False))


class DecisionSuiteRow(SQLModel, table=True):
    """That entry ``seq`` was decided with suite version ``suite_digest`` in force (schema version 2)."""

    __tablename__: ClassVar[str] = "ledger_decision_suites"

    seq: int = Field(
        sa_column=Column(BigInteger, ForeignKey("ledger_decisions.seq"), primary_key=True, autoincrement=False)
    )
    suite_digest: str = Field(
        sa_column=Column(String(71), ForeignKey("ledger_suites.digest"), primary_key=True, index=True)
    )


def table_of(model: type[SQLModel]) -> Table:
    """The SQLAlchemy table behind a table model (SQLModel sets ``__table__``, which type checkers cannot see)."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


V1_TABLES = tuple(table_of(m) for m in (MigrationRow, MetaRow, KeyRow, PolicyRow, DecisionRow, CheckpointRow))
"""The tables of schema version 1, in creation order."""
SUITE_TABLES = (table_of(SuiteRow), table_of(DecisionSuiteRow))
"""The tables schema version 2 adds: stored suite versions and which entry used which."""
LEDGER_TABLES = V1_TABLES + SUITE_TABLES
"""The ledger's tables, in creation order."""
