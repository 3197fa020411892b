"""``POST /v1/decisions``: the CLI's decision documents byte for byte, recorded with inclusion proofs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient

from governance import canonical_bytes
from governance.ledger.proofs import check_inclusion_document
from tests.service.conftest import AS_OF, EXAMPLES, Keys, candidate_document, invoke, record


def _cli_decisions(*policies: str) -> list[dict[str, Any]]:
    args = ["decide", str(EXAMPLES / "small-open-model.yaml"), "--as-of", AS_OF, "--format", "json"]
    for policy in policies:
        args += ["--policy", policy]
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    documents: list[dict[str, Any]] = json.loads(result.stdout)
    return documents


def test_decisions_are_the_cli_documents_byte_for_byte(client: TestClient, keys: Keys) -> None:
    body = {"candidate": candidate_document(), "policies": ["all"], "as_of": AS_OF}
    response = client.post("/v1/decisions", json=body, headers=keys.header("lab"))
    assert response.status_code == 200, response.text
    served = response.json()["decisions"]
    expected = _cli_decisions("all")
    assert [d["policy"] for d in served] == [f"{d['policy']['id']}@{d['policy']['version']}" for d in expected]
    for item, document in zip(served, expected, strict=True):
        canonical = canonical_bytes(document)
        assert canonical_bytes(item["decision"]) == canonical
        assert canonical in response.content  # the response carries the canonical bytes themselves
        assert item["recorded"] is None


def test_recorded_decisions_come_with_a_checkable_inclusion_proof(client: TestClient, keys: Keys) -> None:
    first = record(client, keys, policies=["illustrative-capability@1.0"])
    second = record(client, keys, policies=["illustrative-capability@1.0", "eu-ai-act"])
    seqs = [d["recorded"]["seq"] for d in first["decisions"] + second["decisions"]]
    assert seqs == [0, 1, 2]
    for item in second["decisions"]:
        proof = item["recorded"]["inclusion_proof"]
        check = check_inclusion_document(proof)
        assert check.tree_size == 3
        assert proof["entry"]["decision"] == item["decision"]
        assert proof["entry"]["actor"].startswith("api key ")


def test_a_lab_decides_only_for_its_own_organisation(client: TestClient, keys: Keys) -> None:
    body = {"candidate": candidate_document(), "as_of": AS_OF, "record": True}
    response = client.post("/v1/decisions", json=body, headers=keys.header("other_lab"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "Rival Lab" in response.json()["detail"]
    assert client.app.state.service.ledger.size() == 0  # type: ignore[attr-defined]


def test_an_invalid_candidate_is_refused_naming_the_field(client: TestClient, keys: Keys) -> None:
    candidate = candidate_document()
    candidate["compute"]["training_flop"] = "lots"
    response = client.post("/v1/decisions", json={"candidate": candidate}, headers=keys.header("lab"))
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_input"
    assert any("candidate.compute.training_flop" in p["message"] for p in problem["problems"])


def test_a_policy_reference_is_never_a_path(client: TestClient, keys: Keys) -> None:
    for ref in ("../../etc/passwd", "policies/eu-ai-act/2024.1/policy.yaml", "no-such-policy"):
        body = {"candidate": candidate_document(), "policies": [ref], "as_of": AS_OF}
        response = client.post("/v1/decisions", json=body, headers=keys.header("lab"))
        assert response.status_code in (404, 422), (ref, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_an_oversized_body_is_refused_before_it_is_read(client: TestClient, keys: Keys) -> None:
    body = {"candidate": candidate_document(), "padding": "x" * 300_000}
    response = client.post("/v1/decisions", json=body, headers=keys.header("lab"))
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_decisions_are_counted_in_the_metrics(client: TestClient, keys: Keys) -> None:
    record(client, keys, policies=["illustrative-capability@1.0"])
    text = client.get("/metrics", headers=keys.header("auditor")).text
    assert 'governance_decisions_total{policy="illustrative-capability@1.0",recorded="true",tier="open"} 1.0' in text
    assert "governance_ledger_entries 1.0" in text
    assert 'governance_http_requests_total{method="POST",route="/v1/decisions",status="200"} 1.0' in text


def test_bodies_are_read_as_strictly_as_files(client: TestClient, keys: Keys) -> None:
    headers = {**keys.header("lab"), "Content-Type": "application/json"}
    document = json.dumps({"candidate": candidate_document(), "as_of": AS_OF})
    hostile = {
        "a repeated key": document[:-1] + ', "as_of": "2020-01-01"}',
        "NaN": document.replace('"as_of"', '"x": NaN, "as_of"'),
        "deep nesting": '{"candidate": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "moderate nesting": '{"candidate": ' + "[" * 200 + "]" * 200 + "}",
        "not JSON": "{candidate",
    }
    for what, body in hostile.items():
        response = client.post("/v1/decisions", content=body, headers=headers)
        assert response.status_code == 422, (what, response.text[:300])
        assert response.headers["content-type"] == "application/problem+json", what


def test_a_chunked_body_over_the_limit_is_refused(client: TestClient, keys: Keys) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"candidate": "'
        for _ in range(100):
            yield b"x" * 10_000
        yield b'"}'

    response = client.post("/v1/decisions", content=chunks(), headers=keys.header("lab"))
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
