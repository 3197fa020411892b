"""``POST /v1/comparisons``: the CLI's comparison over an uploaded population, as JSON or the HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import AS_OF, EXAMPLES, Keys, candidate_document, invoke

POLICIES = ["illustrative-capability@1.0", "eu-ai-act@2024.1"]
CSV = "name,training_flop\nsmall,1e23\nat-eu-line,1e25\nfrontier,3e26\nunknown,\n"


def test_a_csv_population_compares_as_the_cli_does(client: TestClient, keys: Keys, tmp_path: Path) -> None:
    body = {"csv": CSV, "policies": POLICIES, "as_of": AS_OF}
    response = client.post("/v1/comparisons", json=body, headers=keys.header("policymaker"))
    assert response.status_code == 200, response.text
    served = response.json()
    assert len(served["policies"]) == 2 and len(served["models"]) == 4
    population = tmp_path / "population.csv"
    population.write_text(CSV, encoding="utf-8")
    args = ["compare", "--population", str(population), "--as-of", AS_OF, "--format", "json"]
    for policy in POLICIES:
        args += ["--policy", policy]
    cli = invoke(*args)
    assert cli.exit_code == 0, cli.stderr
    expected = json.loads(cli.stdout)
    for part in ("pairs", "policies", "models", "unknown_compute", "as_of"):
        assert served[part] == expected[part], part


def test_candidate_documents_compare_and_the_report_is_html(client: TestClient, keys: Keys) -> None:
    population = [candidate_document(path.name) for path in sorted(EXAMPLES.glob("*.yaml"))]
    body = {"population": population, "policies": POLICIES, "as_of": AS_OF}
    headers = {**keys.header("policymaker"), "Accept": "text/html"}
    response = client.post("/v1/comparisons", json=body, headers=headers)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text[:500].lower()


def test_a_bad_population_is_refused_naming_the_row(client: TestClient, keys: Keys) -> None:
    body = {"csv": "name,training_flop\nok,1e23\nbad,lots\n", "policies": POLICIES, "as_of": AS_OF}
    response = client.post("/v1/comparisons", json=body, headers=keys.header("policymaker"))
    assert response.status_code == 422
    assert "lots" in response.text or "training_flop" in response.text
    both = {"csv": CSV, "population": [{"name": "x"}], "policies": POLICIES}
    assert client.post("/v1/comparisons", json=both, headers=keys.header("policymaker")).status_code == 422


def test_a_sweep_moves_one_threshold_over_the_shipped_population(client: TestClient, keys: Keys) -> None:
    body = {"shipped": "notable-models", "policy": "eu-ai-act@2024.1", "parameter": "systemic_risk_compute"}
    response = client.post("/v1/sweeps", json={**body, "steps": 7, "as_of": AS_OF}, headers=keys.header("policymaker"))
    assert response.status_code == 200, response.text
    sweep = response.json()
    assert sweep["current"] == 1e25 and len(sweep["values"]) == 7
    assert sweep["values"][0] == pytest.approx(1e22) and sweep["values"][-1] == pytest.approx(1e28)
    assert sweep["tiers"]["open"][0] < sweep["tiers"]["open"][-1]  # a higher line leaves more models open
    assert sweep["flips"] and all(f["model"] for f in sweep["flips"])
    unknown = client.post("/v1/sweeps", json={**body, "parameter": "nothing"}, headers=keys.header("policymaker"))
    assert unknown.status_code == 422 and "systemic_risk_compute" in unknown.json()["detail"]
