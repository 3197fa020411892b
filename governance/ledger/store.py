"""Opening a ledger, appending to it and reading it back: the only module that talks to the database.

A ledger is a SQLite file (the default, ``governance-ledger.sqlite`` in the working directory) or a
PostgreSQL database given by URL (``--ledger`` or ``GOVERNANCE_LEDGER``). Every database error is
translated here into :class:`~governance.exceptions.LedgerError`, with the original as ``__cause__``.

Appends are serialised so that any number of processes produce one linear history: SQLite takes its
write lock when the transaction begins (``BEGIN IMMEDIATE``), PostgreSQL locks the entries table in
``EXCLUSIVE`` mode (readers are never blocked). Inside that lock an append reads the head, checks it
against the latest checkpoint, inserts the policy and evaluation-suite versions it needs, the
entries, which suites each entry used, and a new signed checkpoint, and commits, all or nothing.
Entries arrive validated and encoded (:func:`~governance.ledger.entry.prepare_entry`), so nothing can
fail half-way for a reason that could have been found before the transaction began.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, insert, inspect, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from governance.exceptions import InputError, LedgerError
from governance.ledger import migrations
from governance.ledger._rows import as_blob, as_int, as_text, shown
from governance.ledger.entry import ENTRY_COLUMNS, EntryRow, PendingEntry, leaf_bytes
from governance.ledger.merkle import CompactRange, appended_proofs, frontier_indexes, node_hash
from governance.ledger.records import StoredCheckpoint, StoredKey, StoredPolicy, StoredSuite
from governance.ledger.signing import Checkpoint, SignedCheckpoint, SigningKey, VerifierKey
from governance.ledger.tables import (
    CheckpointRow,
    DecisionRow,
    DecisionSuiteRow,
    KeyRow,
    MetaRow,
    PolicyRow,
    SuiteRow,
    table_of,
)
from governance.logs import get_logger

__all__ = [
    "DEFAULT_LEDGER_FILE",
    "KEY_ENV",
    "LEDGER_ENV",
    "AppendResult",
    "Ledger",
    "LedgerLocation",
    "LedgerReader",
    "resolve_location",
    "utc_timestamp",
]

DEFAULT_LEDGER_FILE = "governance-ledger.sqlite"
LEDGER_ENV = "GOVERNANCE_LEDGER"
KEY_ENV = "GOVERNANCE_LEDGER_KEY"
STREAM_BATCH = 2000

_DECISIONS = table_of(DecisionRow)
_POLICIES = table_of(PolicyRow)
_CHECKPOINTS = table_of(CheckpointRow)
_CHECKPOINT_COLUMNS = (
    _CHECKPOINTS.c.tree_size,
    _CHECKPOINTS.c.root_hash,
    _CHECKPOINTS.c.signed_at,
    _CHECKPOINTS.c.key_id,
    _CHECKPOINTS.c.signature,
)
"""A stored checkpoint's columns, in the order :meth:`LedgerReader._checkpoint_row` reads them."""
_KEYS = table_of(KeyRow)
_META = table_of(MetaRow)
_SUITES = table_of(SuiteRow)
_USES = table_of(DecisionSuiteRow)
_ENTRY_SELECT = "SELECT " + ", ".join(ENTRY_COLUMNS) + " FROM ledger_decisions"
_sha256 = hashlib.sha256


