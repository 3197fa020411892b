"""The Merkle tree of RFC 6962 (§2.1): tree hash, inclusion and consistency proofs, and their checks.

Leaves are hashed as ``SHA-256(0x00 ‖ data)`` and interior nodes as ``SHA-256(0x01 ‖ left ‖ right)``;
a tree of ``n > 1`` leaves splits at ``k``, the largest power of two smaller than ``n``; the empty tree
hashes to ``SHA-256("")``. Proofs are generated as RFC 6962 §2.1.1 (``PATH``) and §2.1.2
(``SUBPROOF``) define them and checked with the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2.

Proof generation reads subtree hashes through a callable ``subtree(lo, hi) -> MTH(D[lo:hi])``, so that
the same code serves a list of leaf hashes in memory (:class:`MemoryTree`) and a ledger that stores
one node per entry (:mod:`governance.ledger.store`). :class:`CompactRange` builds a tree leaf by leaf
keeping only the roots of its perfect subtrees (at most one per bit of the size).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "MemoryTree",
    "ProofError",
    "appended_proofs",
    "consistency_proof",
    "frontier_indexes",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion_proof",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree: SHA-256 of the empty string."""

_sha256 = hashlib.sha256

Subtree = Callable[[int, int], bytes]
"""``subtree(lo, hi)`` returns MTH(D[lo:hi]) for ``0 <= lo < hi``."""


class ProofError(ValueError):
    """A proof is malformed or does not lead to the expected root."""


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 ‖ data)``: the hash of one leaf."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 ‖ left ‖ right)``: the hash of an interior node."""
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH over a list of leaf hashes (not leaf data)."""
    if not leaves:
        return EMPTY_ROOT
    tree = CompactRange()
    for leaf in leaves:
        tree.append(leaf)
    return tree.root()


def frontier_indexes(size: int) -> list[int]:
    """Indexes of the entries whose stored node is a root of the compact range ``[0, size)``.

    Write ``size`` as a sum of distinct powers of two, largest first; the perfect subtrees are
    consecutive, and the one ending at prefix sum ``s`` is the node stored by entry ``s - 1`` (the
    perfect subtree of size ``2**tz(s)`` ending there, ``tz`` counting trailing zero bits).
    """
    out: list[int] = []
    end = 0
    for bit in reversed(range(size.bit_length())):
        if size >> bit & 1:
            end += 1 << bit
            out.append(end - 1)
    return out


class CompactRange:
    """The perfect-subtree roots of a tree prefix ``[0, size)``, extended one leaf at a time."""

    __slots__ = ("_hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        """Start from ``size`` leaves whose perfect-subtree roots are ``hashes`` (largest first).

        The roots' heights are the set bits of ``size``, largest first, so only the hashes are kept.
        """
        count = size.bit_count() if size >= 0 else -1
        if count != len(hashes):
            raise ProofError(f"a tree of size {size} has {count} subtree roots, not {len(hashes)}")
        self.size = size
        self._hashes = list(hashes)

    def append(self, leaf: bytes) -> bytes:
        """Add one leaf hash; return the root of the perfect subtree the new leaf completes.

        That root is what each ledger entry stores as its ``node``: the leaf hash itself when the
        new size is odd, otherwise the hash of the largest perfect subtree ending at the new leaf.
        """
        hashes = self._hashes
        size = self.size
        self.size = size + 1
        node = leaf
        while size & 1:  # each trailing one bit is a perfect subtree the new leaf completes
            node = _sha256(b"\x01" + hashes.pop() + node).digest()
            size >>= 1
        hashes.append(node)
        return node

    def append_subtree(self, node: bytes, height: int) -> bytes:
        """Add the root of a perfect subtree of ``2**height`` leaves; return the node it completes.

        The size must be a multiple of ``2**height`` (the subtree is aligned), as when whole
        power-of-two chunks of a tree are hashed elsewhere and put together.
        """
        width = 1 << height
        if self.size % width:
            raise ProofError(f"a subtree of {width} leaves cannot start at size {self.size}")
        hashes = self._hashes
        above = self.size >> height
        while above & 1:
            node = _sha256(b"\x01" + hashes.pop() + node).digest()
            above >>= 1
        hashes.append(node)
        self.size += width
        return node

    def hashes(self) -> list[bytes]:
        """The perfect-subtree roots, largest (leftmost) first."""
        return list(self._hashes)

    def root(self) -> bytes:
        """MTH of the prefix: the subtree roots folded right to left."""
        hashes = self._hashes
        if not hashes:
            return EMPTY_ROOT
        root = hashes[-1]
        for node in reversed(hashes[:-1]):
            root = _sha256(b"\x01" + node + root).digest()
        return root


def appended_proofs(start: CompactRange, leaves: Sequence[bytes]) -> list[list[bytes]]:
    """The audit paths of ``leaves`` appended to the tree ``start``, in the tree they complete.

    Only ``start``'s perfect-subtree roots and the new leaves are needed: every node a path for a new
    leaf needs left of it is one of those roots or is made from them and new leaves, and everything
    right of it is made from new leaves. So an append can hand each entry its proof without reading
    the stored tree. (``start`` is left unchanged.)
    """
    base = start.size
    size = base + len(leaves)
    known: dict[tuple[int, int], bytes] = {}
    lo = 0
    heights = [bit for bit in reversed(range(base.bit_length())) if base >> bit & 1]  # largest first
    for height, node in zip(heights, start._hashes, strict=True):
        known[(lo, lo + (1 << height))] = node
        lo += 1 << height

    def subtree(lo: int, hi: int) -> bytes:
        value = known.get((lo, hi))
        if value is not None:
            return value
        if hi - lo == 1 and lo >= base:
            value = leaves[lo - base]
        elif hi <= base:  # pragma: no cover - the argument above says this never happens
            raise ProofError(f"subtree [{lo}, {hi}) of the old tree is not one of its roots")
        else:
            k = _split(hi - lo)
            value = node_hash(subtree(lo, lo + k), subtree(lo + k, hi))
        known[(lo, hi)] = value
        return value

    return [inclusion_proof(base + offset, size, subtree) for offset in range(len(leaves))]


class MemoryTree:
    """A tree over leaf hashes held in memory, with memoised subtree hashes for proofs."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        """Build over ``leaves`` (leaf hashes, in order)."""
        self.leaves = list(leaves)
        self._memo: dict[tuple[int, int], bytes] = {}

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self.leaves)

    def subtree(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi])."""
        if hi - lo == 1:
            return self.leaves[lo]
        key = (lo, hi)
        cached = self._memo.get(key)
        if cached is None:
            k = _split(hi - lo)
            cached = node_hash(self.subtree(lo, lo + k), self.subtree(lo + k, hi))
            self._memo[key] = cached
        return cached

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (all of them by default)."""
        n = self.size if size is None else size
        return EMPTY_ROOT if n == 0 else self.subtree(0, n)


def inclusion_proof(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 6962 §2.1.1)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            path.append(subtree(lo, lo + k))
            lo += k
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, subtree: Subtree) -> list[bytes]:
    """The proof that the tree of ``old_size`` leaves is a prefix of the one of ``new_size`` (§2.1.2)."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    m, lo, hi = old_size, 0, new_size
    complete = True
    while m != hi:
        k = _split(hi - lo)
        if m - lo <= k:
            proof.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            proof.append(subtree(lo, lo + k))
            lo += k
            complete = False
    if not complete:
        proof.append(subtree(lo, hi))
    proof.reverse()
    return proof


