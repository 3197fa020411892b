"""Entries by role, public proofs that hide what the caller may not read, and bundles `audit verify` accepts."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from governance.ledger.proofs import check_consistency_document, check_inclusion_document
from governance.ledger.signing import SignedCheckpoint
from tests.service.conftest import Keys, invoke, record


def test_an_auditor_reads_every_entry_and_a_lab_only_its_own(client: TestClient, keys: Keys) -> None:
    record(client, keys, policies=["illustrative-capability@1.0", "eu-ai-act@2024.1"])
    auditor = client.get("/v1/entries", headers=keys.header("auditor")).json()
    assert [e["seq"] for e in auditor["entries"]] == [0, 1] and auditor["next"] is None
    assert auditor["entries"][0]["candidate"]["model"]["name"] == "OLMo 7B"
    own = client.get("/v1/entries", headers=keys.header("lab")).json()
    assert [e["seq"] for e in own["entries"]] == [0, 1]
    assert client.get("/v1/entries", headers=keys.header("other_lab")).json()["entries"] == []
    assert client.get("/v1/entries/1", headers=keys.header("lab")).status_code == 200
    refused = client.get("/v1/entries/1", headers=keys.header("other_lab"))
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert client.get("/v1/entries/7", headers=keys.header("auditor")).status_code == 404


def test_entries_filter_and_page(client: TestClient, keys: Keys) -> None:
    for _ in range(3):
        record(client, keys, policies=["illustrative-capability@1.0", "eu-ai-act@2024.1"])
    auditor = keys.header("auditor")
    first = client.get("/v1/entries?limit=4", headers=auditor).json()
    assert [e["seq"] for e in first["entries"]] == [0, 1, 2, 3] and first["next"] == 3
    rest = client.get(f"/v1/entries?limit=4&after={first['next']}", headers=auditor).json()
    assert [e["seq"] for e in rest["entries"]] == [4, 5] and rest["next"] is None
    eu = client.get("/v1/entries?policy=eu-ai-act", headers=auditor).json()["entries"]
    assert [e["seq"] for e in eu] == [1, 3, 5]
    assert client.get("/v1/entries?model=OLMo%207B&since=2020-01-01", headers=auditor).json()["entries"]
    assert client.get("/v1/entries?model=Other", headers=auditor).json()["entries"] == []
    assert client.get("/v1/entries?since=yesterday", headers=auditor).status_code == 422
    assert client.get("/v1/entries?policy=../x", headers=auditor).status_code == 422


def test_proofs_are_public_but_show_the_entry_only_to_its_readers(client: TestClient, keys: Keys) -> None:
    record(client, keys, policies=["illustrative-capability@1.0"])
    record(client, keys, policies=["illustrative-capability@1.0"])
    anonymous = client.get("/v1/proofs/inclusion?seq=0&size=1").json()
    assert anonymous["entry"] is None and anonymous["tree_size"] == 1
    readable = client.get("/v1/proofs/inclusion?seq=0", headers=keys.header("lab")).json()
    assert check_inclusion_document(readable).tree_size == 2
    assert client.get("/v1/proofs/inclusion?seq=0", headers=keys.header("other_lab")).json()["entry"] is None
    assert client.get("/v1/proofs/inclusion?seq=1&size=1").status_code == 422
    assert client.get("/v1/proofs/inclusion?seq=9").status_code == 404
    consistency = client.get("/v1/proofs/consistency?from=1&to=2").json()
    old = SignedCheckpoint.parse_note(client.get("/v1/proofs/inclusion?seq=0&size=1").json()["checkpoint"])
    assert check_consistency_document(consistency, old).tree_size == 2
    assert client.get("/v1/proofs/consistency?from=3").status_code == 422


def test_the_streamed_bundle_verifies_and_replays_with_the_cli(client: TestClient, keys: Keys, tmp_path: Path) -> None:
    record(client, keys, policies=["illustrative-capability@1.0", "eu-ai-act@2024.1"])
    record(client, keys, policies=["illustrative-capability@1.0"])
    response = client.get("/v1/bundle", headers=keys.header("auditor"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    bundle = tmp_path / "served.bundle.jsonl"
    bundle.write_bytes(response.content)
    public = tmp_path / "ledger.pub"
    public.write_text(client.app.state.service.signing_key.verifier().text() + "\n")  # type: ignore[attr-defined]
    verified = invoke("audit", "verify", str(bundle), "--pubkey", str(public))
    assert verified.exit_code == 0, verified.stderr
    replayed = invoke("audit", "replay", str(bundle))
    assert replayed.exit_code == 0, replayed.stderr
    bundle.write_bytes(response.content.replace(b'"tier":"open"', b'"tier":"staged"', 1))
    assert invoke("audit", "verify", str(bundle)).exit_code == 6


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["ledger_entries"] == 0
    assert ready["origin"].startswith("governance.ledger/")


def test_unknown_routes_and_methods_are_problems(client: TestClient) -> None:
    missing = client.get("/v2/nothing")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    wrong = client.put("/healthz")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
