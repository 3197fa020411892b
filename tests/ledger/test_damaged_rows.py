"""Rows changed behind governance's back into types it never writes: located faults, never tracebacks.

Each case damages one row of a recorded SQLite ledger (SQLite accepts any value in any column;
NULL needs the table rebuilt without its NOT NULL constraints, which whoever holds the file can
do). Every reading command then either works on the same bytes or names the row and the column,
with exit code 6; the in-process runner re-raises anything else, so a traceback fails the test.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.helpers import invoke_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "candidates").glob("*.yaml"))
LEDGER = "governance-ledger.sqlite"
ENTRY = "entry seq 1 (decision "

SET = "UPDATE ledger_decisions SET"
# name: (SQL, what the messages name)
CASES: dict[str, tuple[str, str]] = {
    "decision as an integer": (f"{SET} decision = 42 WHERE seq = 1", "column decision holds the integer 42"),
    "seq as text": (f"{SET} seq = 'abc' WHERE seq = 1", "column seq holds the text 'abc'"),
    "seq as a real number": (f"{SET} seq = 1.5 WHERE seq = 1", "column seq holds the real number 1.5"),
    "NULL leaf hash": (f"{SET} leaf_hash = NULL WHERE seq = 1", "column leaf_hash holds NULL"),
    "NULL node": (f"{SET} node = NULL WHERE seq = 1", "column node holds NULL"),
    "NULL policy digest": (f"{SET} policy_digest = NULL WHERE seq = 1", "column policy_digest holds NULL"),
    "decision id not UTF-8": (
        f"{SET} decision_id = CAST(X'fffe41' AS TEXT) WHERE seq = 1",
        "column decision_id holds 3 bytes that are not UTF-8",
    ),
    "actor not UTF-8": (
        f"{SET} actor = CAST(X'c328' AS TEXT) WHERE seq = 1",
        "column actor holds 2 bytes that are not UTF-8",
    ),
}  # fmt: skip


def _damage(folder: Path, sql: str) -> None:
    connection = sqlite3.connect(folder / LEDGER)
    try:
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            connection.execute(f'DROP TRIGGER "{name}"')
        connection.execute("PRAGMA foreign_keys = OFF")
        if "NULL" in sql:
            table = sql.split()[1]
            connection.execute(f"ALTER TABLE {table} RENAME TO damaged")
            connection.execute(f"CREATE TABLE {table} AS SELECT * FROM damaged")
            connection.execute("DROP TABLE damaged")
        connection.execute(sql)
        connection.commit()
    finally:
        connection.close()


@pytest.fixture(scope="module", name="recorded")
def _recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("recorded")
    result = invoke_cli(
        "decide", *EXAMPLES, "-p", "illustrative-capability@1.0", "--as-of", "2026-11-28", "--record", cwd=folder
    )
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture(name="damaged")
def _damaged(recorded: Path, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, str]:
    sql, named = CASES[request.param]
    folder = tmp_path / "ledger"
    shutil.copytree(recorded, folder)
    _damage(folder, sql)
    return folder, named


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("damaged", list(CASES), indirect=True)
@pytest.mark.parametrize(
    "command", [["ledger", "list"], ["ledger", "replay"], ["ledger", "export", "--bundle", "b.jsonl"]]
)
def test_entry_rows(damaged: tuple[Path, str], command: list[str]) -> None:
    """list, replay and export name the entry and the column, exit 6, and write no bundle."""
    folder, named = damaged
    result = invoke_cli(*command, cwd=folder)
    message = _flat(result.stderr)
    assert result.returncode == 6, message
    assert named in message and "the ledger was changed outside governance" in message
    assert any(f"entry seq {seq} (decision " in message for seq in ("1", "'abc'", "1.5"))
    assert not (folder / "b.jsonl").exists()


@pytest.mark.parametrize("damaged", list(CASES), indirect=True)
def test_verify_locates_them(damaged: tuple[Path, str]) -> None:
    """verify reports each as a fault at entry 1 (or the gap it leaves), exit 6."""
    folder, _named = damaged
    result = invoke_cli("ledger", "verify", cwd=folder)
    assert result.returncode == 6
    assert "at entry seq 1" in _flat(result.stderr)


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("UPDATE ledger_checkpoints SET tree_size = 'x'", "of size 'x': column tree_size holds the text 'x'"),
        ("UPDATE ledger_checkpoints SET signature = 'abc'", "column signature holds the text 'abc'"),
        ("UPDATE ledger_keys SET public_key = 'abc'", "column public_key holds the text 'abc'"),
        ("UPDATE ledger_policies SET document = 'zz'", "column document holds the text 'zz'"),
    ],
)  # fmt: skip
def test_other_rows(recorded: Path, tmp_path: Path, sql: str, named: str) -> None:
    """A damaged checkpoint, key or policy row: verify reports an altered row (text and JSON), export refuses."""
    folder = tmp_path / "ledger"
    shutil.copytree(recorded, folder)
    _damage(folder, sql)
    result = invoke_cli("ledger", "verify", "--format", "json", cwd=folder)
    assert result.returncode == 6
    assert named in result.stdout and '"kind": "altered"' in result.stdout
    export = invoke_cli("ledger", "export", "--bundle", "b.jsonl", cwd=folder)
    assert export.returncode == 6 and named in _flat(export.stderr)


def test_documents_stored_as_text(recorded: Path, tmp_path: Path) -> None:
    """A decision rewritten as TEXT holds the same bytes: it verifies, lists, replays and exports as before."""
    folder = tmp_path / "ledger"
    shutil.copytree(recorded, folder)
    _damage(folder, "UPDATE ledger_decisions SET decision = CAST(decision AS TEXT) WHERE seq = 1")
    for command in (["verify"], ["list"], ["replay"], ["show", "1"], ["export", "--bundle", "b.jsonl"]):
        result = invoke_cli("ledger", *command, cwd=folder)
        assert result.returncode == 0, (command, result.stderr)
    assert invoke_cli("audit", "verify", "b.jsonl", cwd=folder).returncode == 0


def test_decision_not_utf8(recorded: Path, tmp_path: Path) -> None:
    """A decision whose bytes are not UTF-8: list and show name the entry; replay reports it unreadable."""
    folder = tmp_path / "ledger"
    shutil.copytree(recorded, folder)
    _damage(folder, "UPDATE ledger_decisions SET decision = X'7b22c328' WHERE seq = 1")
    for command in (["list"], ["show", "1"]):
        result = invoke_cli("ledger", *command, cwd=folder)
        assert result.returncode == 6, result.stderr
        assert f"{ENTRY}" in _flat(result.stderr) and "column decision is not UTF-8" in _flat(result.stderr)
    replay = invoke_cli("ledger", "replay", cwd=folder)
    assert replay.returncode == 6 and "decision unreadable" in _flat(replay.stderr + replay.stdout)


def test_schema_text_not_utf8(recorded: Path, tmp_path: Path) -> None:
    """A file whose SQLite schema names were damaged into bytes that are not UTF-8 (found by fuzzing):
    every command says the database is damaged, exit 5, never a traceback."""
    folder = tmp_path / "ledger"
    shutil.copytree(recorded, folder)
    path = folder / LEDGER
    data = path.read_bytes()
    name = b"triggerledger_checkpoints_no_delete"  # a trigger's name in SQLite's schema table
    assert data.count(name) == 1
    path.write_bytes(data.replace(name, b"trigger\xecedger_checkpoints_no_delete"))
    for command in (["verify"], ["list"], ["replay"], ["export", "--bundle", "b.jsonl"]):
        result = invoke_cli("ledger", *command, cwd=folder)
        assert result.returncode == 5, (command, result.stderr)
        assert "the database is damaged (text that is not UTF-8" in _flat(result.stderr)
