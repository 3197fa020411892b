"""Inclusion and consistency proofs read from the stored tree, and checked offline."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from governance.exceptions import InputError, VerificationError
from governance.ledger.merkle import MemoryTree, consistency_proof, inclusion_proof
from governance.ledger.proofs import (
    check_consistency_document,
    check_inclusion_document,
    consistency_document,
    inclusion_document,
)
from governance.ledger.signing import SignedCheckpoint
from governance.ledger.store import Ledger
from tests.ledger.builders import KEY, OTHER_KEY, build_ledger


@pytest.fixture(name="ledger_37")
def _ledger_37(tmp_path: Path) -> Ledger:
    """37 entries in uneven batches, so that the tree has subtrees of many sizes."""
    ledger = build_ledger(tmp_path / "l.sqlite", 37, batch=5)
    yield ledger
    ledger.close()


class TestStoredTree:
    """Subtree hashes read from stored nodes equal those of the full tree, for every range a proof uses."""

    def test_every_inclusion_and_consistency_proof(self, ledger_37: Ledger) -> None:
        """All 37 inclusion proofs and every consistency proof from 1..36 to 37 match the in-memory tree."""
        with ledger_37.read() as reader:
            leaves = [row.leaf_hash for row in reader.entries()]
            stored = reader.subtree_reader()
            memory = MemoryTree(leaves)
            for index in range(37):
                assert inclusion_proof(index, 37, stored.subtree) == inclusion_proof(index, 37, memory.subtree)
            for old in range(1, 37):
                assert consistency_proof(old, 37, stored.subtree) == consistency_proof(old, 37, memory.subtree)


class TestInclusionDocument:
    """`ledger prove` output checks offline, and fails once anything in it is changed."""

    def test_checks(self, ledger_37: Ledger) -> None:
        """Each entry's proof verifies against the latest checkpoint with the real key."""
        with ledger_37.read() as reader:
            ids = [row.decision_id for row in reader.entries()]
            documents = [inclusion_document(reader, decision_id) for decision_id in ids[::6]]
        for document in documents:
            check = check_inclusion_document(document, [KEY.verifier()])
            assert check.trusted and check.tree_size == 37

    @pytest.mark.parametrize(
        "edit",
        ["entry", "proof", "seq", "root", "checkpoint", "key"],
    )
    def test_any_change_fails(self, ledger_37: Ledger, edit: str) -> None:
        """Edited entry, path, index, root, checkpoint or a proof signed by another key: refused."""
        with ledger_37.read() as reader:
            document = inclusion_document(reader, next(reader.entries()).decision_id)
        changed = copy.deepcopy(document)
        if edit == "entry":
            changed["entry"]["actor"] = "mallory"
        elif edit == "proof":
            changed["proof"][0] = changed["proof"][1]
        elif edit == "seq":
            changed["seq"] = 1
            changed["entry"]["seq"] = 1
        elif edit == "root":
            changed["root_hash"] = changed["proof"][0]
        elif edit == "checkpoint":
            changed["checkpoint"] = changed["checkpoint"].replace("\n37\n", "\n38\n")
        else:
            signed = SignedCheckpoint.parse_note(document["checkpoint"])
            changed["checkpoint"] = SignedCheckpoint.sign(signed.checkpoint, OTHER_KEY).note()
            changed["key"] = OTHER_KEY.verifier().text()
        with pytest.raises(VerificationError):
            check_inclusion_document(changed, [KEY.verifier()])

    def test_unknown_decision(self, ledger_37: Ledger) -> None:
        """An id that is not in the ledger is an input error."""
        with ledger_37.read() as reader, pytest.raises(InputError, match="no decision"):
            inclusion_document(reader, "no-such-id")

    def test_not_a_proof(self) -> None:
        """A document of another format is refused."""
        with pytest.raises(InputError):
            check_inclusion_document({"format": "something else"})


class TestConsistencyDocument:
    """`ledger consistency` proves growth from a kept checkpoint; a rewritten past fails."""

    def test_growth(self, tmp_path: Path) -> None:
        """A checkpoint kept at size 10 is consistent with the ledger after 17 more entries."""
        path = tmp_path / "l.sqlite"
        with build_ledger(path, 10, batch=5) as ledger:
            kept = ledger.latest_signed_checkpoint()
        assert kept is not None
        with build_ledger(path, 17, batch=4) as ledger, ledger.read() as reader:
            document = consistency_document(reader, 10)
        check = check_consistency_document(document, kept, [KEY.verifier()])
        assert check.tree_size == 27

    def test_rewritten_past(self, tmp_path: Path) -> None:
        """A kept checkpoint whose root differs from the ledger's past is refused."""
        path = tmp_path / "l.sqlite"
        with build_ledger(path, 10, batch=5) as ledger:
            kept = ledger.latest_signed_checkpoint()
        assert kept is not None
        forged_root = bytes(32)
        forged = SignedCheckpoint.sign(
            kept.checkpoint.__class__(kept.checkpoint.origin, 10, forged_root, kept.checkpoint.time), KEY
        )
        with build_ledger(path, 3) as ledger, ledger.read() as reader:
            document = consistency_document(reader, 10)
        with pytest.raises(VerificationError, match="did not only grow"):
            check_consistency_document(document, forged, [KEY.verifier()])

    def test_size_out_of_range(self, ledger_37: Ledger) -> None:
        """OLD_SIZE must be between 1 and the latest size."""
        with ledger_37.read() as reader, pytest.raises(InputError, match="between 1 and"):
            consistency_document(reader, 38)
