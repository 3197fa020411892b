"""The role matrix: every route, every role, and the table in docs/service.md say the same thing."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from governance.service import ServiceConfig, create_app
from tests.service.conftest import AS_OF, ROOT, Keys, candidate_document, make_keys, record

ROLES = ("anonymous", "lab", "auditor", "policymaker", "admin")


@dataclass(frozen=True)
class Route:
    """A route, a request that exercises it, and the roles it admits (None: public)."""

    method: str
    template: str
    path: str
    allowed: frozenset[str] | None
    body: Callable[[], Any] | None = None
    public_reads_key: bool = False
    """For a public route: whether a key shows more (then a bad key is refused, not ignored)."""

    @property
    def reads_key(self) -> bool:
        """Whether the route looks at the Authorization header at all."""
        return self.allowed is not None or self.public_reads_key


def _decision_body() -> dict[str, Any]:
    return {"candidate": candidate_document(), "policies": ["illustrative-capability@1.0"], "as_of": AS_OF}


def _population_body() -> dict[str, Any]:
    return {"population": [candidate_document()], "policies": ["illustrative-capability@1.0"], "as_of": AS_OF}


def _sweep_body() -> dict[str, Any]:
    return {"shipped": "notable-models", "policy": "eu-ai-act@2024.1", "parameter": "systemic_risk_compute", "steps": 3}


def _roles(*names: str) -> frozenset[str]:
    return frozenset(names)


MATRIX = (
    Route("GET", "/healthz", "/healthz", None),
    Route("GET", "/readyz", "/readyz", None),
    Route("GET", "/metrics", "/metrics", _roles("auditor", "admin")),
    Route("GET", "/v1/keys", "/v1/keys", _roles("admin")),
    Route("POST", "/v1/keys", "/v1/keys", _roles("admin"), lambda: {"role": "auditor", "name": "new"}),
    Route("DELETE", "/v1/keys/{key_id}", "/v1/keys/0000000000000000", _roles("admin")),
    Route("GET", "/v1/policies", "/v1/policies", _roles("lab", "auditor", "policymaker")),
    Route(
        "GET",
        "/v1/policies/{policy_id}/{version}",
        "/v1/policies/eu-ai-act/2024.1",
        _roles("lab", "auditor", "policymaker"),
    ),
    Route("POST", "/v1/decisions", "/v1/decisions", _roles("lab"), _decision_body),
    Route("GET", "/v1/entries/{seq}", "/v1/entries/0", _roles("lab", "auditor")),
    Route("GET", "/v1/entries", "/v1/entries", _roles("lab", "auditor")),
    Route("GET", "/v1/proofs/inclusion", "/v1/proofs/inclusion?seq=0", None, public_reads_key=True),
    Route("GET", "/v1/proofs/consistency", "/v1/proofs/consistency?from=1", None),
    Route("GET", "/v1/bundle", "/v1/bundle", _roles("auditor")),
    Route("POST", "/v1/comparisons", "/v1/comparisons", _roles("policymaker"), _population_body),
    Route("POST", "/v1/sweeps", "/v1/sweeps", _roles("policymaker"), _sweep_body),
    Route("GET", "/", "/", None),
    Route("GET", "/web/{name}", "/web/app.js", None),
    Route("GET", "/checkpoint", "/checkpoint", None),
    Route("GET", "/tile/{level}/{path}", "/tile/0/000.p/1", None),
    Route("GET", "/tile/entries/{path}", "/tile/entries/000.p/1", _roles("auditor")),
)


@pytest.fixture(scope="module", name="served")
def _served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Keys]]:
    """A service with one recorded entry of the lab's organisation (shared: no route here records)."""
    folder = tmp_path_factory.mktemp("roles")
    with TestClient(create_app(ServiceConfig(ledger=str(folder / "ledger.sqlite")))) as client:
        keys = make_keys(client)
        record(client, keys, policies=["illustrative-capability@1.0"])
        yield client, keys


def _call(client: TestClient, route: Route, headers: dict[str, str]) -> Any:
    body = route.body() if route.body is not None else None
    return client.request(route.method, route.path, json=body, headers=headers)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", MATRIX, ids=lambda r: f"{r.method} {r.template}")
def test_every_route_admits_exactly_its_roles(served: tuple[TestClient, Keys], route: Route, role: str) -> None:
    client, keys = served
    response = _call(client, route, keys.header(None if role == "anonymous" else role))
    if route.allowed is None or role in route.allowed:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
        return
    expected = 401 if role == "anonymous" else 403
    assert response.status_code == expected, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == expected and problem["type"] and problem["title"] and problem["detail"]
    if expected == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("route", MATRIX, ids=lambda r: f"{r.method} {r.template}")
def test_a_revoked_or_malformed_token_is_refused_where_keys_count(
    served: tuple[TestClient, Keys], route: Route
) -> None:
    client, keys = served
    for header in (keys.header("revoked"), {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
        response = _call(client, route, header)
        if route.reads_key:
            assert response.status_code == 401, (header, response.text)
        else:
            assert response.status_code == 200, (header, response.text)


def test_the_matrix_covers_every_route(tmp_path: Any) -> None:
    app = create_app(ServiceConfig(ledger=str(tmp_path / "l.sqlite")))
    paths = app.openapi()["paths"]
    served = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    assert served == {(r.method, r.template) for r in MATRIX}


def _docs_matrix() -> dict[tuple[str, str], frozenset[str] | None]:
    text = (ROOT / "docs" / "service.md").read_text(encoding="utf-8")
    section = text.split("## Roles", 1)[1].split("\n## ", 1)[0]
    table: dict[tuple[str, str], frozenset[str] | None] = {}
    for line in section.splitlines():
        match = re.match(r"^\| `(GET|POST|DELETE) ([^`]+)` \|(.*)\|$", line)
        if match is None:
            continue
        cells = [cell.strip() for cell in match.group(3).split("|")]
        assert len(cells) == len(ROLES), line
        admitted = frozenset(role for role, cell in zip(ROLES, cells, strict=True) if cell == "✓")
        table[(match.group(1), match.group(2))] = None if "anonymous" in admitted else admitted
    return table


def test_the_docs_table_is_the_matrix() -> None:
    assert _docs_matrix() == {(r.method, r.template): r.allowed for r in MATRIX}
