"""The store: appends are all or nothing, history stays linear, the database refuses changes."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy

from governance.exceptions import InputError, LedgerError
from governance.ledger import migrations
from governance.ledger import store as store_module
from governance.ledger.entry import prepare_entry
from governance.ledger.migrations import Migration
from governance.ledger.signing import SignedCheckpoint
from governance.ledger.store import Ledger, resolve_location
from governance.ledger.verify import verify_source
from governance.logs import configure_logging
from tests.ledger.builders import KEY, OTHER_KEY, build_ledger, items, schema_url, tamper


def _counts(path: Path) -> tuple[int, int, int]:
    connection = sqlite3.connect(path)
    try:
        return tuple(  # type: ignore[return-value]
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("ledger_decisions", "ledger_checkpoints", "ledger_policies")
        )
    finally:
        connection.close()


class TestLocation:
    """--ledger takes a path or a URL; bad ones are named."""

    def test_path_and_default(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A bare path is a SQLite file; with nothing given, GOVERNANCE_LEDGER, then the default file."""
        assert resolve_location(str(tmp_path / "x.sqlite")).sqlite_path == tmp_path / "x.sqlite"
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("GOVERNANCE_LEDGER", raising=False)
        assert resolve_location(None).sqlite_path == tmp_path / "governance-ledger.sqlite"
        monkeypatch.setenv("GOVERNANCE_LEDGER", str(tmp_path / "env.sqlite"))
        assert resolve_location(None).sqlite_path == tmp_path / "env.sqlite"

    def test_postgres_url_gets_the_installed_driver(self) -> None:
        """postgresql:// is read with psycopg (3)."""
        location = resolve_location("postgresql://u:secret@h/db")
        assert location.url.startswith("postgresql+psycopg://") and "secret" not in location.display

    @pytest.mark.parametrize("url", ["mysql://h/db", "sqlite://", "sqlite:///:memory:", "not a url://"])
    def test_unsupported(self, url: str) -> None:
        """Other databases, in-memory SQLite and nonsense are refused."""
        with pytest.raises(InputError):
            resolve_location(url)

    def test_missing_ledger_is_not_created(self, tmp_path: Path) -> None:
        """Opening for reading names the missing file and creates nothing."""
        with pytest.raises(LedgerError, match="no ledger at"):
            Ledger.open(tmp_path / "absent.sqlite")
        assert not (tmp_path / "absent.sqlite").exists()

    def test_not_a_ledger(self, tmp_path: Path) -> None:
        """A SQLite file without ledger tables is refused."""
        path = tmp_path / "other.sqlite"
        sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
        with pytest.raises(LedgerError, match="no governance ledger"):
            Ledger.open(path)


