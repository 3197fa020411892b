"""API keys: a token is shown once and only its hash is kept; revoked keys stop working; the CLI commands."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from governance.exceptions import InputError
from governance.ledger.store import Ledger
from governance.service.apikeys import KeyStore, Role
from tests.service.conftest import Keys, invoke


@pytest.fixture(name="store")
def _store(tmp_path: Path) -> KeyStore:
    ledger = Ledger.open(tmp_path / "ledger.sqlite", create=True)
    store = KeyStore(ledger)
    store.ensure_tables()
    store.ensure_tables()  # idempotent
    return store


def test_only_the_hash_of_a_token_is_stored(store: KeyStore, tmp_path: Path) -> None:
    issued = store.create(Role.AUDITOR, "audit")
    assert issued.token.startswith(f"gov_{issued.key.key_id}_")
    database = sqlite3.connect(tmp_path / "ledger.sqlite")
    rows = database.execute("SELECT * FROM service_api_keys").fetchall()
    database.close()
    flat = repr(rows)
    assert issued.token not in flat and issued.token.split("_")[-1] not in flat
    assert hashlib.sha256(issued.token.encode()).digest() in rows[0]
    assert store.authenticate(issued.token) == issued.key


def test_revoked_unknown_and_altered_tokens_do_not_authenticate(store: KeyStore) -> None:
    issued = store.create(Role.LAB, "ci", "Lab")
    altered = issued.token[:-1] + ("A" if issued.token[-1] != "A" else "B")
    assert store.authenticate(altered) is None
    assert store.authenticate("gov_0000000000000000_" + "x" * 43) is None
    assert store.authenticate("") is None
    revoked = store.revoke(issued.key.key_id)
    assert revoked.revoked_at is not None
    assert store.authenticate(issued.token) is None
    assert store.revoke(issued.key.key_id).revoked_at == revoked.revoked_at  # revoking twice changes nothing


@pytest.mark.parametrize(
    ("role", "name", "org", "fragment"),
    [
        ("owner", "x", None, "--role"),
        ("lab", "ci", None, "--org"),
        ("auditor", "", None, "--name"),
        ("auditor", "bad\x1bname", None, "--name"),
        ("lab", "ci", "x" * 101, "--org"),
    ],
)
def test_bad_keys_are_refused(store: KeyStore, role: str, name: str, org: str | None, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        store.create(role, name, org)
    assert store.list() == []


def test_keys_commands_create_list_and_revoke(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    created = invoke("keys", "create", "--role", "lab", "--name", "ci", "--org", "Lab", "--ledger", ledger)
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("gov_") and "shown once" in created.stderr
    listed = invoke("keys", "list", "--ledger", ledger, "--format", "json")
    keys = json.loads(listed.stdout)
    assert [(k["role"], k["name"], k["org"], k["revoked_at"]) for k in keys] == [("lab", "ci", "Lab", None)]
    assert token not in listed.stdout
    revoked = invoke("keys", "revoke", keys[0]["key_id"], "--ledger", ledger)
    assert revoked.exit_code == 0, revoked.output
    with Ledger.open(ledger) as opened:
        assert KeyStore(opened).authenticate(token) is None
    unknown = invoke("keys", "revoke", "feedfeedfeedfeed", "--ledger", ledger)
    assert unknown.exit_code == 2
    bad = invoke("keys", "create", "--role", "root", "--name", "x", "--ledger", ledger)
    assert bad.exit_code == 2 and "--role" in bad.stderr


def test_an_admin_manages_keys_over_http(client: TestClient, keys: Keys) -> None:
    admin = keys.header("admin")
    created = client.post("/v1/keys", json={"role": "lab", "name": "new", "org": "Lab"}, headers=admin)
    assert created.status_code == 201, created.text
    token, key_id = created.json()["token"], created.json()["key_id"]
    listed = client.get("/v1/keys", headers=admin).json()
    assert key_id in [k["key_id"] for k in listed] and all("token" not in k for k in listed)
    assert client.get("/v1/policies", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.delete(f"/v1/keys/{key_id}", headers=admin).json()["revoked_at"]
    assert client.get("/v1/policies", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.delete("/v1/keys/feedfeedfeedfeed", headers=admin).status_code == 404
    refused = client.post("/v1/keys", json={"role": "lab", "name": "no-org"}, headers=admin)
    assert refused.status_code == 422 and "--org" in refused.json()["detail"]
