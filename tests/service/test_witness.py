"""Witnesses: cosign a checkpoint only when it extends the last one seen; refuse forks; clients count cosignatures."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from governance.exceptions import InputError, VerificationError
from governance.ledger.proofs import consistency_document
from governance.ledger.signing import Checkpoint, SignedCheckpoint
from governance.ledger.store import Ledger
from governance.service import ServiceConfig, create_app
from governance.service.cosigning import Cosigning, WitnessEndpoint
from governance.service.remote import RemoteLog, verify_remote
from governance.service.witness import Cosigner, CosignerKey, Witness, cosignatures_by, witness_app
from tests.ledger.builders import KEY, OTHER_KEY, build_ledger
from tests.service.conftest import Keys, invoke, make_keys, record


def _note(ledger: Ledger, size: int) -> str:
    with ledger.read() as reader:
        stored = reader.checkpoint_at(size)
    assert stored is not None
    return stored.signed(ledger.origin, KEY.name).note()


def _request(ledger: Ledger, old: int, size: int, note: str | None = None) -> bytes:
    proof: list[str] = []
    if 0 < old < size:
        with ledger.read() as reader:
            proof = consistency_document(reader, old, new_size=size)["proof"]
    return (f"old {old}\n" + "".join(p + "\n" for p in proof) + "\n" + (note or _note(ledger, size))).encode()


@pytest.fixture(name="ledger")
def _ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A ledger with checkpoints at sizes 2, 4, 6, 8 and 10."""
    ledger = build_ledger(tmp_path / "ledger.sqlite", 10, batch=2)
    yield ledger
    ledger.close()


@pytest.fixture(name="witness")
def _witness(ledger: Ledger, tmp_path: Path) -> Witness:
    return Witness(Cosigner.generate("witness.test/w1"), {ledger.origin: [KEY.verifier()]}, tmp_path / "state.json")


def test_a_cosignature_verifies_under_the_witness_key_only() -> None:
    cosigner = Cosigner.generate("witness.test/w1")
    body = b"origin\n5\n" + base64.b64encode(bytes(32)) + b"\n"
    line = cosigner.cosign(body, 1_700_000_000)
    assert cosigner.public.verify(line, body) == 1_700_000_000
    assert cosigner.public.verify(line, body.replace(b"5", b"6")) is None
    assert Cosigner.generate("witness.test/w1").public.verify(line, body) is None
    assert CosignerKey.parse(cosigner.public.text()) == cosigner.public
    with pytest.raises(InputError):
        CosignerKey.parse(KEY.verifier().text())  # a log key (type 0x01) is not a cosigner key (0x04)


def test_the_witness_cosigns_only_a_log_that_grows(ledger: Ledger, witness: Witness) -> None:
    first = witness.add_checkpoint(_request(ledger, 0, 4))
    assert first.status == 200 and witness.key.public.verify(
        first.body, _note(ledger, 4).partition("\n\n")[0].encode() + b"\n"
    )
    assert witness.add_checkpoint(_request(ledger, 4, 10)).status == 200
    stale = witness.add_checkpoint(_request(ledger, 4, 8))
    assert (stale.status, stale.body, stale.content_type) == (409, "10\n", "text/x.tlog.size")
    assert witness.add_checkpoint(_request(ledger, 10, 10)).status == 200  # the same checkpoint again
    again = Witness(witness.key, {ledger.origin: [KEY.verifier()]}, witness._state)  # a restarted witness
    assert again.latest(ledger.origin) == (10, _root(ledger, 10))


def _root(ledger: Ledger, size: int) -> bytes:
    with ledger.read() as reader:
        stored = reader.checkpoint_at(size)
    assert stored is not None
    return stored.root_hash