def utc_timestamp(moment: dt.datetime | None = None) -> str:
    """An RFC 3339 UTC timestamp with microseconds, e.g. ``2026-11-28T09:30:00.123456Z``."""
    when = moment or dt.datetime.now(dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class LedgerLocation:
    """Where a ledger lives: its SQLAlchemy URL, how to name it in messages, and its file if SQLite."""

    url: str
    display: str
    sqlite_path: Path | None

    @property
    def is_sqlite(self) -> bool:
        """True for a SQLite file."""
        return self.sqlite_path is not None

    def default_key_path(self) -> Path | None:
        """The signing key kept beside a SQLite ledger (``<name>.key``); None for PostgreSQL."""
        if self.sqlite_path is None:
            return None
        return self.sqlite_path.with_suffix(".key")


def resolve_location(value: str | os.PathLike[str] | None = None) -> LedgerLocation:
    """Resolve ``--ledger``: a URL, a SQLite path, ``GOVERNANCE_LEDGER``, or the default file.

    Raises:
        InputError: for a URL that is malformed or names an unsupported database.
    """
    text = os.fspath(value) if value else os.environ.get(LEDGER_ENV) or DEFAULT_LEDGER_FILE
    if "://" not in text:
        path = Path(text).expanduser().absolute()
        return LedgerLocation(URL.create("sqlite", database=str(path)).render_as_string(), str(path), path)
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise InputError(f"--ledger: {text!r} is not a database URL ({exc})") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database
        if not database or database == ":memory:":
            raise InputError("--ledger: an in-memory SQLite ledger would vanish; give a file path")
        path = Path(database).expanduser().absolute()
        return LedgerLocation(url.set(database=str(path)).render_as_string(), str(path), path)
    if backend == "postgresql":
        if url.drivername != "postgresql+psycopg":  # psycopg (3) is the driver governance[postgres] installs
            url = url.set(drivername="postgresql+psycopg")
        return LedgerLocation(url.render_as_string(hide_password=False), url.render_as_string(hide_password=True), None)
    raise InputError(f"--ledger: unsupported database {backend!r}; use a SQLite file path or a postgresql:// URL")


@dataclass(frozen=True)
class AppendResult:
    """What one append recorded: the entry's position and hash, and the checkpoint that covers it."""

    seq: int
    decision_id: str
    recorded_at: str
    leaf_hash: str
    """Hex SHA-256 leaf hash."""
    tree_size: int
    root_hash: str
    """Hex root of the tree after the append (signed in the new checkpoint)."""
    model: str
    tier: str
    policy: str
    """``id@version``."""
    proof: tuple[bytes, ...] = ()
    """The entry's audit path in the tree of ``tree_size`` entries (RFC 6962), computed by the append."""
    checkpoint: str = ""
    """The signed note of the checkpoint the append signed (size ``tree_size``, root ``root_hash``)."""


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class LedgerReader:
    """Reads one ledger inside one transaction, so that everything read belongs to one snapshot.

    It is a :class:`~governance.ledger.records.LedgerSource` for verification, replay and export.
    """

    def __init__(self, connection: Connection, ledger: Ledger) -> None:
        """Wrap ``connection`` (already inside a transaction) of ``ledger``."""
        self._conn = connection
        self._ledger = ledger

    @property
    def origin(self) -> str:
        """The ledger's origin."""
        return self._ledger.origin

    @property
    def connection(self) -> Connection:
        """The connection of this read transaction, for companion tables kept beside the ledger's own."""
        return self._conn

    @property
    def description(self) -> str:
        """The ledger's location, for messages."""
        return self._ledger.location.display

    @property
    def schema_version(self) -> int:
        """The ledger's schema version."""
        return self._ledger.schema_version

    def signing_keys(self) -> list[StoredKey]:
        """Registered public keys, by key id."""
        rows = self._conn.execute(
            select(_KEYS.c.key_id, _KEYS.c.name, _KEYS.c.public_key, _KEYS.c.registered_at).order_by(_KEYS.c.key_id)
        )
        keys = []
        for r in rows:
            where = f"{self.description}: the key {shown(r[0])}"
            keys.append(
                StoredKey(
                    as_text(r[0], where, "key_id"),
                    as_text(r[1], where, "name"),
                    as_blob(r[2], where, "public_key"),
                    as_text(r[3], where, "registered_at"),
                )
            )
        return keys

    def policies(self) -> list[StoredPolicy]:
        """Every stored policy version, by digest."""
        rows = self._conn.execute(
            select(
                _POLICIES.c.digest,
                _POLICIES.c.policy_id,
                _POLICIES.c.policy_version,
                _POLICIES.c.canon,
                _POLICIES.c.document,
                _POLICIES.c.recorded_at,
            ).order_by(_POLICIES.c.digest)
        )
        return [StoredPolicy(*self._document_row(r, "policy")) for r in rows]

    def policy(self, digest: str) -> StoredPolicy | None:
        """One policy version by digest."""
        for policy in self.policies():
            if policy.digest == digest:
                return policy
        return None

    def suites(self) -> list[StoredSuite]:
        """Every stored evaluation-suite version, by digest (none before schema version 2)."""
        if self.schema_version < 2:
            return []
        rows = self._conn.execute(
            select(
                _SUITES.c.digest,
                _SUITES.c.suite_id,
                _SUITES.c.suite_version,
                _SUITES.c.canon,
                _SUITES.c.document,
                _SUITES.c.recorded_at,
            ).order_by(_SUITES.c.digest)
        )
        return [StoredSuite(*self._document_row(r, "evaluation suite")) for r in rows]

    def _document_row(self, r: Sequence[Any], what: str) -> tuple[str, str, str, str, bytes, str]:
        where = f"{self.description}: the {what} version {shown(r[0])}"
        names = ("digest", "id", "version", "canon")
        text = [as_text(value, where, name) for value, name in zip(r[:4], names, strict=True)]
        return text[0], text[1], text[2], text[3], as_blob(r[4], where, "document"), as_text(r[5], where, "recorded_at")

    def suite_uses(self) -> dict[int, tuple[str, ...]]:
        """The digests of the suites each entry was decided with, by sequence number."""
        if self.schema_version < 2:
            return {}
        uses: dict[int, list[str]] = {}
        rows = self._conn.execute(select(_USES.c.seq, _USES.c.suite_digest).order_by(_USES.c.seq, _USES.c.suite_digest))
        for seq, digest in rows:
            where = f"{self.description}: the evaluation suites of entry seq {shown(seq)}"
            uses.setdefault(as_int(seq, where, "seq"), []).append(as_text(digest, where, "suite_digest"))
        return {seq: tuple(digests) for seq, digests in uses.items()}

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every checkpoint, by increasing tree size."""
        rows = self._conn.execute(select(*_CHECKPOINT_COLUMNS).order_by(_CHECKPOINTS.c.tree_size))
        return [self._checkpoint_row(r) for r in rows]

    def _checkpoint_row(self, r: Sequence[Any]) -> StoredCheckpoint:
        where = f"{self.description}: the checkpoint of size {shown(r[0])}"
        return StoredCheckpoint(
            as_int(r[0], where, "tree_size"),
            as_blob(r[1], where, "root_hash"),
            as_text(r[2], where, "signed_at"),
            as_text(r[3], where, "key_id"),
            as_blob(r[4], where, "signature"),
        )

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The checkpoint with the largest tree size, if any."""
        row = self._conn.execute(
            select(*_CHECKPOINT_COLUMNS).order_by(_CHECKPOINTS.c.tree_size.desc()).limit(1)
        ).first()
        return None if row is None else self._checkpoint_row(tuple(row))

    def checkpoint_at(self, tree_size: int) -> StoredCheckpoint | None:
        """The checkpoint of ``tree_size`` entries, if one was signed at that size."""
        row = self._conn.execute(select(*_CHECKPOINT_COLUMNS).where(_CHECKPOINTS.c.tree_size == tree_size)).first()
        if row is None:
            return None
        return StoredCheckpoint(int(row[0]), bytes(row[1]), str(row[2]), str(row[3]), bytes(row[4]))

    def entry_count(self) -> int:
        """Number of stored entries."""
        return int(self._conn.execute(select(func.count()).select_from(_DECISIONS)).scalar() or 0)

    def next_seq(self) -> int:
        """One more than the highest stored sequence number (0 when empty)."""
        value = self._conn.execute(select(func.max(_DECISIONS.c.seq))).scalar()
        return 0 if value is None else int(value) + 1

    def _entry_where(self, clause: Any) -> EntryRow | None:
        row = self._conn.execute(select(*(_DECISIONS.c[name] for name in ENTRY_COLUMNS)).where(clause)).first()
        return None if row is None else _entry_row(tuple(row), self.description)

    def entry(self, decision_id: str) -> EntryRow | None:
        """The entry with ``decision_id``."""
        return self._entry_where(_DECISIONS.c.decision_id == decision_id)

    def entry_at(self, seq: int) -> EntryRow | None:
        """The entry at ``seq``."""
        return self._entry_where(_DECISIONS.c.seq == seq)

    def entries(self, start: int = 0, *, descending: bool = False, since: str | None = None) -> Iterator[EntryRow]:
        """Stream entries as :class:`EntryRow` (see :meth:`entry_tuples` for the order and filters)."""
        # Text arrives undecoded on SQLite, so that text damaged into invalid UTF-8 is refused naming its entry.
        for row in self.entry_tuples(start, descending=descending, since=since, raw_text=True):
            yield _entry_row(row, self.description)

    def entry_tuples(
        self,
        start: int = 0,
        stop: int | None = None,
        *,
        descending: bool = False,
        since: str | None = None,
        raw_text: bool = False,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream entries as plain tuples in ``ENTRY_COLUMNS`` order, by sequence number.

        Args:
            start: the first sequence number wanted.
            stop: one past the last sequence number wanted (all when None).
            descending: newest first.
            since: keep entries recorded at or after this timestamp prefix (e.g. a date).
            raw_text: on SQLite, hand text columns over as UTF-8 bytes without decoding them (the
                verifier hashes them as they are); other dialects always give ``str``.

        Rows are read one at a time from SQLite and in batches through a server-side cursor on PostgreSQL.
        """
        clauses = [f"seq >= {int(start)}"]
        if stop is not None:
            clauses.append(f"seq < {int(stop)}")
        if since is not None:
            clauses.append("recorded_at >= " + _sql_literal(since))
        sql = f"{_ENTRY_SELECT} WHERE {' AND '.join(clauses)} ORDER BY seq{' DESC' if descending else ''}"
        dbapi: Any = self._conn.connection.dbapi_connection
        sqlite = self._ledger.dialect == "sqlite"
        if sqlite:
            cursor = dbapi.cursor()
        else:
            # Binary results: bytea arrives as raw bytes instead of hex text (twice as fast to read).
            cursor = dbapi.cursor(name=f"ledger_stream_{id(self)}_{time.monotonic_ns()}", binary=True)
            cursor.itersize = STREAM_BATCH
        factory = dbapi.text_factory if sqlite else None
        try:
            if sqlite and raw_text:
                dbapi.text_factory = bytes
            cursor.execute(sql)
            if sqlite:
                # Row by row: a batch of thousands of rows (kilobytes of documents each) would leave the
                # processor's cache before the caller hashes them; one row is still in cache.
                yield from cursor
                return
            while True:
                rows = cursor.fetchmany(STREAM_BATCH)
                if not rows:
                    break
                yield from rows
        finally:
            if sqlite:
                dbapi.text_factory = factory
            cursor.close()

    def raw_rows(self) -> Iterator[tuple[Any, ...]]:
        """Every entry as a tuple, text columns as raw bytes on SQLite (see ``LedgerSource.raw_rows``)."""
        return self.entry_tuples(raw_text=True)

    def append_runs(self) -> list[tuple[str, int, int]]:
        """The runs of entries recorded at one time (one query over the indexed ``recorded_at``)."""
        first = func.min(_DECISIONS.c.seq)
        rows = self._conn.execute(
            select(_DECISIONS.c.recorded_at, first, func.max(_DECISIONS.c.seq))
            .group_by(_DECISIONS.c.recorded_at)
            .order_by(first)
        )
        return [(_text_of(r[0]), int(r[1]), int(r[2])) for r in rows]

    def worker_spec(self) -> tuple[str, str | None]:
        """What a worker process needs to open this ledger again: its URL and schema."""
        return self._ledger.location.url, self._ledger.schema

    def leaf_hash(self, seq: int) -> bytes:
        """The stored leaf hash of entry ``seq``."""
        value = self._conn.execute(select(_DECISIONS.c.leaf_hash).where(_DECISIONS.c.seq == seq)).scalar()
        if value is None:
            raise LedgerError(f"{self.description}: entry {seq} is missing")
        return bytes(value)

    def leaf_hashes(self, start: int, stop: int) -> list[bytes]:
        """The stored leaf hashes of entries ``start`` to ``stop - 1``, in order (fewer if some are missing)."""
        rows = self._conn.execute(
            select(_DECISIONS.c.leaf_hash)
            .where(_DECISIONS.c.seq >= start, _DECISIONS.c.seq < stop)
            .order_by(_DECISIONS.c.seq)
        )
        return [bytes(row[0]) for row in rows]

    def node(self, seq: int) -> bytes:
        """The stored node of entry ``seq``."""
        value = self._conn.execute(select(_DECISIONS.c.node).where(_DECISIONS.c.seq == seq)).scalar()
        if value is None:
            raise LedgerError(f"{self.description}: entry {seq} is missing")
        return bytes(value)

    def subtree_reader(self) -> StoredTree:
        """Subtree hashes read from the stored nodes, for proofs."""
        return StoredTree(self)


def _text_of(value: object) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _entry_row(row: Sequence[Any], description: str) -> EntryRow:
    """An entry read back, each column of the type governance wrote (else a located VerificationError)."""
    where = f"{description}: entry seq {shown(row[0])}"
    if isinstance(row[1], str | bytes):
        decision_id = row[1] if isinstance(row[1], str) else row[1].decode("utf-8", errors="replace")
        where += f" (decision {decision_id})"
    return EntryRow(
        as_int(row[0], where, "seq"),
        as_text(row[1], where, "decision_id"),
        as_text(row[2], where, "recorded_at"),
        as_text(row[3], where, "actor"),
        as_blob(row[4], where, "candidate", text=True),
        as_blob(row[5], where, "decision", text=True),
        as_text(row[6], where, "policy_digest"),
        as_text(row[7], where, "canon"),
        as_blob(row[8], where, "leaf_hash"),
        as_blob(row[9], where, "node"),
    )


class StoredTree:
    """MTH(D[lo:hi]) from the nodes entries store, with O(log² n) reads per proof."""

    def __init__(self, reader: LedgerReader) -> None:
        """Read through ``reader``."""
        self._reader = reader
        self._memo: dict[tuple[int, int], bytes] = {}

    def _perfect(self, lo: int, width: int) -> bytes:
        if width == 1:
            return self._reader.leaf_hash(lo)
        end = lo + width
        if (end & -end) == width:  # the entry at end - 1 stores exactly this subtree
            return self._reader.node(end - 1)
        half = width // 2
        return node_hash(self._perfect(lo, half), self._perfect(lo + half, half))

    def subtree(self, lo: int, hi: int) -> bytes:
        """MTH of entries ``lo`` to ``hi - 1``."""
        key = (lo, hi)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        width = hi - lo
        if width & (width - 1) == 0 and lo % width == 0:
            value = self._perfect(lo, width)
        else:
            k = 1 << ((width - 1).bit_length() - 1)
            value = node_hash(self.subtree(lo, lo + k), self.subtree(lo + k, hi))
        self._memo[key] = value
        return value


class Ledger:
    """An open ledger. Use :meth:`open`; read with :meth:`read`; append with :meth:`append_many`."""

    def __init__(self, engine: Engine, location: LedgerLocation, origin: str, schema_version: int) -> None:
        """Wrap an engine whose schema is known to be usable (see :meth:`open`)."""
        self._engine = engine
        self.location = location
        self.origin = origin
        """The ledger's unique name, the first line of every checkpoint."""
        self.schema_version = schema_version
        self.schema: str | None = None
        """The PostgreSQL schema the ledger was opened in (None: the server's search path)."""
        self._tree_cache: tuple[int, bytes, list[bytes]] | None = None
        """(size, root, subtree roots) after this process's last append: saves reading the frontier again."""
        self._known_policies: set[str] = set()
        self._known_suites: set[str] = set()
        self._known_keys: set[str] = set()

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        where: str | os.PathLike[str] | LedgerLocation | None = None,
        *,
        create: bool = False,
        schema: str | None = None,
        allow_old_schema: bool = False,
        read_only: bool = False,
    ) -> Ledger:
        """Open the ledger at ``where`` (see :func:`resolve_location`).

        Args:
            where: a URL, a SQLite path, a resolved location, or None for ``GOVERNANCE_LEDGER`` or
                the default file.
            create: create the file and tables when absent (appends do; readers never do). Tables
                are only ever added to an empty database: a database (or schema) holding other
                tables is refused, never extended.
            schema: on PostgreSQL, the schema holding the tables (the server's search path otherwise).
            allow_old_schema: open a ledger whose schema is older than this code (for ``migrate``).
            read_only: open a SQLite file read-only and leave its bytes as they are (no journal-mode
                switch, no page-size setting): what ``verify`` and the other readers of evidence do.

        Raises:
            LedgerError: when there is no ledger there and ``create`` is false, when it cannot be
                reached, or when its schema version is not the one this code writes.
            InputError: for a malformed location.
        """
        location = where if isinstance(where, LedgerLocation) else resolve_location(where)
        if location.sqlite_path is not None:
            path = location.sqlite_path
            if path.is_dir():
                raise InputError(f"--ledger: {path} is a folder, not a ledger file")
            if not path.exists():
                if not create:
                    raise LedgerError(
                        f"no ledger at {path}: record a decision first (governance decide ... --record) "
                        "or name the ledger with --ledger / GOVERNANCE_LEDGER"
                    )
                if not path.parent.is_dir():
                    raise InputError(f"--ledger: folder {path.parent} does not exist")
            elif create:
                _refuse_foreign_sqlite(path, location.display)
        engine = _make_engine(location, schema, read_only=read_only and not create)
        ledger = cls(engine, location, "", 0)
        ledger.schema = schema
        try:
            ledger._prepare(create=create, allow_old_schema=allow_old_schema)
        except BaseException:
            engine.dispose()
            raise
        return ledger

    def _prepare(self, *, create: bool, allow_old_schema: bool) -> None:
        with self._translate("open"):
            with self._engine.connect() as conn, conn.begin():
                version = migrations.schema_version(conn)
            if version == 0:
                if not create:
                    raise LedgerError(f"{self.location.display} holds no governance ledger (no ledger tables)")
                with self._write_connection() as conn:
                    if self.dialect == "postgresql":
                        conn.exec_driver_sql(
                            "SELECT pg_advisory_xact_lock(hashtext('governance-ledger-migrate:' || current_schema()))"
                        )
                    if migrations.schema_version(conn) == 0:
                        others = sorted(inspect(conn).get_table_names())
                        if others:
                            raise LedgerError(
                                f"{self.location.display} is a database with other tables ({', '.join(others[:5])}), "
                                "not a governance ledger; refusing to add ledger tables to it: name a new file "
                                "or an empty database (or PostgreSQL schema)"
                            )
                        migrations.apply_migrations(conn, self.dialect, utc_timestamp())
                    version = migrations.schema_version(conn)
            latest = migrations.latest_version()
            if version > latest:
                raise LedgerError(
                    f"{self.location.display} has schema version {version}, newer than this governance "
                    f"understands ({latest}); upgrade governance"
                )
            if version < latest and not allow_old_schema:
                raise LedgerError(
                    f"{self.location.display} has schema version {version}; this governance writes version "
                    f"{latest}: run `governance ledger migrate`"
                )
            with self._engine.connect() as conn, conn.begin():
                origin = conn.execute(select(_META.c.value).where(_META.c.name == "origin")).scalar()
            if not origin:
                raise LedgerError(f"{self.location.display}: the ledger has no origin (ledger_meta is damaged)")
            self.origin = str(origin)
            self.schema_version = version

    def migrate(self) -> list[int]:
        """Apply pending schema migrations; return the versions applied (empty when up to date)."""
        with self._translate("migrate"), self._write_connection() as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql(
                    "SELECT pg_advisory_xact_lock(hashtext('governance-ledger-migrate:' || current_schema()))"
                )
            applied = migrations.apply_migrations(conn, self.dialect, utc_timestamp())
            self.schema_version = migrations.schema_version(conn)
        return applied

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return str(self._engine.dialect.name)

    @property
    def _insert_entry_sql(self) -> str:
        markers = ", ".join(["?" if self.dialect == "sqlite" else "%s"] * len(ENTRY_COLUMNS))
        return f"INSERT INTO ledger_decisions ({', '.join(ENTRY_COLUMNS)}) VALUES ({markers})"

    # -- transactions ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        try:
            yield
        except IntegrityError as exc:
            reason = _reason(exc)
            if "decision_id" in reason:
                raise LedgerError(
                    f"{self.location.display}: a decision id in this append is already in the ledger ({reason})"
                ) from exc
            raise LedgerError(f"{self.location.display}: the database refused to {action}: {reason}") from exc
        except SQLAlchemyError as exc:
            raise LedgerError(f"{self.location.display}: cannot {action} the ledger: {_reason(exc)}") from exc
        except sqlite3.Error as exc:
            raise LedgerError(f"{self.location.display}: cannot {action} the ledger: {exc}") from exc
        except UnicodeDecodeError as exc:  # SQLite's own schema text damaged into bytes that are not UTF-8
            raise LedgerError(
                f"{self.location.display}: cannot {action} the ledger: the database is damaged "
                f"(text that is not UTF-8 where SQLite keeps its schema: {exc.reason})"
            ) from exc

    @contextlib.contextmanager
    def _write_connection(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            if self.dialect == "sqlite":
                conn.execution_options(ledger_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def transaction(self, action: str) -> Iterator[Connection]:
        """A write transaction on the ledger's database, errors translated, for companion tables.

        The service keeps its API keys in its own tables beside the ledger's (never in the ledger's
        tables, which only :meth:`append_many` writes); ``action`` names what is done, for messages.
        """
        with self._translate(action), self._write_connection() as conn:
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[LedgerReader]:
        """A reader over one consistent snapshot of the ledger (one read transaction)."""
        with self._translate("read"), self._engine.connect() as conn:
            if self.dialect == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield LedgerReader(conn, self)

    # -- keys --------------------------------------------------------------------------------------

    def register_key(self, key: VerifierKey) -> bool:
        """Register a public key that may sign checkpoints; False when it already was."""
        with self._translate("register a key in"), self._write_connection() as conn:
            existing = conn.execute(
                select(_KEYS.c.public_key, _KEYS.c.name).where(_KEYS.c.key_id == key.key_id)
            ).first()
            if existing is not None:
                if (bytes(existing[0]), existing[1]) != (key.public_key, key.name):
                    raise LedgerError(f"key id {key.key_id} is already registered for a different key")
                return False
            conn.execute(
                insert(_KEYS),
                {
                    "key_id": key.key_id,
                    "name": key.name,
                    "public_key": key.public_key,
                    "registered_at": utc_timestamp(),
                },
            )
        return True

    def registered_keys(self) -> list[StoredKey]:
        """The public keys registered in the ledger."""
        with self.read() as reader:
            return reader.signing_keys()

    # -- appending ---------------------------------------------------------------------------------

    def append(self, entry: PendingEntry, key: SigningKey) -> AppendResult:
        """Append one entry and a checkpoint signed by ``key`` that covers it."""
        return self.append_many([entry], key)[0]

    def append_many(
        self,
        entries: Sequence[PendingEntry],
        key: SigningKey,
        *,
        more: Callable[[], Sequence[PendingEntry]] | None = None,
    ) -> list[AppendResult]:
        """Append entries in one transaction, with one checkpoint signed by ``key`` covering them all.

        Either every entry, every policy and evaluation-suite version they need, the record of which
        suites each entry used, and the checkpoint are committed, or nothing is. ``more``, when given,
        is called once the write lock is held, and the entries it returns are appended after
        ``entries`` in the same transaction (results in that order): a group commit takes in what
        queued while it waited for another writer.

        Raises:
            InputError: when ``entries`` is not a list of prepared entries, or repeats a decision id.
            LedgerError: when the ledger's head does not match its latest checkpoint, ``key`` is not
                one of the ledger's registered keys, or the database refuses the transaction.
        """
        items = _checked_entries(entries)
        if not items:
            return []
        if not isinstance(key, SigningKey):
            raise InputError("a checkpoint needs a SigningKey")
        verifier = key.verifier()
        results: list[AppendResult] = []
        with self._translate("append to"), self._write_connection() as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql("LOCK TABLE ledger_decisions IN EXCLUSIVE MODE")
            if more is not None:
                items = _checked_entries([*items, *more()])
            policies = {item.policy.digest: item.policy for item in items}
            suites = {blob.digest: blob for item in items for blob in item.suites}
            reader = LedgerReader(conn, self)
            size, last_time, tree = self._head(reader)
            self._check_key(conn, verifier)
            now = max(utc_timestamp(), last_time)
            self._store_policies(conn, policies, now)
            self._store_suites(conn, suites, now)
            start = CompactRange(tree.size, tree.hashes())
            rows: list[dict[str, Any]] = []
            for offset, item in enumerate(items):
                seq = size + offset
                leaf = _sha256(
                    b"\x00"
                    + leaf_bytes(
                        seq,
                        item.decision_id,
                        now,
                        item.actor,
                        item.candidate,
                        item.decision,
                        item.policy_digest,
                        item.canon,
                    )
                ).digest()
                rows.append(
                    {
                        "seq": seq,
                        "decision_id": item.decision_id,
                        "recorded_at": now,
                        "actor": item.actor,
                        "candidate": item.candidate,
                        "decision": item.decision,
                        "policy_digest": item.policy_digest,
                        "canon": item.canon,
                        "leaf_hash": leaf,
                        "node": tree.append(leaf),
                    }
                )
            conn.exec_driver_sql(self._insert_entry_sql, [tuple(row[c] for c in ENTRY_COLUMNS) for row in rows])
            uses = [
                {"seq": row["seq"], "suite_digest": blob.digest}
                for item, row in zip(items, rows, strict=True)
                for blob in item.suites
            ]
            if uses:
                conn.execute(insert(_USES), uses)
            root = tree.root()
            signed = SignedCheckpoint.sign(Checkpoint(self.origin, tree.size, root, now), key)
            conn.execute(
                insert(_CHECKPOINTS),
                {
                    "tree_size": tree.size,
                    "root_hash": root,
                    "signed_at": now,
                    "key_id": signed.key_id,
                    "signature": signed.signature,
                },
            )
        self._tree_cache = (tree.size, root, tree.hashes())
        paths = appended_proofs(start, [row["leaf_hash"] for row in rows])
        note = signed.note()
        self._known_policies.update(policies)
        self._known_suites.update(suites)
        self._known_keys.add(verifier.key_id)
        log = get_logger("governance.ledger")
        for item, row, path in zip(items, rows, paths, strict=True):
            result = AppendResult(
                seq=row["seq"],
                decision_id=item.decision_id,
                recorded_at=now,
                leaf_hash=row["leaf_hash"].hex(),
                tree_size=tree.size,
                root_hash=root.hex(),
                model=item.model,
                tier=item.tier,
                policy=f"{item.policy.policy_id}@{item.policy.policy_version}",
                proof=tuple(path),
                checkpoint=note,
            )
            results.append(result)
            log.info(
                "ledger_append",
                ledger=self.origin,
                seq=result.seq,
                decision_id=result.decision_id,
                recorded_at=now,
                actor=item.actor,
                model=item.model,
                policy=result.policy,
                policy_digest=item.policy_digest,
                tier=item.tier,
                as_of=item.as_of,
                leaf_hash=result.leaf_hash,
                tree_size=result.tree_size,
                root_hash=result.root_hash,
            )
        return results

    def _head(self, reader: LedgerReader) -> tuple[int, str, CompactRange]:
        """The next sequence number, the last recorded time and the tree, checked against the latest checkpoint."""
        display = self.location.display
        latest = reader.latest_checkpoint()
        covered = latest.tree_size if latest is not None else 0
        size = reader.next_seq()
        if covered != size:
            raise LedgerError(
                f"{display}: the ledger has {size} entries but its latest checkpoint covers {covered}; it was changed "
                "outside governance. Refusing to append: run `governance ledger verify`"
            )
        if latest is None:
            return 0, "", CompactRange()
        cache = self._tree_cache
        if cache is not None and cache[0] == size and cache[1] == latest.root_hash:
            return size, latest.signed_at, CompactRange(size, cache[2])
        indexes = frontier_indexes(size)
        found = {
            int(r[0]): bytes(r[1])
            for r in reader._conn.execute(
                select(_DECISIONS.c.seq, _DECISIONS.c.node).where(_DECISIONS.c.seq.in_(indexes))
            )
        }
        if len(found) != len(indexes):
            raise LedgerError(f"{display}: entries at the head of the tree are missing; run `governance ledger verify`")
        tree = CompactRange(size, [found[i] for i in indexes])
        if tree.root() != latest.root_hash:
            raise LedgerError(
                f"{display}: the stored tree does not match the latest signed checkpoint (size {size}). "
                "Refusing to append: run `governance ledger verify`"
            )
        return size, latest.signed_at, tree

    def _check_key(self, conn: Connection, verifier: VerifierKey) -> None:
        if verifier.key_id in self._known_keys:  # keys are never removed: once seen, it stays registered
            return
        rows = conn.execute(select(_KEYS.c.key_id, _KEYS.c.name, _KEYS.c.public_key)).all()
        for key_id, name, public in rows:
            if key_id == verifier.key_id and name == verifier.name and bytes(public) == verifier.public_key:
                return
        if rows:
            known = ", ".join(f"{name} ({key_id})" for key_id, name, _ in rows)
            raise LedgerError(
                f"{self.location.display}: signing key {verifier.name} ({verifier.key_id}) is not registered in this "
                f"ledger (registered: {known}); use a registered key or add it with `governance ledger keygen`"
            )
        conn.execute(
            insert(_KEYS),
            {
                "key_id": verifier.key_id,
                "name": verifier.name,
                "public_key": verifier.public_key,
                "registered_at": utc_timestamp(),
            },
        )

    def _store_policies(self, conn: Connection, policies: dict[str, Any], now: str) -> None:
        _store_documents(conn, _POLICIES, policies, self._known_policies, ("policy_id", "policy_version"), now)

    def _store_suites(self, conn: Connection, suites: dict[str, Any], now: str) -> None:
        _store_documents(conn, _SUITES, suites, self._known_suites, ("suite_id", "suite_version"), now)

    # -- convenience reads -----------------------------------------------------------------------

    def size(self) -> int:
        """Number of entries."""
        with self.read() as reader:
            return reader.entry_count()

    def latest_signed_checkpoint(self) -> SignedCheckpoint | None:
        """The latest checkpoint as a signed note (None for an empty ledger)."""
        with self.read() as reader:
            latest = reader.latest_checkpoint()
            if latest is None:
                return None
            names = {key.key_id: key.name for key in reader.signing_keys()}
        return latest.signed(self.origin, names.get(latest.key_id, "unknown-key"))


def _checked_entries(entries: Sequence[PendingEntry]) -> list[PendingEntry]:
    items = list(entries)
    if not all(isinstance(item, PendingEntry) for item in items):
        raise InputError("append_many takes entries made by governance.ledger.prepare_entry")
    ids = [item.decision_id for item in items]
    if len(set(ids)) != len(ids):
        raise InputError("the entries to append repeat a decision id")
    return items


def _make_engine(location: LedgerLocation, schema: str | None, *, read_only: bool = False) -> Engine:
    try:
        if location.is_sqlite and read_only and location.sqlite_path is not None:
            uri = location.sqlite_path.resolve().as_uri() + "?mode=ro"
            engine = create_engine(
                "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, timeout=60.0, check_same_thread=False)
            )
            event.listen(engine, "connect", _sqlite_connect_read_only)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        if location.is_sqlite:
            engine = create_engine(location.url, connect_args={"timeout": 60.0})
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        connect_args: dict[str, Any] = {"connect_timeout": 10}
        if schema:
            connect_args["options"] = f"-csearch_path={schema}"
        return create_engine(location.url, connect_args=connect_args)
    except (NoSuchModuleError, ImportError) as exc:
        raise LedgerError(
            f"{location.display}: the database driver is not installed ({exc}); for PostgreSQL install "
            "governance[postgres] (psycopg)"
        ) from exc
    except ArgumentError as exc:
        raise InputError(f"--ledger: {location.display} is not a usable database URL ({exc})") from exc


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun explicitly (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout = 60000")
        # Large pages keep a whole entry (a few kilobytes) on one page: fewer overflow reads when
        # verifying. It only takes effect on a new, empty file; existing ledgers keep their size.
        cursor.execute("PRAGMA page_size = 32768")
        deadline = time.monotonic() + 60
        while True:
            try:
                cursor.execute("PRAGMA journal_mode = WAL")
                break
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _refuse_foreign_sqlite(path: Path, display: str) -> None:
    """Refuse, before anything writes to it, a SQLite file that holds tables but no ledger."""
    try:
        with contextlib.closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
            tables = sorted(str(row[0]) for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
    except sqlite3.Error as exc:
        raise LedgerError(
            f"{display}: not a SQLite database, so not a ledger ({exc}); refusing to write to it"
        ) from exc
    if tables and migrations.MIGRATION_TABLE not in tables:
        raise LedgerError(
            f"{display} is a database with other tables ({', '.join(tables[:5])}), not a governance ledger; "
            "refusing to add ledger tables to it: name a new file or an empty database"
        )


def _sqlite_connect_read_only(dbapi_connection: Any, _record: Any) -> None:
    """Only what changes no byte of the file: no journal-mode switch, no page size."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA query_only = ON")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get("ledger_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def _store_documents(
    conn: Connection, table: Any, blobs: dict[str, Any], known: set[str], identity: tuple[str, str], now: str
) -> None:
    """Insert the content-addressed documents (policy or suite versions) this ledger does not hold yet.

    ``blobs`` maps digest to an object with ``digest``, ``document`` and the two ``identity``
    attributes (id and version), which are also the table's column names.
    """
    wanted = sorted(set(blobs) - known)
    if not wanted:
        return
    present = {str(r[0]) for r in conn.execute(select(table.c.digest).where(table.c.digest.in_(wanted)))}
    missing = [blobs[d] for d in wanted if d not in present]
    if missing:
        id_column, version_column = identity
        conn.execute(
            insert(table),
            [
                {
                    "digest": blob.digest,
                    id_column: getattr(blob, id_column),
                    version_column: getattr(blob, version_column),
                    "canon": "jcs-rfc8785",
                    "document": blob.document,
                    "recorded_at": now,
                }
                for blob in missing
            ],
        )
