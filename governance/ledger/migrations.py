"""Schema versions of the ledger, and the migrations that create and upgrade it.

The schema version of a ledger is the highest ``version`` in its ``ledger_migrations`` table (0 when
the table does not exist). Each :class:`Migration` moves the schema up by one version inside the
caller's transaction and records itself; :mod:`governance.ledger.store` runs them under its write
lock and translates database errors. A ledger whose schema is newer than this code knows is refused;
one that is older is upgraded only by ``governance ledger migrate``.

* Version 1: entries, policies, keys, checkpoints, the ledger's origin.
* Version 2: ``ledger_suites`` and ``ledger_decision_suites``, the evaluation-suite versions each
  entry was decided with. Upgrading a version-1 ledger fills them for the entries already there from
  the suites in force at that moment (the shipped ``evaluations/`` folder), exactly as an append
  would have; replay then shows whether those still reproduce each old decision.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, func, insert, inspect, select

from governance.canonical import CANONICAL_FORM
from governance.ledger.tables import (
    LEDGER_TABLES,
    SUITE_TABLES,
    V1_TABLES,
    DecisionRow,
    DecisionSuiteRow,
    MetaRow,
    MigrationRow,
    SuiteRow,
    table_of,
)

__all__ = ["MIGRATIONS", "MIGRATION_TABLE", "Migration", "apply_migrations", "latest_version", "schema_version"]

APPEND_ONLY_TABLES = tuple(table.name for table in LEDGER_TABLES)
"""Every ledger table refuses UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) in the database."""

_MIGRATION_TABLE = table_of(MigrationRow)
_META_TABLE = table_of(MetaRow)
MIGRATION_TABLE: str = _MIGRATION_TABLE.name
"""The table whose presence marks a database as a governance ledger."""


@dataclass(frozen=True)
class Migration:
    """One schema step: ``apply(connection, dialect name, now)`` brings the schema to ``version``."""

    version: int
    description: str
    apply: Callable[[Connection, str, str], None]


def _append_only_sqlite(connection: Connection, tables: Sequence[Table]) -> None:
    for table in (t.name for t in tables):
        for operation in ("UPDATE", "DELETE"):
            connection.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'governance ledger is append-only: {operation} on {table} refused'); END"
            )


def _append_only_postgresql(connection: Connection, tables: Sequence[Table]) -> None:
    connection.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        # '%%' reaches PL/pgSQL as '%' (the driver reads '%' as a parameter marker).
        "BEGIN RAISE EXCEPTION 'governance ledger is append-only: %% on %% refused', TG_OP, TG_TABLE_NAME "
        "USING ERRCODE = 'integrity_constraint_violation'; END $$"
    )
    for table in (t.name for t in tables):
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
        )
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
        )


def _initial_schema(connection: Connection, dialect: str, now: str) -> None:
    """Version 1: the tables, append-only triggers, and the ledger's origin."""
    _create(connection, dialect, V1_TABLES)
    origin = f"governance.ledger/{uuid.uuid4()}"
    connection.execute(insert(_META_TABLE), [{"name": "origin", "value": origin}, {"name": "created_at", "value": now}])


def _create(connection: Connection, dialect: str, tables: Sequence[Table]) -> None:
    for table in tables:
        table.create(connection, checkfirst=True)
    if dialect == "postgresql":
        _append_only_postgresql(connection, tables)
    else:
        _append_only_sqlite(connection, tables)


_SUITES = table_of(SuiteRow)
_USES = table_of(DecisionSuiteRow)
_DECISIONS = table_of(DecisionRow)


def _stored_suites(connection: Connection, dialect: str, now: str) -> None:
    """Version 2: the suite tables, filled for the entries already recorded."""
    from governance.ledger.entry import suites_for_benchmarks  # the entry module imports the engine's models

    _create(connection, dialect, SUITE_TABLES)
    blobs: dict[str, Any] = {}
    uses: list[dict[str, Any]] = []
    rows = connection.execute(select(_DECISIONS.c.seq, _DECISIONS.c.candidate).order_by(_DECISIONS.c.seq))
    for seq, candidate in rows:
        document = bytes(candidate)
        if b'"evaluations"' not in document:
            continue
        evaluations = json.loads(document).get("evaluations") or []
        benchmarks = [str(item.get("benchmark", "")) for item in evaluations if isinstance(item, dict)]
        for blob in suites_for_benchmarks(benchmarks):
            blobs.setdefault(blob.digest, blob)
            uses.append({"seq": int(seq), "suite_digest": blob.digest})
    if blobs:
        connection.execute(
            insert(_SUITES),
            [
                {
                    "digest": blob.digest,
                    "suite_id": blob.suite_id,
                    "suite_version": blob.suite_version,
                    "canon": CANONICAL_FORM,
                    "document": blob.document,
                    "recorded_at": now,
                }
                for blob in blobs.values()
            ],
        )
    if uses:
        connection.execute(insert(_USES), uses)


MIGRATIONS: Sequence[Migration] = (
    Migration(1, "tables, append-only triggers and the ledger origin", _initial_schema),
    Migration(2, "evaluation suites stored with the entries that used them", _stored_suites),
)
"""Every migration, in order; ``MIGRATIONS[i].version == i + 1``."""


def latest_version() -> int:
    """The schema version this code writes: the version of the last migration."""
    return MIGRATIONS[-1].version


def schema_version(connection: Connection) -> int:
    """The ledger's schema version: 0 when it has no ledger tables yet."""
    if not inspect(connection).has_table(_MIGRATION_TABLE.name):
        return 0
    version = connection.execute(select(func.max(_MIGRATION_TABLE.c.version))).scalar()
    return int(version or 0)


def apply_migrations(connection: Connection, dialect: str, now: str) -> list[int]:
    """Apply every migration above the current version, in order; return the versions applied."""
    current = schema_version(connection)
    applied: list[int] = []
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        migration.apply(connection, dialect, now)
        connection.execute(
            insert(_MIGRATION_TABLE),
            {"version": migration.version, "description": migration.description, "applied_at": now},
        )
        applied.append(migration.version)
    return applied
