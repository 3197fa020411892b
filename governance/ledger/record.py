"""Recording decisions: the one call ``governance decide --record`` and ``governance demo --record`` make.

:func:`record_decisions` checks and encodes every decision first, then finds the signing key, opens
(or creates) the ledger and appends everything in one transaction. Any problem with the input is
reported before the ledger is touched.

The signing key is ``--key`` / ``GOVERNANCE_LEDGER_KEY`` when given. Otherwise a SQLite ledger keeps
its key beside it (``governance-ledger.key`` next to ``governance-ledger.sqlite``); the first append to
a new ledger creates that key (readable only by its owner) and registers its public key in the
ledger. A PostgreSQL ledger always needs an explicit key.

A ledger is created implicitly only on a truly new path: when the SQLite file is missing and no key
for it exists. A missing (or emptied) ledger whose key is still there was deleted or truncated:
recording would start a new ledger signed with the same key, and ``verify --pubkey`` would pass
while the earlier entries are gone. That is refused; ``governance ledger init`` starts a ledger
deliberately.
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

__all__ = [
    "ACTOR_ENV",
    "default_actor",
    "init_ledger",
    "record_decisions",
    "refuse_implicit_creation",
    "resolve_key_path",
    "signing_key_for",
]

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
    try:
        created.save(path)
    except InputError:
        if not path.is_file():
            raise
        created = SigningKey.load(path)  # another process created the first key at the same moment: share it
    ledger.register_key(created.verifier())
    get_logger("governance.ledger").info(
        "ledger_key_created", ledger=ledger.origin, key_id=created.key_id, path=str(path)
    )
    return created


def refuse_implicit_creation(location: LedgerLocation, key_path: Path | None, *, explicit_key: bool) -> None:
    """Refuse to start a SQLite ledger implicitly where one existed (its default key is still beside it).

    A key named explicitly (``--key``, ``GOVERNANCE_LEDGER_KEY``) may sign a new ledger: the user
    chose it, and the CLI says that a new ledger was started.

    Raises:
        LedgerError: the ledger file is missing or empty while the key kept beside it exists.
    """
    path = location.sqlite_path
    if explicit_key or path is None or key_path is None or not key_path.exists():
        return
    if path.exists() and path.stat().st_size > 0:
        return
    state = "is empty" if path.exists() else "does not exist"
    raise LedgerError(
        f"{location.display} {state}, but its signing key {key_path} exists: the ledger was deleted, moved or "
        "truncated. Recording now would start a new ledger signed with the same key and hide the loss. "
        "Restore the ledger file; or, to start a new ledger deliberately, run `governance ledger init`"
    )


def init_ledger(location: LedgerLocation, key: Path | None) -> tuple[Ledger, SigningKey, bool]:
    """Create a new ledger at ``location`` and its signing key (or register an existing key named by ``key``).

    Returns the open ledger, its key, and whether the key was created.

    Raises:
        LedgerError: a ledger (or any database file, or other tables) is already there.
        InputError: the key file cannot be read or written.
    """
    path = location.sqlite_path
    if path is not None and path.exists():
        raise LedgerError(f"{location.display}: a file is already there; `ledger init` only starts a new ledger")
    key_path, explicit = resolve_key_path(key, location)
    if key_path is None:
        raise InputError("--key FILE is required for a PostgreSQL ledger (where to keep the private key)")
    existing = SigningKey.load(key_path) if explicit and key_path.exists() else None
    if existing is None and key_path.exists():
        raise InputError(
            f"{key_path}: a key is already there (from an earlier ledger?); move it away, or name it with --key "
            "to sign the new ledger with it"
        )
    opened = Ledger.open(location, create=True)
    try:
        if opened.registered_keys() or opened.size() > 0:
            raise LedgerError(f"{location.display} already holds a ledger; `ledger init` only starts a new one")
        signing = existing if existing is not None else SigningKey.generate(opened.origin)
        if existing is None:
            signing.save(key_path)
        opened.register_key(signing.verifier())
    except BaseException:
        opened.close()
        raise
    return opened, signing, existing is None


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
    refuse_implicit_creation(location, path, explicit_key=explicit)
    named_key = SigningKey.load(path) if explicit and path is not None else None
    if location.sqlite_path is None and named_key is None:
        raise LedgerError(
            f"{location.display}: a PostgreSQL ledger needs a signing key: pass --key FILE or set {KEY_ENV}"
        )
    with Ledger.open(location, create=True, schema=schema) as opened:
        signing = named_key if named_key is not None else signing_key_for(opened)
        return opened.append_many(prepared, signing)
