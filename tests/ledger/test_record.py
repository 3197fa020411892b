"""record_decisions: everything checked first, the default key created once beside a SQLite ledger."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from governance.exceptions import InputError, LedgerError
from governance.ledger.record import default_actor, record_decisions
from governance.ledger.signing import SigningKey
from governance.ledger.store import Ledger
from governance.ledger.verify import verify_source
from tests.ledger.builders import KEY, items


class TestRecord:
    """The first record creates ledger and key; later records reuse them; bad input writes nothing."""

    def test_creates_ledger_and_private_key(self, tmp_path: Path) -> None:
        """governance-ledger.key appears beside the ledger (0600) and its key signs the checkpoints."""
        path = tmp_path / "governance-ledger.sqlite"
        results = record_decisions(items(3), ledger=str(path), actor="ci")
        key_file = tmp_path / "governance-ledger.key"
        assert [r.seq for r in results] == [0, 1, 2] and results[-1].tree_size == 3
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        key = SigningKey.load(key_file)
        more = record_decisions(items(2), ledger=str(path), actor="ci")
        assert [r.seq for r in more] == [3, 4]
        with Ledger.open(path) as ledger, ledger.read() as reader:
            report = verify_source(reader, trusted_keys=[key.verifier()])
        assert report.ok and report.entries == 5

    def test_missing_named_key_creates_nothing(self, tmp_path: Path) -> None:
        """--key naming an absent file: input error, no ledger file made."""
        path = tmp_path / "l.sqlite"
        with pytest.raises(InputError, match="no such signing key"):
            record_decisions(items(1), ledger=str(path), key=tmp_path / "absent.key")
        assert not path.exists()

    def test_lost_default_key(self, tmp_path: Path) -> None:
        """A ledger whose default key file disappeared is not signed with a new key."""
        path = tmp_path / "l.sqlite"
        record_decisions(items(1), ledger=str(path), actor="ci")
        (tmp_path / "l.key").unlink()
        with pytest.raises(LedgerError, match="key file .* is missing"):
            record_decisions(items(1), ledger=str(path), actor="ci")
        assert not (tmp_path / "l.key").exists()
        with Ledger.open(path) as ledger:
            assert ledger.size() == 1

    def test_named_key(self, tmp_path: Path) -> None:
        """An explicit key file is used (and registered on first use)."""
        key_file = tmp_path / "mine.key"
        KEY.save(key_file)
        record_decisions(items(2), ledger=str(tmp_path / "l.sqlite"), key=key_file, actor="ci")
        with Ledger.open(tmp_path / "l.sqlite") as ledger:
            assert [k.key_id for k in ledger.registered_keys()] == [KEY.key_id]

    def test_bad_actor_touches_nothing(self, tmp_path: Path) -> None:
        """An unusable actor is refused before the ledger is created."""
        with pytest.raises(InputError, match="actor"):
            record_decisions(items(1), ledger=str(tmp_path / "l.sqlite"), actor="")
        assert not (tmp_path / "l.sqlite").exists()

    def test_default_actor(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """GOVERNANCE_ACTOR wins over the login name."""
        monkeypatch.setenv("GOVERNANCE_ACTOR", "release-bot")
        assert default_actor() == "release-bot"