class TestAppend:
    """Appends assign consecutive numbers, store each policy once, and sign a checkpoint."""

    def test_sequence_policies_checkpoints(self, sqlite_ledger: tuple[Path, Ledger]) -> None:
        """10 single appends: seq 0-9, one policy version, 10 checkpoints."""
        path, ledger = sqlite_ledger
        assert _counts(path) == (10, 10, 1)
        with ledger.read() as reader:
            assert [row.seq for row in reader.entries()] == list(range(10))
            assert [c.tree_size for c in reader.checkpoints()] == list(range(1, 11))

    def test_batch_is_one_checkpoint(self, tmp_path: Path) -> None:
        """append_many writes one checkpoint for the whole batch."""
        path = tmp_path / "l.sqlite"
        with build_ledger(path, 7, batch=7):
            pass
        assert _counts(path) == (7, 1, 1)

    def test_log_event_per_entry(self, tmp_path: Path) -> None:
        """One structured ledger_append event per appended entry."""
        stream = io.StringIO()
        configure_logging("json", stream=stream)
        with build_ledger(tmp_path / "l.sqlite", 3, batch=3):
            pass
        events = [json.loads(line) for line in stream.getvalue().splitlines()]
        appends = [e for e in events if e["event"] == "ledger_append"]
        assert [e["seq"] for e in appends] == [0, 1, 2]
        assert {"decision_id", "leaf_hash", "tree_size", "policy_digest", "tier", "actor"} <= set(appends[0])

    def test_failure_inside_the_transaction_writes_nothing(
        self, sqlite_ledger: tuple[Path, Ledger], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """If signing fails after the entries were inserted, the whole append is rolled back."""
        path, ledger = sqlite_ledger
        before = _counts(path)

        def boom(*_args: object) -> SignedCheckpoint:
            raise sqlalchemy.exc.OperationalError("sign", {}, Exception("disk on fire"))

        monkeypatch.setattr(SignedCheckpoint, "sign", classmethod(lambda cls, *a: boom()))
        pending = [prepare_entry(c, p, d, actor="x") for c, p, d in items(3)]
        with pytest.raises(LedgerError, match="disk on fire"):
            ledger.append_many(pending, KEY)
        assert _counts(path) == before
        with ledger.read() as reader:
            assert verify_source(reader).ok

    def test_duplicate_decision_id(self, sqlite_ledger: tuple[Path, Ledger]) -> None:
        """Re-appending a recorded decision id is refused, and nothing changes."""
        path, ledger = sqlite_ledger
        with ledger.read() as reader:
            taken = next(reader.entries()).decision_id
        candidate, policy, decision = items(1)[0]
        before = _counts(path)
        with pytest.raises(LedgerError, match="already in the ledger"):
            ledger.append(prepare_entry(candidate, policy, decision, actor="x", decision_id=taken), KEY)
        entry = prepare_entry(candidate, policy, decision, actor="x", decision_id="same")
        with pytest.raises(InputError, match="repeat"):
            ledger.append_many([entry, entry], KEY)
        assert _counts(path) == before

    def test_unregistered_key_is_refused(self, sqlite_ledger: tuple[Path, Ledger]) -> None:
        """Another key cannot sign this ledger's checkpoints."""
        path, ledger = sqlite_ledger
        before = _counts(path)
        candidate, policy, decision = items(1)[0]
        with pytest.raises(LedgerError, match="not registered"):
            ledger.append(prepare_entry(candidate, policy, decision, actor="x"), OTHER_KEY)
        assert _counts(path) == before

    def test_registered_second_key(self, sqlite_ledger: tuple[Path, Ledger]) -> None:
        """After register_key, a rotated key signs; verification accepts both keys' checkpoints."""
        _path, ledger = sqlite_ledger
        assert ledger.register_key(OTHER_KEY.verifier())
        assert not ledger.register_key(OTHER_KEY.verifier())
        candidate, policy, decision = items(1)[0]
        ledger.append(prepare_entry(candidate, policy, decision, actor="x"), OTHER_KEY)
        with ledger.read() as reader:
            report = verify_source(reader)
        assert report.ok and report.latest is not None and report.latest.key_id == OTHER_KEY.key_id

    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE ledger_decisions SET actor = 'x' WHERE seq = 9",
            "DELETE FROM ledger_checkpoints WHERE tree_size = 10",
            "INSERT INTO ledger_decisions SELECT seq + 100, decision_id || 'x', recorded_at, actor, candidate, "
            "decision, policy_digest, canon, leaf_hash, node FROM ledger_decisions WHERE seq = 9",
        ],
    )
    def test_tampered_head_stops_appends(self, sqlite_ledger: tuple[Path, Ledger], sql: str) -> None:
        """A ledger whose head no longer matches its latest checkpoint is never extended."""
        path, _ledger = sqlite_ledger
        tamper(path, "UPDATE ledger_decisions SET node = zeroblob(32) WHERE seq = 9" if "actor" in sql else sql)
        before = _counts(path)
        candidate, policy, decision = items(1)[0]
        with Ledger.open(path) as fresh, pytest.raises(LedgerError, match="ledger verify"):
            fresh.append(prepare_entry(candidate, policy, decision, actor="x"), KEY)
        assert _counts(path) == before


class TestAppendOnlyInTheDatabase:
    """SQLite triggers refuse UPDATE and DELETE on every ledger table."""

    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE ledger_decisions SET actor = 'x'",
            "DELETE FROM ledger_decisions",
            "UPDATE ledger_checkpoints SET root_hash = zeroblob(32)",
            "DELETE FROM ledger_policies",
            "DELETE FROM ledger_keys",
            "UPDATE ledger_meta SET value = 'x'",
        ],
    )
    def test_refused(self, sqlite_ledger: tuple[Path, Ledger], sql: str) -> None:
        """The statement fails with the append-only message and changes nothing."""
        path, _ledger = sqlite_ledger
        before = _counts(path)
        connection = sqlite3.connect(path)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            connection.execute(sql)
        connection.close()
        assert _counts(path) == before