def test_a_fork_is_refused(ledger: Ledger, witness: Witness) -> None:
    assert witness.add_checkpoint(_request(ledger, 0, 10)).status == 200
    forged = SignedCheckpoint.sign(Checkpoint(ledger.origin, 10, bytes(32), "2026-11-28T00:00:00Z"), KEY).note()
    fork = witness.add_checkpoint(_request(ledger, 10, 10, forged))
    assert (fork.status, fork.body) == (409, "10\n")
    longer = SignedCheckpoint.sign(Checkpoint(ledger.origin, 12, bytes(32), "2026-11-28T00:00:00Z"), KEY).note()
    proofless = witness.add_checkpoint(b"old 10\n\n" + longer.encode())
    assert proofless.status == 422
    assert witness.latest(ledger.origin) == (10, _root(ledger, 10))


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("unknown log", 404),
        ("other key", 403),
        ("old above size", 400),
        ("proof from zero", 422),
        ("not a request", 400),
    ],
)
def test_bad_requests_are_refused(ledger: Ledger, witness: Witness, change: str, status: int) -> None:
    note = _note(ledger, 4)
    body = {
        "unknown log": b"old 0\n\n" + note.replace(ledger.origin, "elsewhere.example/log").encode(),
        "other key": b"old 0\n\n"
        + SignedCheckpoint.sign(SignedCheckpoint.parse_note(note).checkpoint, OTHER_KEY).note().encode(),
        "old above size": b"old 5\n\n" + note.encode(),
        "proof from zero": b"old 0\n" + base64.b64encode(bytes(32)) + b"\n\n" + note.encode(),
        "not a request": b"hello",
    }[change]
    assert witness.add_checkpoint(body).status == status
    assert witness.latest(ledger.origin) is None


def test_the_service_publishes_cosignatures_and_clients_require_them(tmp_path: Path) -> None:
    app = create_app(ServiceConfig(ledger=str(tmp_path / "ledger.sqlite")))
    with TestClient(app) as client:
        keys: Keys = make_keys(client)
        record(client, keys, policies=["illustrative-capability@1.0"])
        service = app.state.service
        log_key = service.signing_key.verifier()
        cosigner = Cosigner.generate("witness.test/w1")
        witness = Witness(cosigner, {service.ledger.origin: [log_key]}, tmp_path / "state.json")
        witness_client = TestClient(witness_app(witness))
        cosigning = Cosigning(
            service.ledger,
            service.cosignatures,
            (WitnessEndpoint("http://testserver", cosigner.public),),
            client=witness_client,
        )
        assert cosigning.run_once() == 1
        record(client, keys, policies=["illustrative-capability@1.0"])
        assert cosigning.run_once() == 1  # from size 1 to 2, with a consistency proof
        note = client.get("/checkpoint").text
        assert cosignatures_by(note, [cosigner.public]) == [cosigner.public]
        report = verify_remote(
            RemoteLog("http://testserver", client=client), [log_key], witnesses=[cosigner.public], quorum=1
        )
        assert report.witnesses == ["witness.test/w1"] and report.tree_size == 2
        other = Cosigner.generate("witness.test/w2").public
        with pytest.raises(VerificationError, match="1 of the trusted witnesses"):
            verify_remote(
                RemoteLog("http://testserver", client=client), [log_key], witnesses=[cosigner.public, other], quorum=2
            )
        record(client, keys, policies=["illustrative-capability@1.0"])
        with pytest.raises(VerificationError, match="0 of the trusted witnesses"):  # not cosigned yet
            verify_remote(
                RemoteLog("http://testserver", client=client), [log_key], witnesses=[cosigner.public], quorum=1
            )


def test_witness_keygen_prints_the_public_key(tmp_path: Path) -> None:
    result = invoke("witness", "keygen", "--key", str(tmp_path / "w.key"), "--name", "witness.test/w1")
    assert result.exit_code == 0, result.stderr
    public = CosignerKey.parse(result.stdout.strip())
    assert Cosigner.load(tmp_path / "w.key").public == public
    assert invoke("witness", "keygen", "--key", str(tmp_path / "w.key"), "--name", "x").exit_code == 2
