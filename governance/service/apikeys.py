"""API keys: who may call the service, in which role, for which organisation.

A key is created once (``governance keys create`` or ``POST /v1/keys``); its token is shown to the
creator then and never again. Only the SHA-256 of the token is stored: a token is 256 random bits, so
a fast hash is as safe as a slow one and keeps each request's check to one indexed read.

The keys live in two tables of their own in the ledger's database, created on first use:
``service_api_keys`` (one row per key, never changed) and ``service_api_key_revocations`` (one row per
revoked key). They are not ledger tables: nothing in them is hashed into the log, exported in audit
bundles or checked by ``ledger verify``, and the ledger's schema version does not count them.
A token reads ``gov_<key id>_<secret>``: the key id finds the row, the hash of the whole token must match.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Column, ForeignKey, LargeBinary, String, insert, select
from sqlmodel import Field, SQLModel

from governance.exceptions import InputError
from governance.ledger.store import Ledger, utc_timestamp
from governance.ledger.tables import table_of

__all__ = ["ApiKey", "IssuedKey", "KeyStore", "Role"]

_TOKEN = re.compile(r"^gov_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$")
_LABEL = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")


class Role(StrEnum):
    """What a key may do (the role matrix in ``docs/service.md``)."""

    LAB = "lab"
    """Decide and record candidates of its own organisation; read its own entries."""
    AUDITOR = "auditor"
    """Read every entry, proof, checkpoint, entry bundle and audit bundle; never write."""
    POLICYMAKER = "policymaker"
    """Read policies and run comparisons over an uploaded population; no ledger entries."""
    ADMIN = "admin"
    """Create, list and revoke keys."""


class ApiKeyRow(SQLModel, table=True):
    """One API key; never updated (revocation is a row of its own)."""

    __tablename__: ClassVar[str] = "service_api_keys"

    key_id: str = Field(sa_column=Column(String(16), primary_key=True))
    name: str = Field(sa_column=Column(String(100), nullable=False))
    role: str = Field(sa_column=Column(String(20), nullable=False))
    org: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    token_sha256: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: str = Field(sa_column=Column(String(40), nullable=False))


class ApiKeyRevocationRow(SQLModel, table=True):
    """That key ``key_id`` was revoked at ``revoked_at``."""

    __tablename__: ClassVar[str] = "service_api_key_revocations"

    key_id: str = Field(sa_column=Column(String(16), ForeignKey("service_api_keys.key_id"), primary_key=True))
    revoked_at: str = Field(sa_column=Column(String(40), nullable=False))


_KEYS = table_of(ApiKeyRow)
_REVOKED = table_of(ApiKeyRevocationRow)


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its token."""

    key_id: str
    name: str
    role: Role
    org: str | None
    created_at: str
    revoked_at: str | None = None

    @property
    def actor(self) -> str:
        """How entries this key records name who recorded them."""
        where = f" of {self.org}" if self.org else ""
        return f"api key {self.key_id} ({self.name}{where})"

    def document(self) -> dict[str, str | None]:
        """The key as JSON (never the token)."""
        return {
            "key_id": self.key_id,
            "name": self.name,
            "role": self.role.value,
            "org": self.org,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


@dataclass(frozen=True)
class IssuedKey:
    """A key just created, with its token: the only time the token exists outside its holder."""

    key: ApiKey
    token: str


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii")).digest()


def _label(value: str, what: str) -> str:
    if not isinstance(value, str) or not _LABEL.fullmatch(value) or not value.strip():
        raise InputError(f"{what}: expected 1-100 printable characters, got {value!r}")
    return value


class KeyStore:
    """The API keys kept in a ledger's database."""

    def __init__(self, ledger: Ledger) -> None:
        """Use the key tables of ``ledger``'s database (see :meth:`ensure_tables`)."""
        self._ledger = ledger

    def ensure_tables(self) -> None:
        """Create the key tables when absent (idempotent)."""
        with self._ledger.transaction("create the API key tables in") as conn:
            if self._ledger.dialect == "postgresql":
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('governance-service-keys'))")
            for table in (_KEYS, _REVOKED):
                table.create(conn, checkfirst=True)

    def create(self, role: Role | str, name: str, org: str | None = None) -> IssuedKey:
        """Create a key and return it with its token.

        Raises:
            InputError: for an unknown role, a bad name or organisation, or a lab key without one.
        """
        try:
            chosen = Role(role)
        except ValueError as exc:
            roles = ", ".join(r.value for r in Role)
            raise InputError(f"--role: {role!r} is not a role; expected one of {roles}") from exc
        _label(name, "--name")
        if org is not None:
            _label(org, "--org")
        if chosen is Role.LAB and org is None:
            raise InputError("--org: a lab key acts for one organisation (the candidates' model.developer); name it")
        key_id = secrets.token_hex(8)
        token = f"gov_{key_id}_{secrets.token_urlsafe(32)}"
        now = utc_timestamp()
        with self._ledger.transaction("store an API key in") as conn:
            conn.execute(
                insert(_KEYS),
                {
                    "key_id": key_id,
                    "name": name,
                    "role": chosen.value,
                    "org": org,
                    "token_sha256": _digest(token),
                    "created_at": now,
                },
            )
        return IssuedKey(ApiKey(key_id, name, chosen, org, now), token)

    def list(self) -> list[ApiKey]:
        """Every key, revoked or not, oldest first."""
        query = (
            select(_KEYS.c.key_id, _KEYS.c.name, _KEYS.c.role, _KEYS.c.org, _KEYS.c.created_at, _REVOKED.c.revoked_at)
            .select_from(_KEYS.outerjoin(_REVOKED, _KEYS.c.key_id == _REVOKED.c.key_id))
            .order_by(_KEYS.c.created_at, _KEYS.c.key_id)
        )
        with self._ledger.read() as reader:
            rows = reader.connection.execute(query).all()
        return [ApiKey(r[0], r[1], Role(r[2]), r[3], r[4], r[5]) for r in rows]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key; revoking a revoked key changes nothing.

        Raises:
            InputError: when there is no such key.
        """
        with self._ledger.transaction("revoke an API key in") as conn:
            known = conn.execute(select(_KEYS.c.key_id).where(_KEYS.c.key_id == key_id)).first()
            if known is None:
                raise InputError(f"no API key {key_id!r}")
            done = conn.execute(select(_REVOKED.c.key_id).where(_REVOKED.c.key_id == key_id)).first()
            if done is None:
                conn.execute(insert(_REVOKED), {"key_id": key_id, "revoked_at": utc_timestamp()})
        return next(key for key in self.list() if key.key_id == key_id)

    def authenticate(self, token: str) -> ApiKey | None:
        """The live key ``token`` belongs to; None for an unknown, malformed or revoked token."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        query = (
            select(
                _KEYS.c.key_id,
                _KEYS.c.name,
                _KEYS.c.role,
                _KEYS.c.org,
                _KEYS.c.created_at,
                _KEYS.c.token_sha256,
                _REVOKED.c.revoked_at,
            )
            .select_from(_KEYS.outerjoin(_REVOKED, _KEYS.c.key_id == _REVOKED.c.key_id))
            .where(_KEYS.c.key_id == match.group(1))
        )
        with self._ledger.read() as reader:
            row = reader.connection.execute(query).first()
        if row is None or row[6] is not None or not hmac.compare_digest(bytes(row[5]), _digest(token)):
            return None
        return ApiKey(row[0], row[1], Role(row[2]), row[3], row[4])
