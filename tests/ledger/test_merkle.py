"""The RFC 6962 tree: published test vectors, and proofs that hold for every index and fail when altered."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryTree,
    ProofError,
    appended_proofs,
    consistency_proof,
    frontier_indexes,
    inclusion_proof,
    leaf_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

VECTORS = json.loads((Path(__file__).parent / "data" / "transparency_dev_merkle_vectors.json").read_text())
"""transparency-dev/merkle testdata/{inclusion,consistency} (Apache-2.0), commit in the file."""

# The RFC 6962 test tree as published in transparency-dev/merkle testonly/constants.go (LeafInputs and
# RootHashes): eight leaf inputs and the root of every prefix of them, sizes 0 to 8.
LEAF_INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _b64(text: str | None) -> bytes:
    return base64.b64decode(text) if text else b""


def _leaves(count: int) -> list[bytes]:
    return [hashlib.sha256(index.to_bytes(4, "big")).digest() for index in range(count)]


class TestPublishedVectors:
    """The tree hash and both proof checks agree with RFC 6962's test tree and transparency-dev's vectors."""

    def test_roots_of_every_prefix_of_the_test_tree(self) -> None:
        """Sizes 0 to 8 hash to the published roots; size 8 is 5dc9da79...4328."""
        hashes = [leaf_hash(bytes.fromhex(data)) for data in LEAF_INPUTS]
        assert [tree_root(hashes[:size]).hex() for size in range(9)] == ROOTS
        assert ROOTS[8].startswith("5dc9da79") and ROOTS[8].endswith("4328")

    def test_empty_tree(self) -> None:
        """The empty tree's root is SHA-256 of the empty string."""
        assert tree_root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()

    @pytest.mark.parametrize("vector", VECTORS["inclusion"], ids=lambda v: v["path"].removeprefix("testdata/"))
    def test_inclusion_vector(self, vector: dict[str, Any]) -> None:
        """Each inclusion vector is accepted or refused as published."""
        proof = [_b64(item) for item in vector["proof"] or []]
        arguments = (vector["leafIdx"], vector["treeSize"], _b64(vector["leafHash"]), proof, _b64(vector["root"]))
        if vector["wantErr"]:
            with pytest.raises(ProofError):
                verify_inclusion(*arguments)
        else:
            verify_inclusion(*arguments)

    @pytest.mark.parametrize("vector", VECTORS["consistency"], ids=lambda v: v["path"].removeprefix("testdata/"))
    def test_consistency_vector(self, vector: dict[str, Any]) -> None:
        """Each consistency vector is accepted or refused as published."""
        proof = [_b64(item) for item in vector["proof"] or []]
        arguments = (vector["size1"], vector["size2"], _b64(vector["root1"]), _b64(vector["root2"]), proof)
        if vector["wantErr"]:
            with pytest.raises(ProofError):
                verify_consistency(*arguments)
        else:
            verify_consistency(*arguments)

    def test_generated_proofs_equal_the_published_ones(self) -> None:
        """Our proofs for the test tree are the vectors' happy-path proofs, hash for hash."""
        hashes = [leaf_hash(bytes.fromhex(data)) for data in LEAF_INPUTS]
        tree = MemoryTree(hashes)
        happy = [v for v in VECTORS["inclusion"] if v["desc"] == "happy path"]
        assert happy
        for vector in happy:
            size, index = vector["treeSize"], vector["leafIdx"]
            assert [_b64(p) for p in vector["proof"] or []] == inclusion_proof(index, size, tree.subtree)
        for vector in (v for v in VECTORS["consistency"] if v["desc"] == "happy path"):
            size1, size2 = vector["size1"], vector["size2"]
            assert [_b64(p) for p in vector["proof"] or []] == consistency_proof(size1, size2, tree.subtree)


class TestCompactRange:
    """Building leaf by leaf gives the same roots and the nodes the ledger stores."""

    @given(st.integers(min_value=0, max_value=300))
    def test_same_root_as_the_recursive_definition(self, size: int) -> None:
        """CompactRange's root equals MTH for every size."""
        leaves = _leaves(size)
        tree = CompactRange()
        for leaf in leaves:
            tree.append(leaf)
        assert tree.root() == MemoryTree(leaves).root()

    @given(st.integers(min_value=1, max_value=300))
    def test_nodes_rebuild_the_frontier(self, size: int) -> None:
        """The nodes returned by append, read at frontier_indexes, restart the tree at that size."""
        leaves = _leaves(size + 5)
        tree = CompactRange()
        nodes = [tree.append(leaf) for leaf in leaves[:size]]
        restarted = CompactRange(size, [nodes[i] for i in frontier_indexes(size)])
        for leaf in leaves[size:]:
            restarted.append(leaf)
            tree.append(leaf)
        assert restarted.root() == tree.root() == MemoryTree(leaves).root()

    def test_node_is_the_largest_perfect_subtree_ending_there(self) -> None:
        """Entry 5 (size 6) stores MTH(D[4:6]); entry 7 (size 8) stores the whole tree's root."""
        leaves = _leaves(8)
        memory = MemoryTree(leaves)
        tree = CompactRange()
        nodes = [tree.append(leaf) for leaf in leaves]
        assert nodes[4] == leaves[4]
        assert nodes[5] == memory.subtree(4, 6)
        assert nodes[7] == memory.root()

    def test_wrong_number_of_hashes_is_refused(self) -> None:
        """A frontier must have one hash per set bit of the size."""
        with pytest.raises(ProofError):
            CompactRange(6, [b"\x00" * 32])


