"""The ledger's own files: never re-created implicitly, never grafted onto another database, never changed by
reading, and keys written whole."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest

from governance.exceptions import InputError, LedgerError
from governance.ledger.record import record_decisions
from governance.ledger.signing import SigningKey, VerifierKey, ignore_in_git
from governance.ledger.store import Ledger
from governance.ledger.verify import verify_source
from tests.helpers import invoke_main
from tests.ledger.builders import KEY, items


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class TestNoImplicitRecreation:
    """A ledger that existed is never silently replaced by a new one signed with the same key."""

    def test_deleted_ledger_with_its_key(self, tmp_path: Path) -> None:
        """Deleting the ledger and recording again is refused: the key beside it proves a ledger was there."""
        path = tmp_path / "governance-ledger.sqlite"
        record_decisions(items(3), ledger=str(path), actor="ci")
        path.unlink()
        with pytest.raises(LedgerError, match="does not exist, but its signing key .* exists"):
            record_decisions(items(1), ledger=str(path), actor="ci")
        assert not path.exists()

    def test_truncated_ledger_with_its_key(self, tmp_path: Path) -> None:
        """A ledger emptied to zero bytes is refused too, and left as it is."""
        path = tmp_path / "governance-ledger.sqlite"
        record_decisions(items(3), ledger=str(path), actor="ci")
        path.write_bytes(b"")
        with pytest.raises(LedgerError, match="is empty, but its signing key"):
            record_decisions(items(1), ledger=str(path), actor="ci")
        assert path.read_bytes() == b""

    def test_unrelated_database(self, tmp_path: Path) -> None:
        """`--record --ledger other.db` no longer adds ledger tables to someone else's database."""
        other = tmp_path / "other.db"
        with sqlite3.connect(other) as conn:
            conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        before = _digest(other)
        with pytest.raises(LedgerError, match=r"database with other tables \(customers\)"):
            record_decisions(items(1), ledger=str(other), actor="ci", key=_key(tmp_path))
        assert _digest(other) == before

    def test_new_path_says_so(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """On a truly new path the ledger is created, and the CLI says so."""
        candidate = Path(__file__).resolve().parents[2] / "examples" / "candidates" / "small-open-model.yaml"
        ledger = tmp_path / "l.sqlite"
        args = ("decide", candidate, "--policy", "eu-ai-act", "--record", "--ledger", ledger)
        result = invoke_main(*args, capsys=capsys)
        assert result.returncode == 0, result.stderr
        assert f"started a new ledger at {ledger}" in result.stderr


def _key(tmp_path: Path) -> Path:
    path = tmp_path / "mine.key"
    if not path.exists():
        KEY.save(path)
    return path


class TestInit:
    """`ledger init` starts a ledger deliberately."""

    def test_init_then_record(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """init writes the ledger and its key; recording then appends to it."""
        ledger = tmp_path / "l.sqlite"
        result = invoke_main("ledger", "init", "--ledger", ledger, capsys=capsys)
        assert result.returncode == 0, result.stderr
        assert "started a new ledger" in result.stderr
        key = VerifierKey.parse(result.stdout.strip())
        record_decisions(items(2), ledger=str(ledger), actor="ci")
        with Ledger.open(ledger) as opened:
            assert opened.size() == 2
            assert [stored.key_id for stored in opened.registered_keys()] == [key.key_id]

    def test_init_refuses_an_existing_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """init never takes over a file, even an empty one."""
        ledger = tmp_path / "l.sqlite"
        ledger.write_bytes(b"")
        result = invoke_main("ledger", "init", "--ledger", ledger, capsys=capsys)
        assert result.returncode == 5
        assert "a file is already there" in result.stderr

    def test_init_after_a_lost_ledger(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """With the old key still there, init asks for it to be moved or named."""
        ledger = tmp_path / "l.sqlite"
        record_decisions(items(1), ledger=str(ledger), actor="ci")
        ledger.unlink()
        refused = invoke_main("ledger", "init", "--ledger", ledger, capsys=capsys)
        assert refused.returncode == 2
        assert "a key is already there" in refused.stderr
        named = invoke_main("ledger", "init", "--ledger", ledger, "--key", tmp_path / "l.key", capsys=capsys)
        assert named.returncode == 0, named.stderr
        assert "signed with the existing key" in named.stderr


class TestReadOnly:
    """Verification never changes the bytes an auditor holds."""

    def test_verify_keeps_a_rollback_journal_ledger_byte_identical(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A ledger switched back to a rollback journal stays so: no WAL switch, no page-size change."""
        ledger = tmp_path / "l.sqlite"
        record_decisions(items(3), ledger=str(ledger), actor="ci")
        with sqlite3.connect(ledger) as conn:
            conn.execute("PRAGMA journal_mode = DELETE")
        before = _digest(ledger)
        for command in (("verify",), ("list",), ("replay",), ("checkpoint",)):
            result = invoke_main("ledger", *command, "--ledger", ledger, capsys=capsys)
            assert result.returncode == 0, (command, result.stderr)
            assert _digest(ledger) == before, command
        assert sorted(p.name for p in tmp_path.iterdir()) == ["l.key", "l.sqlite"]

    def test_read_only_open_refuses_writes(self, tmp_path: Path) -> None:
        """A read-only ledger cannot be appended to by mistake."""
        ledger = tmp_path / "l.sqlite"
        record_decisions(items(1), ledger=str(ledger), actor="ci")
        with Ledger.open(ledger, read_only=True) as opened, pytest.raises(LedgerError):
            opened.register_key(SigningKey.generate("other").verifier())


class TestIds:
    """Decision ids are printed as text, whatever type the database stored them as."""

    def test_blob_id_in_a_fault(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An id stored as a BLOB in an altered entry is shown as text, not ``b'...'``."""
        ledger = tmp_path / "l.sqlite"
        record_decisions(items(2), ledger=str(ledger), actor="ci")
        with sqlite3.connect(ledger) as conn:
            (decision_id,) = conn.execute("SELECT decision_id FROM ledger_decisions WHERE seq = 1").fetchone()
            for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                conn.execute(f'DROP TRIGGER "{trigger}"')  # the tamperer holds the file
            conn.execute(
                "UPDATE ledger_decisions SET decision_id = CAST(decision_id AS BLOB), actor = 'mallory' WHERE seq = 1"
            )
        result = invoke_main("ledger", "verify", "--ledger", ledger, capsys=capsys)
        assert result.returncode == 6
        assert f"decision {decision_id}" in result.stdout + result.stderr
        assert "b'" not in result.stdout + result.stderr
        with Ledger.open(ledger, read_only=True) as opened, opened.read() as reader:
            fault = verify_source(reader).fault
        assert fault is not None and fault.decision_id == decision_id


class TestKeys:
    """Keys are written whole, once, and kept out of git."""

    def test_concurrent_first_keys_share_one(self, tmp_path: Path) -> None:
        """Eight threads saving the first key: one file, complete, and every other save refused cleanly."""
        path = tmp_path / "k.key"
        keys = [SigningKey.generate(f"k{i}") for i in range(8)]
        outcomes: list[str] = []

        def save(key: SigningKey) -> None:
            try:
                key.save(path)
                outcomes.append("saved")
            except InputError:
                outcomes.append("refused")

        threads = [threading.Thread(target=save, args=(key,)) for key in keys]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["refused"] * 7 + ["saved"]
        loaded = SigningKey.load(path)
        assert loaded.key_id in {key.key_id for key in keys}
        assert [p.name for p in tmp_path.iterdir()] == ["k.key"]

    def test_key_is_git_ignored_in_a_checkout(self, tmp_path: Path) -> None:
        """A key created inside a git checkout is listed in its info/exclude, so `git add .` leaves it out."""
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
        (tmp_path / "ledgers").mkdir()
        key = tmp_path / "ledgers" / "governance-ledger.key"
        KEY.save(key)
        exclude = (tmp_path / ".git" / "info" / "exclude").read_text()
        assert "/ledgers/governance-ledger.key" in exclude.splitlines()
        status = subprocess.run(
            ["git", "-C", str(tmp_path), "status", "--porcelain", "--untracked-files=all"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "governance-ledger.key" not in status.stdout
        assert ignore_in_git(key) is None  # listed once

    def test_outside_git(self, tmp_path: Path) -> None:
        """Outside a checkout nothing is written but the key."""
        KEY.save(tmp_path / "k.key")
        assert [p.name for p in tmp_path.iterdir()] == ["k.key"]
