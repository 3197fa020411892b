"""Remote verification through the tiles: a rewritten history, a tampered tile or an untrusted key is caught."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from governance.exceptions import LedgerError, VerificationError
from governance.ledger.signing import Checkpoint, SignedCheckpoint
from governance.service.remote import RemoteLog, verify_remote
from governance.service.tiles import TilePath
from tests.ledger.builders import KEY, OTHER_KEY


def _log(client: TestClient, token: str | None = None) -> RemoteLog:
    return RemoteLog("http://testserver", token=token, client=client)


def test_a_served_log_verifies_through_its_tiles_and_entries(log: tuple[TestClient, str]) -> None:
    client, token = log
    kept = SignedCheckpoint.parse_note(client.get("/v1/proofs/inclusion?seq=0&size=100").json()["checkpoint"])
    report = verify_remote(_log(client, token), [KEY.verifier()], kept=kept, entries=True)
    assert (report.tree_size, report.extends, report.entries_checked) == (300, 100, 300)
    assert report.tiles_fetched >= 3


def test_a_rewritten_history_is_caught_against_a_kept_checkpoint(log: tuple[TestClient, str]) -> None:
    client, _ = log
    origin = SignedCheckpoint.parse_note(client.get("/checkpoint").text).checkpoint.origin
    forged = SignedCheckpoint.sign(Checkpoint(origin, 100, bytes(32), "2026-11-28T00:00:00Z"), KEY)
    with pytest.raises(VerificationError, match="rewritten"):
        verify_remote(_log(client), [KEY.verifier()], kept=forged)
    longer = SignedCheckpoint.sign(Checkpoint(origin, 301, bytes(32), "2026-11-28T00:00:00Z"), KEY)
    with pytest.raises(VerificationError, match="shrank"):
        verify_remote(_log(client), [KEY.verifier()], kept=longer)


def test_an_untrusted_key_or_a_tampered_tile_fails(log: tuple[TestClient, str]) -> None:
    client, token = log
    with pytest.raises(VerificationError, match="trusted key"):
        verify_remote(_log(client), [OTHER_KEY.verifier()])

    class Tampered(RemoteLog):
        target = (0, 1)

        def tile(self, level: int, tile: TilePath) -> bytes:
            data = super().tile(level, tile)
            return (b"\xff" + data[1:]) if (level, tile.index) == self.target else data

    with pytest.raises(VerificationError, match="tiles rebuild root"):
        verify_remote(Tampered("http://testserver", client=client), [KEY.verifier()])
    # Level-0 tile 0 is not needed for the root (the level-1 tile covers it), but entries are checked
    # against it: it must then lead to the root by itself.
    Tampered.target = (0, 0)
    assert verify_remote(Tampered("http://testserver", client=client), [KEY.verifier()]).tree_size == 300
    with pytest.raises(VerificationError, match="level-0 tiles"):
        verify_remote(Tampered("http://testserver", token=token, client=client), [KEY.verifier()], entries=True)


def test_entries_need_an_auditor_and_an_unreachable_service_is_a_ledger_error(log: tuple[TestClient, str]) -> None:
    client, _ = log
    with pytest.raises(LedgerError, match="401"):
        verify_remote(RemoteLog("http://testserver", client=TestClient(client.app)), [KEY.verifier()], entries=True)
    with pytest.raises(LedgerError, match="cannot reach"):
        verify_remote(RemoteLog("http://127.0.0.1:9"), [KEY.verifier()])
