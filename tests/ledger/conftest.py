"""Fixtures for ledger tests: small SQLite ledgers, and a fresh PostgreSQL schema per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from governance.ledger.store import Ledger
from tests.ledger.builders import MemorySource, build_ledger


@pytest.fixture(scope="session", name="small_ledger_source")
def _small_ledger_source(tmp_path_factory: pytest.TempPathFactory) -> MemorySource:
    """The contents of a 24-entry SQLite ledger (batches of 1, 3 and 8), to copy and edit."""
    path = tmp_path_factory.mktemp("small") / "ledger.sqlite"
    ledger = build_ledger(path, 4, batch=1)
    ledger.close()
    ledger = build_ledger(path, 12, batch=3)
    ledger.close()
    ledger = build_ledger(path, 8, batch=8)
    source = MemorySource.of(ledger)
    ledger.close()
    return source


@pytest.fixture(name="sqlite_ledger")
def _sqlite_ledger(tmp_path: Path) -> Iterator[tuple[Path, Ledger]]:
    """A 10-entry SQLite ledger (single appends) in a fresh folder."""
    path = tmp_path / "ledger.sqlite"
    ledger = build_ledger(path, 10)
    yield path, ledger
    ledger.close()


def _psycopg_dsn(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(name="pg_schema")
def _pg_schema(postgres_url: str) -> Iterator[tuple[str, str]]:
    """A fresh, uniquely named PostgreSQL schema: (SQLAlchemy URL, schema); dropped afterwards."""
    schema = f"ledger_test_{uuid.uuid4().hex[:12]}"
    dsn = _psycopg_dsn(postgres_url)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield postgres_url, schema
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