class TestMigrations:
    """The schema is versioned; a newer or older schema is refused until migrated."""

    def test_version_recorded(self, sqlite_ledger: tuple[Path, Ledger]) -> None:
        """A new ledger is at the latest version."""
        _path, ledger = sqlite_ledger
        assert ledger.schema_version == migrations.latest_version() == 2

    def test_upgrade(self, sqlite_ledger: tuple[Path, Ledger], monkeypatch: pytest.MonkeyPatch) -> None:
        """A new migration makes the ledger 'old' until `migrate` applies it; the data still verifies."""
        path, _ledger = sqlite_ledger

        def add_index(connection: sqlalchemy.Connection, _dialect: str, _now: str) -> None:
            connection.exec_driver_sql("CREATE INDEX ledger_decisions_actor ON ledger_decisions (actor)")

        monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, Migration(3, "actor index", add_index)))
        with pytest.raises(LedgerError, match="ledger migrate"):
            Ledger.open(path)
        with Ledger.open(path, allow_old_schema=True) as old:
            assert old.migrate() == [3]
            assert old.migrate() == []
        with Ledger.open(path) as upgraded, upgraded.read() as reader:
            assert upgraded.schema_version == 3
            assert verify_source(reader).ok

    def test_newer_schema_refused(self, sqlite_ledger: tuple[Path, Ledger], monkeypatch: pytest.MonkeyPatch) -> None:
        """A ledger written by a newer governance is not touched."""
        path, _ledger = sqlite_ledger
        tamper(path, "INSERT INTO ledger_migrations VALUES (7, 'future', 'now')")
        with pytest.raises(LedgerError, match="newer than this governance"):
            Ledger.open(path)


@pytest.mark.postgres
class TestPostgres:
    """The same guarantees on PostgreSQL, in a schema of its own."""

    def test_append_read_verify(self, pg_schema: tuple[str, str]) -> None:
        """Single and batched appends verify; policies are stored once."""
        url, schema = pg_schema
        ledger = build_ledger(url, 6, batch=1, schema=schema)
        ledger.close()
        with build_ledger(url, 9, batch=3, schema=schema) as ledger, ledger.read() as reader:
            report = verify_source(reader)
            assert report.ok and report.entries == 15 and report.checkpoints == 6 + 3
            assert len(reader.policies()) == 1

    def test_schema_in_the_url(self, pg_schema: tuple[str, str]) -> None:
        """The search path can come from the URL (as the CLI and worker processes pass it)."""
        url, schema = pg_schema
        with build_ledger(schema_url(url, schema), 2) as ledger:
            assert ledger.size() == 2
        with Ledger.open(url, schema=schema) as same:
            assert same.size() == 2

    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE ledger_decisions SET actor = 'x'",
            "DELETE FROM ledger_decisions WHERE seq = 0",
            "TRUNCATE ledger_checkpoints",
            "UPDATE ledger_policies SET policy_version = 'x'",
            "DELETE FROM ledger_keys",
        ],
    )
    def test_database_refuses_changes(self, pg_schema: tuple[str, str], sql: str) -> None:
        """Triggers refuse UPDATE, DELETE and TRUNCATE; the ledger is unchanged."""
        url, schema = pg_schema
        with build_ledger(url, 2, schema=schema) as ledger:
            with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"), ledger._engine.begin() as conn:
                conn.exec_driver_sql(sql)
            with ledger.read() as reader:
                assert verify_source(reader).ok and reader.entry_count() == 2

    def test_missing_key(self, pg_schema: tuple[str, str]) -> None:
        """A PostgreSQL ledger never makes up a key file."""
        from governance.ledger.record import record_decisions

        url, schema = pg_schema
        with pytest.raises(LedgerError, match="needs a signing key"):
            record_decisions(items(1), ledger=url, schema=schema, actor="x")

    def test_unreachable_server(self) -> None:
        """A server that is not there gives LedgerError naming the URL, without the password."""
        with pytest.raises(LedgerError, match="127.0.0.1:1/"):
            Ledger.open("postgresql://u:pw@127.0.0.1:1/none")


def test_store_module_is_the_only_translator() -> None:
    """Only store.py catches SQLAlchemy errors (migrations leave them to it)."""
    package = Path(store_module.__file__).parent
    catching = sorted(p.name for p in package.glob("*.py") if "except SQLAlchemyError" in p.read_text())
    assert catching == ["store.py"]
