"""Verifying a served ledger from anywhere, with only its URL and its public key.

:func:`verify_remote` reads the public log the way any outsider can (C2SP tlog-tiles): the latest
checkpoint must carry a valid signature by a trusted key, and the root it signs must be the root the
hash tiles rebuild. Given a checkpoint kept from an earlier visit, the same tiles must rebuild its root
too, which proves the log only grew since. With an auditor's token it also reads every entry bundle:
each leaf must hash to its level-0 tile hash and name its own sequence number; and it can fetch the
audit bundle and replay every decision (``governance ledger verify --ledger URL --replay``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from governance.exceptions import InputError, LedgerError, VerificationError
from governance.ledger.merkle import tree_root
from governance.ledger.signing import SignedCheckpoint, VerifierKey
from governance.service.tiles import (
    HASH_SIZE,
    TILE_WIDTH,
    TileFetcher,
    TilePath,
    root_from_tiles,
    split_entry_bundle,
    tile_path,
)
from governance.service.witness import CosignerKey, cosignatures_by, parse_signed_note

__all__ = ["TOKEN_ENV", "RemoteLog", "RemoteReport", "log_checkpoint", "verify_remote"]

TOKEN_ENV = "GOVERNANCE_TOKEN"


@dataclass
class RemoteReport:
    """What a remote verification established."""

    url: str
    origin: str
    tree_size: int
    root_hash: str
    signed_at: str
    key: str
    extends: int | None = None
    """The size of the kept checkpoint the log was shown to extend."""
    entries_checked: int = 0
    tiles_fetched: int = 0
    witnesses: list[str] = field(default_factory=list)
    """The trusted witnesses whose cosignature the checkpoint carries."""
    notes: list[str] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "url": self.url,
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "signed_at": self.signed_at,
            "key": self.key,
            "extends": self.extends,
            "entries_checked": self.entries_checked,
            "tiles_fetched": self.tiles_fetched,
            "witnesses": self.witnesses,
            "ok": True,
        }


class RemoteLog:
    """A served ledger's public log, fetched over HTTP, each tile at most once."""

    def __init__(self, url: str, *, token: str | None = None, client: httpx.Client | None = None) -> None:
        """Read the log at ``url`` (the service's base URL), with an auditor ``token`` for entries."""
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = client or httpx.Client(timeout=60, headers=headers, follow_redirects=True)
        if client is not None and token:
            self._client.headers.update(headers)
        self._tiles: dict[tuple[int, TilePath], bytes] = {}

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def get(self, path: str) -> httpx.Response:
        """GET ``path`` under the log's URL.

        Raises:
            LedgerError: when the service cannot be reached or refuses.
        """
        try:
            response = self._client.get(f"{self.url}/{path}")
        except httpx.HTTPError as exc:
            raise LedgerError(f"{self.url}: cannot reach the service ({exc})") from exc
        if response.status_code != 200:
            detail = response.text[:300]
            if response.headers.get("content-type", "").startswith("application/problem+json"):
                detail = str(response.json().get("detail", detail))
            raise LedgerError(f"{self.url}/{path}: the service answered {response.status_code}: {detail}")
        return response

    def checkpoint(self) -> str:
        """The latest checkpoint as served: the signed note, with any witness cosignatures."""
        return self.get("checkpoint").text

    def tile(self, level: int, tile: TilePath) -> bytes:
        """A hash tile, checked for its length."""
        key = (level, tile)
        cached = self._tiles.get(key)
        if cached is None:
            cached = self.get(tile_path(level, tile)).content
            if len(cached) != HASH_SIZE * tile.width:
                raise VerificationError(
                    f"{self.url}/{tile_path(level, tile)}: {len(cached)} bytes, not {tile.width} hashes"
                )
            self._tiles[key] = cached
        return cached

    def download(self, path: str, destination: Path) -> None:
        """Stream ``path`` (e.g. the audit bundle, ``v1/bundle``) into the file ``destination``.

        Raises:
            LedgerError: when the service cannot be reached or refuses.
        """
        try:
            with self._client.stream("GET", f"{self.url}/{path}") as response:
                if response.status_code != 200:
                    raise LedgerError(f"{self.url}/{path}: the service answered {response.status_code}")
                with destination.open("wb") as handle:
                    for chunk in response.iter_bytes():
                        handle.write(chunk)
        except httpx.HTTPError as exc:
            raise LedgerError(f"{self.url}: cannot reach the service ({exc})") from exc

    @property
    def tiles_fetched(self) -> int:
        """Distinct tiles read so far."""
        return len(self._tiles)

    def entries(self, size: int) -> Iterator[tuple[int, bytes, bytes]]:
        """Every leaf of the tree of ``size`` entries with its level-0 tile hash: (seq, leaf, tile hash)."""
        for index in range(-(-size // TILE_WIDTH)):
            width = min(TILE_WIDTH, size - index * TILE_WIDTH)
            tile = TilePath(index, width)
            leaves = split_entry_bundle(self.get(tile_path("entries", tile)).content)
            if len(leaves) != width:
                raise VerificationError(f"entry bundle {index} holds {len(leaves)} entries, not {width}")
            hashes = self.tile(0, tile)
            for offset, leaf in enumerate(leaves):
                seq = index * TILE_WIDTH + offset
                yield seq, leaf, hashes[offset * HASH_SIZE : (offset + 1) * HASH_SIZE]


def _from_leaves(log: RemoteLog) -> TileFetcher:
    """Tiles of every level computed from level-0 tiles only (so that the leaf hashes alone make the root)."""

    def tile(level: int, path: TilePath) -> bytes:
        if level == 0:
            return log.tile(0, path)
        children = (tile(level - 1, TilePath(path.index * TILE_WIDTH + i)) for i in range(path.width))
        return b"".join(
            tree_root([child[j : j + HASH_SIZE] for j in range(0, len(child), HASH_SIZE)]) for child in children
        )

    return tile


def log_checkpoint(note: str, keys: list[VerifierKey], where: str) -> tuple[SignedCheckpoint, VerifierKey]:
    """The checkpoint of a served note and the trusted log key that signed it (other lines are cosignatures).

    Raises:
        VerificationError: when no line is a signature by one of ``keys``.
        InputError: when ``note`` is not a signed note.
    """
    body, lines = parse_signed_note(note)
    signed = None
    for line in lines:
        try:
            signed = SignedCheckpoint.parse_note(body.decode("utf-8") + "\n" + line + "\n", source=where)
        except InputError:
            continue  # a cosignature line (76 bytes, not 68)
        for key in keys:
            if signed.verify(key):
                return signed, key
    if signed is None:
        raise VerificationError(f"{where}: no log signature on the checkpoint")
    raise VerificationError(f"{where} is not signed by a trusted key (signed by {signed.key_name}, {signed.key_id})")


def _trusted(signed: SignedCheckpoint, keys: list[VerifierKey], what: str) -> VerifierKey:
    for key in keys:
        if signed.verify(key):
            return key
    raise VerificationError(f"{what} is not signed by a trusted key (signed by {signed.key_name}, {signed.key_id})")


def verify_remote(
    log: RemoteLog,
    trusted_keys: list[VerifierKey],
    *,
    kept: SignedCheckpoint | None = None,
    entries: bool = False,
    witnesses: list[CosignerKey] | None = None,
    quorum: int = 0,
    origin: str | None = None,
) -> RemoteReport:
    """Verify a served log through its tiles (and, with ``entries``, its entry bundles).

    With ``quorum``, the checkpoint must also carry valid cosignatures from at least that many of
    ``witnesses``: witnesses that each saw the log only grow up to it. With ``origin``, a checkpoint
    of any other log is refused.

    Raises:
        VerificationError: naming what does not verify.
        LedgerError: when the service cannot be read.
    """
    note = log.checkpoint()
    signed, key = log_checkpoint(note, trusted_keys, f"{log.url}/checkpoint")
    checkpoint = signed.checkpoint
    if origin is not None and checkpoint.origin != origin:
        raise VerificationError(f"{log.url} serves log {checkpoint.origin}, not {origin}")
    cosigned = cosignatures_by(note, witnesses or [])
    if len(cosigned) < quorum:
        names = ", ".join(k.name for k in cosigned) or "none"
        raise VerificationError(
            f"{log.url}/checkpoint carries cosignatures from {len(cosigned)} of the trusted witnesses ({names}); "
            f"{quorum} required"
        )
    root = root_from_tiles(checkpoint.tree_size, log.tile)
    if root != checkpoint.root_hash:
        raise VerificationError(
            f"{log.url}: the tiles rebuild root {root.hex()}, but the checkpoint of {checkpoint.tree_size} entries "
            f"signs {checkpoint.root_hash.hex()}"
        )
    report = RemoteReport(
        log.url, checkpoint.origin, checkpoint.tree_size, checkpoint.root_hash.hex(), checkpoint.time, key.text()
    )
    report.witnesses = [k.name for k in cosigned]
    if kept is not None:
        _trusted(kept, trusted_keys, "the kept checkpoint")
        old = kept.checkpoint
        if old.origin != checkpoint.origin:
            raise VerificationError(f"the kept checkpoint is of log {old.origin}, not {checkpoint.origin}")
        if old.tree_size > checkpoint.tree_size:
            raise VerificationError(
                f"the log shrank: the kept checkpoint has {old.tree_size} entries, "
                f"the served one {checkpoint.tree_size}"
            )
        if root_from_tiles(old.tree_size, log.tile) != old.root_hash:
            raise VerificationError(
                f"the served log does not extend the kept checkpoint of {old.tree_size} entries signed at {old.time}: "
                "its history was rewritten"
            )
        report.extends = old.tree_size
    if entries:
        # The entries are checked against level-0 tiles: those must lead to the signed root by themselves.
        if root_from_tiles(checkpoint.tree_size, _from_leaves(log)) != checkpoint.root_hash:
            raise VerificationError(f"{log.url}: the level-0 tiles do not rebuild the signed root")
        for seq, leaf, expected in log.entries(checkpoint.tree_size):
            if hashlib.sha256(b"\x00" + leaf).digest() != expected:
                raise VerificationError(f"entry {seq}: the entry bundle's leaf does not hash to the tree's leaf")
            try:
                named = json.loads(leaf).get("seq")
            except ValueError as exc:
                raise VerificationError(f"entry {seq}: the leaf is not JSON") from exc
            if named != seq:
                raise VerificationError(f"entry {seq}: the leaf names sequence number {named}")
            report.entries_checked += 1
    report.tiles_fetched = log.tiles_fetched
    return report
