"""schemathesis against /openapi.json with every role's key: no 5xx, and every response as documented."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS

from governance import Candidate, decide, load_policy
from governance.ledger.entry import prepare_entry
from governance.service import Service, ServiceConfig, create_app
from tests.service.conftest import LAB_ORG, candidate_document

_FOLDER = Path(tempfile.mkdtemp(prefix="governance-openapi-"))
APP = create_app(ServiceConfig(ledger=str(_FOLDER / "ledger.sqlite"), max_body=256 * 1024))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
ROLES = ("anonymous", "lab", "auditor", "policymaker", "admin")
CHECKED = [
    CHECKS.get_one(name)
    for name in (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    )
]


@pytest.fixture(scope="module", name="tokens")
def _tokens() -> Iterator[dict[str, str]]:
    """A running service behind the app, and a token of every role."""
    service = Service(ServiceConfig(ledger=str(_FOLDER / "ledger.sqlite"), max_body=256 * 1024))
    APP.state.service = service
    candidate = Candidate.model_validate(candidate_document())
    policy = load_policy("illustrative-capability@1.0")
    for _ in range(3):
        decision = decide(candidate, policy, as_of=dt.date(2026, 11, 28))
        service.appender.submit([prepare_entry(candidate, policy, decision, actor="fuzz")])
    keys = service.keys
    tokens = {
        "lab": keys.create("lab", "fuzz", LAB_ORG).token,
        "auditor": keys.create("auditor", "fuzz").token,
        "policymaker": keys.create("policymaker", "fuzz").token,
        "admin": keys.create("admin", "fuzz").token,
    }
    yield tokens
    service.close()
    APP.state.service = None


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_route_answers_as_documented(case: schemathesis.Case, role: str, tokens: dict[str, str]) -> None:
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {tokens[role]}"}
    case.call_and_validate(headers=headers, checks=CHECKED)