def _check_hashes(proof: Sequence[bytes]) -> None:
    for position, item in enumerate(proof):
        if len(item) != HASH_SIZE:
            raise ProofError(f"proof hash {position} is {len(item)} bytes long, not {HASH_SIZE}")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from ``leaf`` at ``index`` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    if len(leaf) != HASH_SIZE:
        raise ProofError(f"the leaf hash is {len(leaf)} bytes long, not {HASH_SIZE}")
    _check_hashes(proof)
    fn, sn = index, size - 1
    result = leaf
    for item in proof:
        if sn == 0:
            raise ProofError("the proof is longer than the path from the leaf to the root")
        if fn & 1 or fn == sn:
            result = node_hash(item, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, item)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the path from the leaf to the root")
    return result


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Check that leaf ``index`` with hash ``leaf`` is in the tree of ``size`` with ``root``.

    Raises:
        ProofError: naming what is wrong.
    """
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError(f"the inclusion proof for leaf {index} does not lead to the root of size {size}")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Check that the tree (``old_size``, ``old_root``) is a prefix of (``new_size``, ``new_root``).

    Follows RFC 9162 §2.1.4.2. Two trees of the same size are consistent exactly when their roots
    are equal and the proof is empty. As in transparency-dev/merkle, a proof from the empty tree is
    refused: every tree extends the empty tree, so such a proof would prove nothing.

    Raises:
        ProofError: naming what is wrong.
    """
    if not 0 <= old_size <= new_size:
        raise ProofError(f"size {old_size} cannot be a prefix of size {new_size}")
    if old_size == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if old_size == new_size:
        if proof:
            raise ProofError("trees of equal size need an empty consistency proof")
        if old_root != new_root:
            raise ProofError(f"two trees of size {old_size} have different roots")
        return
    if len(old_root) != HASH_SIZE or len(new_root) != HASH_SIZE:
        raise ProofError(f"roots must be {HASH_SIZE} bytes long")
    if not proof:
        raise ProofError(f"a consistency proof from size {old_size} to {new_size} cannot be empty")
    _check_hashes(proof)
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for item in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than it should be")
        if fn & 1 or fn == sn:
            fr = node_hash(item, fr)
            sr = node_hash(item, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, item)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than it should be")
    if fr != old_root:
        raise ProofError(f"the consistency proof does not lead to the root of size {old_size}")
    if sr != new_root:
        raise ProofError(f"the consistency proof does not lead to the root of size {new_size}")
