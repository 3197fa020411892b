"""The ledger as a C2SP tlog-tiles log: tile paths, tile contents, entry bundles, and roots from tiles.

A tile at level ``L`` and index ``N`` holds up to 256 hashes; hash ``i`` is the Merkle Tree Hash of
entries ``(N·256 + i)·256^L`` to ``(N·256 + i + 1)·256^L`` (level 0: the leaf hashes). A full tile has
256; a partial tile ``.p/W`` the first ``W``. Entry bundles hold the leaves themselves (the canonical
leaf JSON the ledger hashes), each prefixed by its length as a big-endian uint16. Paths encode ``N``
in groups of three digits, all but the last prefixed with ``x``: 1234067 is ``x001/x234/067``.

The service serves tiles for the tree its latest checkpoint signs; :func:`root_from_tiles` rebuilds a
root from tiles alone, which is how a remote verifier checks a checkpoint without the database.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

from governance.exceptions import InputError
from governance.ledger.entry import leaf_bytes
from governance.ledger.merkle import node_hash, tree_root
from governance.ledger.store import LedgerReader

__all__ = [
    "HASH_SIZE",
    "TILE_WIDTH",
    "TileFetcher",
    "TilePath",
    "encode_index",
    "entry_bundle",
    "parse_tile_path",
    "root_from_tiles",
    "split_entry_bundle",
    "tile_exists",
    "tile_hashes",
    "tile_path",
]

TILE_WIDTH = 256
HASH_SIZE = 32
MAX_ENTRY = 0xFFFF
_GROUP = re.compile(r"^\d{3}$")
_PREFIXED = re.compile(r"^x\d{3}$")
_DECIMAL = re.compile(r"^(0|[1-9]\d*)$")


@dataclass(frozen=True)
class TilePath:
    """A tile (or entry bundle) index and width: ``width`` is 256 for a full tile."""

    index: int
    width: int = TILE_WIDTH

    @property
    def partial(self) -> bool:
        """True for a partial tile."""
        return self.width < TILE_WIDTH


def encode_index(index: int) -> str:
    """``N`` as tlog-tiles path elements: ``1234067`` is ``x001/x234/067``."""
    digits = str(index)
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def tile_path(level: int | str, tile: TilePath) -> str:
    """The path of a tile (``level`` an integer) or entry bundle (``level`` ``"entries"``) under the prefix."""
    suffix = f".p/{tile.width}" if tile.partial else ""
    return f"tile/{level}/{encode_index(tile.index)}{suffix}"


def parse_tile_path(text: str) -> TilePath:
    """Read ``N[.p/W]`` (the part after ``tile/<L>/``) in its one canonical spelling.

    Raises:
        InputError: for anything else.
    """
    parts = text.split("/")
    width = TILE_WIDTH
    if len(parts) >= 2 and parts[-2].endswith(".p"):
        if not _DECIMAL.fullmatch(parts[-1]) or not 1 <= int(parts[-1]) < TILE_WIDTH:
            raise InputError(f"tile path {text!r}: a partial width is 1 to 255")
        width = int(parts[-1])
        parts = [*parts[:-2], parts[-2][:-2]]
    if not parts or not _GROUP.fullmatch(parts[-1]) or not all(_PREFIXED.fullmatch(p) for p in parts[:-1]):
        raise InputError(f"tile path {text!r}: expected an index like x001/x234/067, and .p/W for a partial tile")
    index = int("".join(p.removeprefix("x") for p in parts))
    if encode_index(index) != "/".join(parts):
        raise InputError(f"tile path {text!r}: the index is not in its canonical form {encode_index(index)}")
    return TilePath(index, width)


def _span(level: int) -> int:
    return int(TILE_WIDTH**level)


def tile_exists(level: int, tile: TilePath, size: int) -> bool:
    """Whether a tree of ``size`` entries has this tile (a full tile, or a partial one no wider than it has)."""
    return (tile.index * TILE_WIDTH + tile.width) * _span(level) <= size


def tile_hashes(reader: LedgerReader, level: int, tile: TilePath) -> bytes:
    """The concatenated hashes of a tile, read from the stored tree (the caller checks it exists)."""
    first = tile.index * TILE_WIDTH
    if level == 0:
        return b"".join(reader.leaf_hashes(first, first + tile.width))
    span = _span(level)
    tree = reader.subtree_reader()
    return b"".join(tree.subtree((first + i) * span, (first + i + 1) * span) for i in range(tile.width))


def entry_bundle(reader: LedgerReader, tile: TilePath) -> bytes:
    """The entry bundle: each leaf's canonical JSON with a big-endian uint16 length prefix.

    Raises:
        InputError: when a leaf is longer than the 65,535 bytes a bundle can frame.
    """
    first = tile.index * TILE_WIDTH
    out: list[bytes] = []
    for row in reader.entry_tuples(first, first + tile.width):
        leaf = leaf_bytes(
            int(row[0]),
            row[1],
            row[2],
            row[3],
            bytes(row[4]),
            bytes(row[5]),
            row[6],
            row[7],
        )
        if len(leaf) > MAX_ENTRY:
            raise InputError(f"entry {row[0]} is {len(leaf)} bytes, more than an entry bundle can frame (65,535)")
        out.append(struct.pack(">H", len(leaf)) + leaf)
    return b"".join(out)


def split_entry_bundle(data: bytes) -> list[bytes]:
    """The entries of a bundle.

    Raises:
        InputError: when the bundle is truncated.
    """
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise InputError("entry bundle: truncated length prefix")
        (length,) = struct.unpack_from(">H", data, offset)
        offset += 2
        if offset + length > len(data):
            raise InputError("entry bundle: truncated entry")
        entries.append(data[offset : offset + length])
        offset += length
    return entries


TileFetcher = Callable[[int, TilePath], bytes]
"""Returns the hashes of tile (level, path), checking its length."""


def root_from_tiles(size: int, fetch: TileFetcher) -> bytes:
    """The root of the tree of ``size`` entries, from tiles alone.

    The tree splits into perfect subtrees (one per set bit of ``size``); a perfect subtree of width
    ``2^k`` is the tree over ``2^(k - 8L)`` consecutive hashes of a level-``L`` tile, ``L = k // 8``.
    """
    if size == 0:
        return tree_root([])
    peaks: list[bytes] = []
    start = 0
    for bit in range(size.bit_length() - 1, -1, -1):
        width = 1 << bit
        if not size & width:
            continue
        level = bit // 8
        span = _span(level)
        first, count = start // span, width // span
        tile_index, offset = divmod(first, TILE_WIDTH)
        available = min(TILE_WIDTH, size // span - tile_index * TILE_WIDTH)
        hashes = fetch(level, TilePath(tile_index, available))
        chunk = [hashes[(offset + i) * HASH_SIZE : (offset + i + 1) * HASH_SIZE] for i in range(count)]
        peaks.append(tree_root(chunk))
        start += width
    root = peaks[-1]
    for peak in reversed(peaks[:-1]):
        root = node_hash(peak, root)
    return root
