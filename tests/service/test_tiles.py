"""The public log per C2SP tlog-tiles: paths, cache headers, and roots rebuilt from tiles alone."""

from __future__ import annotations

import base64
import gzip
import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from governance.exceptions import InputError
from governance.ledger.merkle import tree_root
from governance.ledger.signing import SignedCheckpoint
from governance.service import ServiceConfig, create_app
from governance.service.tiles import (
    TileFetcher,
    TilePath,
    encode_index,
    parse_tile_path,
    root_from_tiles,
    split_entry_bundle,
    tile_path,
)
from tests.ledger.builders import KEY


@pytest.mark.parametrize(("index", "text"), [(0, "000"), (7, "007"), (1000, "x001/000"), (1234067, "x001/x234/067")])
def test_tile_indexes_use_groups_of_three_digits(index: int, text: str) -> None:
    assert encode_index(index) == text
    assert parse_tile_path(text) == TilePath(index)
    assert parse_tile_path(text + ".p/17") == TilePath(index, 17)
    assert tile_path(2, TilePath(index, 17)) == f"tile/2/{text}.p/17"


@pytest.mark.parametrize("text", ["1", "0001", "x000/001", "001/x002", "000.p/0", "000.p/256", "000.p/07", "abc", ""])
def test_tile_paths_have_one_spelling(text: str) -> None:
    with pytest.raises(InputError):
        parse_tile_path(text)


def _fetcher(client: TestClient) -> TileFetcher:
    def fetch(level: int, tile: TilePath) -> bytes:
        response = client.get("/" + tile_path(level, tile))
        assert response.status_code == 200, (tile_path(level, tile), response.text)
        assert len(response.content) == 32 * tile.width
        return response.content

    return fetch


def test_the_checkpoint_root_is_rebuilt_from_tiles_alone(log: tuple[TestClient, str]) -> None:
    client, _ = log
    response = client.get("/checkpoint")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "max-age=2" in response.headers["cache-control"]
    signed = SignedCheckpoint.parse_note(response.text)
    assert signed.verify(KEY.verifier())
    assert signed.checkpoint.tree_size == 300
    assert root_from_tiles(300, _fetcher(client)) == signed.checkpoint.root_hash


@pytest.mark.parametrize("size", [1, 2, 3, 100, 255, 256, 257, 299])
def test_roots_of_earlier_sizes_match_the_consistency_proofs(log: tuple[TestClient, str], size: int) -> None:
    client, _ = log
    proof = client.get(f"/v1/proofs/consistency?from={size}").json()
    assert root_from_tiles(size, _fetcher(client)) == base64.b64decode(proof["old_root"])


def test_tiles_are_immutable_and_partial_tiles_exist_only_up_to_the_signed_size(log: tuple[TestClient, str]) -> None:
    client, _ = log
    full = client.get("/tile/0/000")
    assert full.status_code == 200 and len(full.content) == 8192
    assert "immutable" in full.headers["cache-control"] and "public" in full.headers["cache-control"]
    assert client.get("/tile/0/001.p/44").status_code == 200
    assert client.get("/tile/1/000.p/1").status_code == 200
    level_one = client.get("/tile/1/000.p/1").content
    assert level_one == tree_root([full.content[i : i + 32] for i in range(0, 8192, 32)])
    missing_tiles = ("/tile/0/001", "/tile/0/001.p/45", "/tile/1/000", "/tile/2/000.p/1", "/tile/64/000", "/tile/01/0")
    for missing in missing_tiles:
        response = client.get(missing)
        assert response.status_code == 404, missing
        assert response.headers["content-type"] == "application/problem+json"


def test_entry_bundles_hash_to_the_level_zero_tile(log: tuple[TestClient, str]) -> None:
    client, token = log
    assert client.get("/tile/entries/000").status_code == 401
    response = client.get("/tile/entries/001.p/44", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert "private" in response.headers["cache-control"]
    data = response.content
    if response.headers.get("content-encoding") == "gzip" and data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    entries = split_entry_bundle(data)
    assert len(entries) == 44
    hashes = client.get("/tile/0/001.p/44").content
    assert b"".join(hashlib.sha256(b"\x00" + e).digest() for e in entries) == hashes


def test_an_empty_ledger_has_no_checkpoint_and_no_tiles(tmp_path: Path) -> None:
    with TestClient(create_app(ServiceConfig(ledger=str(tmp_path / "l.sqlite")))) as client:
        assert client.get("/checkpoint").status_code == 404
        assert client.get("/tile/0/000.p/1").status_code == 404
