"""Recording decisions: the one call ``governance decide --record`` and ``governance demo --record`` make.

:func:`record_decisions` checks and encodes every decision first, then finds the signing key, opens
(or creates) the ledger and appends everything in one transaction. Any problem with the input is
reported before the ledger is touched.

The signing key is ``--key`` / ``GOVERNANCE_LEDGER_KEY`` when given. Otherwise a SQLite ledger keeps
its key beside it (``governance-ledger.key`` next to ``governance-ledger.sqlite``); the first append to
a new ledger creates that key (readable only by its owner) and registers its public key in the
ledger. A PostgreSQL ledger always needs an explicit key.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from pathlib import Path

from governance.candidate import Candidate
from governance.decision import Decision
from governance.exceptions import InputError, LedgerError
from governance.ledger.entry import prepare_entry
from governance.ledger.signing import SigningKey
from governance.ledger.store import KEY_ENV, AppendResult, Ledger, LedgerLocation, resolve_location
from governance.logs import get_logger
from governance.policy import Policy

__all__ = ["ACTOR_ENV", "default_actor", "record_decisions", "resolve_key_path", "signing_key_for"]

ACTOR_ENV = "GOVERNANCE_ACTOR"


def default_actor() -> str:
    """``GOVERNANCE_ACTOR``, else the login name, else ``unknown``."""
    actor = os.environ.get(ACTOR_ENV)
    if actor:
        return actor
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError):
        return "unknown"


def resolve_key_path(key: str | Path | None, location: LedgerLocation) -> tuple[Path | None, bool]:
    """The signing key file to use and whether it was named explicitly (option or environment)."""
    if key:
        return Path(key).expanduser(), True
    env = os.environ.get(KEY_ENV)
    if env:
        return Path(env).expanduser(), True
    return location.default_key_path(), False


def signing_key_for(ledger: Ledger, key: str | Path | None = None) -> SigningKey:
    """The key that signs this ledger's checkpoints, creating the default one for a new SQLite ledger.

    Raises:
        InputError: when a named key file is missing or is not a key.
        LedgerError: when no key can be found and none may be created.
    """
    path, explicit = resolve_key_path(key, ledger.location)
    display = ledger.location.display
    if path is None:
        raise LedgerError(
            f"{display}: a PostgreSQL ledger needs a signing key: pass --key FILE or set {KEY_ENV} "
            "(create one with `governance ledger keygen --key FILE`)"
        )
    if path.is_file():
        return SigningKey.load(path)
    if explicit:
        raise InputError(f"{path}: no such signing key file; create one with `governance ledger keygen --key {path}`")
    registered = ledger.registered_keys()
    if registered:
        names = ", ".join(f"{k.name} ({k.key_id})" for k in registered)
        raise LedgerError(
            f"{display} is signed by {names}, but the key file {path} is missing; pass --key FILE or set {KEY_ENV}"
        )
    created = SigningKey.generate(ledger.origin)
    created.save(path)
    ledger.register_key(created.verifier())
    get_logger("governance.ledger").info(
        "ledger_key_created", ledger=ledger.origin, key_id=created.key_id, path=str(path)
    )
    return created


def record_decisions(
    items: Sequence[tuple[Candidate, Policy, Decision]],
    *,
    ledger: str | LedgerLocation | None = None,
    actor: str | None = None,
    key: str | Path | None = None,
    schema: str | None = None,
) -> list[AppendResult]:
    """Append each (candidate, policy, decision) to the ledger in one transaction: all of them, or none.

    Args:
        items: the decisions with the candidate and the policy version each was made with.
        ledger: the ledger URL or path (``GOVERNANCE_LEDGER`` or the default SQLite file when None).
        actor: who records them (``GOVERNANCE_ACTOR`` or the login name when None).
        key: the signing key file (see the module documentation when None).
        schema: the PostgreSQL schema holding the ledger tables.

    Raises:
        InputError: for a decision that does not belong with its candidate or policy, or a bad actor
            or key; nothing is written.
        LedgerError: when the ledger cannot be opened or refuses the append; nothing is written.
    """
    who = actor if actor is not None else default_actor()
    prepared = [prepare_entry(candidate, policy, decision, actor=who) for candidate, policy, decision in items]
    if not prepared:
        return []
    location = ledger if isinstance(ledger, LedgerLocation) else resolve_location(ledger)
    path, explicit = resolve_key_path(key, location)
    named_key = SigningKey.load(path) if explicit and path is not None else None
    if location.sqlite_path is None and named_key is None:
        raise LedgerError(
            f"{location.display}: a PostgreSQL ledger needs a signing key: pass --key FILE or set {KEY_ENV}"
        )
    with Ledger.open(location, create=True, schema=schema) as opened:
        signing = named_key if named_key is not None else signing_key_for(opened)
        return opened.append_many(prepared, signing)