class TestInclusionProofs:
    """An inclusion proof verifies for every index, and fails when any part of it is altered."""

    @given(st.integers(min_value=1, max_value=130))
    def test_every_index_verifies(self, size: int) -> None:
        """Each leaf of a tree of this size has a proof leading to the root."""
        leaves = _leaves(size)
        tree = MemoryTree(leaves)
        root = tree.root()
        for index in range(size):
            verify_inclusion(index, size, leaves[index], inclusion_proof(index, size, tree.subtree), root)

    @given(st.data())
    def test_any_altered_proof_fails(self, data: st.DataObject) -> None:
        """Flipping one bit anywhere in the path, or changing the index, size or leaf, is refused."""
        size = data.draw(st.integers(min_value=2, max_value=200))
        index = data.draw(st.integers(min_value=0, max_value=size - 1))
        leaves = _leaves(size)
        tree = MemoryTree(leaves)
        root = tree.root()
        proof = inclusion_proof(index, size, tree.subtree)
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bit = data.draw(st.integers(min_value=0, max_value=255))
        altered = list(proof)
        node = bytearray(altered[position])
        node[bit // 8] ^= 1 << (bit % 8)
        altered[position] = bytes(node)
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaves[index], altered, root)
        other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index))
        with pytest.raises(ProofError):
            verify_inclusion(other, size, leaves[index], proof, root)
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaves[(index + 1) % size], proof, root)
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaves[index], [*proof, proof[0]], root)
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaves[index], proof[:-1], root)

    def test_index_outside_the_tree(self) -> None:
        """An index at or past the size has no proof."""
        with pytest.raises(ProofError):
            inclusion_proof(4, 4, MemoryTree(_leaves(4)).subtree)


class TestConsistencyProofs:
    """Consistency proofs hold between any two sizes and fail for a rewritten prefix."""

    @given(st.data())
    def test_random_sizes_are_consistent(self, data: st.DataObject) -> None:
        """For 1 <= m <= n, the proof from m to n verifies."""
        new = data.draw(st.integers(min_value=1, max_value=300))
        old = data.draw(st.integers(min_value=1, max_value=new))
        tree = MemoryTree(_leaves(new))
        proof = consistency_proof(old, new, tree.subtree)
        verify_consistency(old, new, tree.root(old), tree.root(), proof)

    @given(st.data())
    def test_rewritten_prefix_is_refused(self, data: st.DataObject) -> None:
        """Changing any one leaf before m makes the old root (as signed) disagree with the new tree."""
        new = data.draw(st.integers(min_value=2, max_value=200))
        old = data.draw(st.integers(min_value=1, max_value=new - 1))
        changed = data.draw(st.integers(min_value=0, max_value=old - 1))
        original = MemoryTree(_leaves(new))
        leaves = _leaves(new)
        leaves[changed] = hashlib.sha256(b"rewritten").digest()
        rewritten = MemoryTree(leaves)
        proof = consistency_proof(old, new, rewritten.subtree)
        with pytest.raises(ProofError):
            verify_consistency(old, new, original.root(old), rewritten.root(), proof)

    @given(st.data())
    def test_altered_proof_is_refused(self, data: st.DataObject) -> None:
        """Flipping one bit of a non-empty proof is refused."""
        new = data.draw(st.integers(min_value=2, max_value=200))
        old = data.draw(st.integers(min_value=1, max_value=new - 1))
        tree = MemoryTree(_leaves(new))
        proof = consistency_proof(old, new, tree.subtree)
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        altered = list(proof)
        altered[position] = bytes([altered[position][0] ^ 1]) + altered[position][1:]
        with pytest.raises(ProofError):
            verify_consistency(old, new, tree.root(old), tree.root(), altered)

    def test_shrinking_is_not_consistent(self) -> None:
        """A larger tree cannot be a prefix of a smaller one."""
        with pytest.raises(ProofError):
            consistency_proof(5, 4, MemoryTree(_leaves(5)).subtree)


@given(st.integers(0, 70), st.integers(1, 40))
def test_an_append_proves_its_leaves_from_the_old_roots_alone(old: int, new: int) -> None:
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(old + new)]
    start = CompactRange()
    for leaf in leaves[:old]:
        start.append(leaf)
    before = start.hashes()
    full = MemoryTree(leaves)
    paths = appended_proofs(start, leaves[old:])
    assert start.hashes() == before and start.size == old
    for offset, path in enumerate(paths):
        assert path == inclusion_proof(old + offset, old + new, full.subtree)
        verify_inclusion(old + offset, old + new, leaves[old + offset], path, full.root())
