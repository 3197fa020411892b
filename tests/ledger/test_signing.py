"""Ed25519 keys and signed checkpoints in the C2SP signed-note format, checked against Go's reference vector."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from governance.exceptions import InputError
from governance.ledger.signing import (
    Checkpoint,
    SignedCheckpoint,
    SigningKey,
    VerifierKey,
    compute_key_id,
    load_verifier_keys,
    sign_note,
)
from tests.ledger.builders import KEY, OTHER_KEY

# The example key pair and signed note of golang.org/x/mod/sumdb/note (its package documentation and
# note_test.go): the reference implementation of the signed-note format.
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIGNATURE = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def _checkpoint(size: int = 5) -> Checkpoint:
    return Checkpoint("governance.ledger/test", size, bytes(range(32)), "2026-11-28T09:30:00.000001Z")


class TestReferenceVector:
    """Keys, key ids and signatures match the Go reference implementation byte for byte."""

    def test_signer_key_gives_the_verifier_key(self) -> None:
        """The private key string parses and its public key string is Go's."""
        assert SigningKey.parse(GO_SIGNER).verifier().text() == GO_VERIFIER

    def test_key_id(self) -> None:
        """The key id is the first 4 bytes of SHA-256(name ‖ \\n ‖ 0x01 ‖ key)."""
        key = VerifierKey.parse(GO_VERIFIER)
        assert key.key_id == "c74f20a3" == compute_key_id("PeterNeumann", key.public_key)

    def test_signed_note_is_identical(self) -> None:
        """Signing Go's text gives Go's note (Ed25519 is deterministic)."""
        assert sign_note(GO_TEXT, SigningKey.parse(GO_SIGNER)) == GO_TEXT + "\n" + GO_SIGNATURE

    def test_private_key_string_round_trips(self) -> None:
        """text() writes back the same private key string."""
        assert SigningKey.parse(GO_SIGNER).text() == GO_SIGNER


class TestCheckpoints:
    """A checkpoint note round-trips, verifies with its key, and fails with any other key or any change."""

    def test_body_format(self) -> None:
        """origin, size, base64 root, time line, each ending in a newline."""
        body = _checkpoint().body().decode()
        assert body == (
            "governance.ledger/test\n5\n" + base64.b64encode(bytes(range(32))).decode() + "\n"
            "time 2026-11-28T09:30:00.000001Z\n"
        )

    def test_note_round_trip_and_verify(self) -> None:
        """parse_note(note()) gives back the same signed checkpoint, and it verifies."""
        signed = SignedCheckpoint.sign(_checkpoint(), KEY)
        again = SignedCheckpoint.parse_note(signed.note())
        assert again == signed
        assert again.verify(KEY.verifier())

    def test_other_key_fails(self) -> None:
        """Another key, even under the same name, does not verify it."""
        signed = SignedCheckpoint.sign(_checkpoint(), KEY)
        assert not signed.verify(OTHER_KEY.verifier())
        impostor = SigningKey(KEY.name, OTHER_KEY.seed)
        assert not signed.verify(impostor.verifier())

    @pytest.mark.parametrize("field", ["origin", "tree_size", "root_hash", "time"])
    def test_any_changed_field_fails(self, field: str) -> None:
        """Changing origin, size, root or time invalidates the signature."""
        signed = SignedCheckpoint.sign(_checkpoint(), KEY)
        cp = signed.checkpoint
        changed = {
            "origin": Checkpoint("governance.ledger/other", cp.tree_size, cp.root_hash, cp.time),
            "tree_size": Checkpoint(cp.origin, cp.tree_size + 1, cp.root_hash, cp.time),
            "root_hash": Checkpoint(cp.origin, cp.tree_size, bytes(32), cp.time),
            "time": Checkpoint(cp.origin, cp.tree_size, cp.root_hash, "2026-11-28T09:30:00.000002Z"),
        }[field]
        forged = SignedCheckpoint(changed, signed.key_name, signed.key_id, signed.signature)
        assert not forged.verify(KEY.verifier())

    @pytest.mark.parametrize(
        "text",
        [
            "no blank line",
            "origin\n5\nAAAA\ntime x\n\n— k AAAA\n",
            "origin\nfive\n"
            + base64.b64encode(bytes(32)).decode()
            + "\ntime 2026-11-28T09:30:00Z\n\n— k "
            + base64.b64encode(bytes(68)).decode()
            + "\n",
            "origin\n5\n" + base64.b64encode(bytes(32)).decode() + "\ntime 2026-11-28T09:30:00Z\n\n— k short\n",
        ],
    )
    def test_malformed_notes_are_refused(self, text: str) -> None:
        """A note that is not a checkpoint gives InputError, not a crash."""
        with pytest.raises(InputError):
            SignedCheckpoint.parse_note(text)


class TestKeyFiles:
    """Key files are private, never overwritten, and bad key text gets a clear error."""

    def test_save_is_private_and_refuses_overwrite(self, tmp_path: Path) -> None:
        """The file is mode 0600 and a second save to it fails."""
        path = tmp_path / "k.key"
        KEY.save(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert SigningKey.load(path).text() == KEY.text()
        with pytest.raises(InputError, match="refusing to overwrite"):
            OTHER_KEY.save(path)
        assert SigningKey.load(path).text() == KEY.text()

    def test_missing_key_file(self, tmp_path: Path) -> None:
        """A missing file is named."""
        with pytest.raises(InputError, match="no such signing key"):
            SigningKey.load(tmp_path / "absent.key")

    def test_public_key_file(self, tmp_path: Path) -> None:
        """A --pubkey file holds verifier keys, comments allowed; a private key there is refused."""
        path = tmp_path / "keys.pub"
        path.write_text(f"# our keys\n{KEY.verifier().text()}\n\n{OTHER_KEY.verifier().text()}\n")
        assert [k.key_id for k in load_verifier_keys(path)] == [KEY.key_id, OTHER_KEY.key_id]
        path.write_text(KEY.text() + "\n")
        with pytest.raises(InputError, match="private key"):
            load_verifier_keys(path)
        path.write_text("# nothing\n")
        with pytest.raises(InputError, match="no public key"):
            load_verifier_keys(path)

    @pytest.mark.parametrize(
        "text",
        [
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key id
            "PeterNeumann+c74f20a3+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown algorithm
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",  # short key
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space in the name
            "PeterNeumann+c74f20a3",
            "not a key",
        ],
    )
    def test_bad_verifier_keys(self, text: str) -> None:
        """Mangled verifier keys are refused with InputError."""
        with pytest.raises(InputError):
            VerifierKey.parse(text)

    def test_bad_signing_key(self) -> None:
        """A private key whose id does not match is refused."""
        with pytest.raises(InputError, match="does not match"):
            SigningKey.parse(GO_SIGNER.replace("c74f20a3", "c74f20a4"))

    def test_repr_hides_the_secret(self) -> None:
        """repr() names the key but never shows its seed."""
        assert KEY.seed.hex() not in repr(KEY) and KEY.key_id in repr(KEY)
