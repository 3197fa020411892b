"""The public log per C2SP tlog-tiles: ``/checkpoint``, ``/tile/<L>/<N>[.p/<W>]``, ``/tile/entries/<N>[.p/<W>]``.

Served for the tree the latest checkpoint signs. The checkpoint may be cached for a few seconds;
tiles and entry bundles never change once they exist, so they may be cached for a year. Hash tiles
are public; entry bundles hold the candidate and decision documents, so they need an auditor key
(and are then marked ``private`` for caches).
"""

from __future__ import annotations

import gzip
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from governance.exceptions import InputError
from governance.service.apikeys import ApiKey, Role
from governance.service.auth import require
from governance.service.problems import ProblemError
from governance.service.runtime import service_of
from governance.service.tiles import TilePath, entry_bundle, parse_tile_path, tile_exists, tile_hashes

__all__ = ["router"]

router = APIRouter(tags=["public log"])
Auditor = Annotated[ApiKey, Depends(require(Role.AUDITOR))]
OCTETS = "application/octet-stream"
IMMUTABLE = "max-age=31536000, immutable"
_LEVEL = re.compile(r"^(0|[1-9][0-9]?)$")
_BINARY: dict[int | str, dict[str, Any]] = {200: {"content": {OCTETS: {}}, "description": "Binary tile data."}}


def _signed_size(request: Request) -> int:
    with service_of(request).ledger.read() as reader:
        latest = reader.latest_checkpoint()
    return 0 if latest is None else latest.tree_size


def _tile(path: str, level: int, size: int) -> TilePath:
    try:
        tile = parse_tile_path(path)
    except InputError as exc:
        raise ProblemError(404, "not_found", exc.message) from exc
    if not tile_exists(level, tile, size):
        raise ProblemError(404, "not_found", f"the signed tree of {size} entries has no such tile")
    return tile


@router.get(
    "/checkpoint",
    summary="The latest signed checkpoint (public).",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "A C2SP signed note."}},
)
def checkpoint(request: Request) -> Response:
    """The latest checkpoint as a C2SP signed note: origin, size, root hash, time, the log's signature, and the
    cosignatures of the witnesses that have cosigned it so far."""
    service = service_of(request)
    signed = service.ledger.latest_signed_checkpoint()
    if signed is None:
        raise ProblemError(404, "not_found", "the ledger is empty: no checkpoint has been signed yet")
    note = signed.note() + "".join(service.cosignatures.lines(signed.checkpoint.tree_size))
    return Response(note, media_type="text/plain; charset=utf-8", headers={"Cache-Control": "public, max-age=2"})


@router.get(
    "/tile/entries/{path:path}",
    summary="An entry bundle: the leaves themselves (auditor).",
    response_class=Response,
    responses=_BINARY,
)
def entries_tile(request: Request, path: str, _key: Auditor) -> Response:
    """Up to 256 leaves (canonical leaf JSON), each prefixed with its length as a big-endian uint16."""
    tile = _tile(path, 0, _signed_size(request))
    with service_of(request).ledger.read() as reader:
        try:
            data = entry_bundle(reader, tile)
        except InputError as exc:
            raise ProblemError(501, "entry_too_large", exc.message) from exc
    headers = {"Cache-Control": f"private, {IMMUTABLE}", "Vary": "Accept-Encoding, Authorization"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        data = gzip.compress(data, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=OCTETS, headers=headers)


@router.get(
    "/tile/{level}/{path:path}", summary="A Merkle tree tile (public).", response_class=Response, responses=_BINARY
)
def hash_tile(request: Request, level: str, path: str) -> Response:
    """Up to 256 consecutive 32-byte Merkle Tree Hashes at tree height 8·level."""
    if not _LEVEL.fullmatch(level) or int(level) > 63:
        raise ProblemError(404, "not_found", "a tile level is 0 to 63, in decimal without leading zeros")
    tile = _tile(path, int(level), _signed_size(request))
    with service_of(request).ledger.read() as reader:
        data = tile_hashes(reader, int(level), tile)
    return Response(data, media_type=OCTETS, headers={"Cache-Control": f"public, {IMMUTABLE}"})
