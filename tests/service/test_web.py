"""The web interface in a real headless Chromium: it loads offline, the sweep updates, proofs check in the browser."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import AS_OF, candidate_document, invoke, start_server, stop_server

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium package is not installed (.ci/run installs it)"
)
COMPARE = "policies=illustrative-capability@1.0,eu-ai-act@2024.1&as_of=" + AS_OF
SWEEP = "eu-ai-act@2024.1:systemic_risk_compute"
Served = tuple[str, dict[str, str], Path]
"""The service's URL, a token per role, its folder."""


def test_the_page_and_its_assets_are_served_from_the_package(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for name in ("app.js", "style.css"):
        asset = client.get(f"/web/{name}")
        assert asset.status_code == 200, name
        assert not re.search(r"https?://", asset.text), f"{name} refers to another origin"
    assert not re.search(r"(src|href)=\"https?://", page.text)
    assert client.get("/web/../apikeys.py").status_code == 404
    assert client.get("/web/secret.key").status_code == 404


@pytest.fixture(scope="module", name="served")
def _served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A real service with two recorded entries, and a token of each role."""
    folder = tmp_path_factory.mktemp("web")
    ledger = str(folder / "governance-ledger.sqlite")
    tokens = {
        role: invoke("keys", "create", "--role", role, "--name", role, *org, "--ledger", ledger).stdout.strip()
        for role, org in (("lab", ["--org", "Allen Institute for AI"]), ("auditor", []), ("policymaker", []))
    }
    process, base = start_server([], cwd=folder)
    try:
        body = {"candidate": candidate_document(), "policies": ["illustrative-capability@1.0"], "record": True}
        lab = {"Authorization": f"Bearer {tokens['lab']}"}
        for _ in range(2):
            response = httpx.post(base + "/v1/decisions", json=body, headers=lab)
            assert response.status_code == 200, response.text
        yield base, tokens, folder
    finally:
        stop_server(process)


def _open(base: str, fragment: str, profile: Path) -> dict[str, str]:
    """Open the page in headless Chromium; the <body> attributes its script set, and the page text."""
    assert CHROMIUM is not None
    args = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
        "--disable-background-networking", "--disable-component-update", f"--user-data-dir={profile}",
        "--virtual-time-budget=20000", "--dump-dom", f"{base}/#{fragment}",
    ]  # fmt: skip
    result = subprocess.run(args, capture_output=True, text=True, timeout=180, check=False)
    body = re.search(r"<body[^>]*>", result.stdout)
    assert body is not None, result.stderr[-2000:]
    attributes = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(0)))
    attributes["text"] = re.sub(r"<[^>]+>", " ", result.stdout)
    return attributes


@needs_chromium
def test_the_threshold_sweep_updates_which_models_flip(served: Served, tmp_path: Path) -> None:
    base, tokens, _ = served
    seen = {}
    for step in (10, 20, 30):  # 41 steps over 1000x either side of 1e25: step 20 is the current value
        fragment = f"token={tokens['policymaker']}&view=compare&{COMPARE}&sweep={SWEEP}&step={step}"
        page = _open(base, fragment, tmp_path / f"profile-{step}")
        assert page["status"] == "ready", page.get("error")
        assert page["models"] == "27" and int(page["disagreements"]) > 0
        seen[step] = (int(page["sweep-flipped"]), int(page["sweep-open"]))
    assert seen[20][0] == 0  # at the policy's own value, nothing flips
    assert seen[10][0] > 0 and seen[30][0] > 0
    assert seen[10][1] < seen[20][1] < seen[30][1]  # a lower compute line leaves fewer models open


@needs_chromium
def test_an_inclusion_proof_checks_in_the_browser_and_a_tampered_one_fails(served: Served, tmp_path: Path) -> None:
    base, tokens, _ = served
    page = _open(base, f"token={tokens['auditor']}&view=audit&check=1", tmp_path / "audit")
    assert (page["status"], page["entries"], page["proof"]) == ("ready", "2", "ok")
    assert "Verified in this browser" in page["text"]
    auditor = {"Authorization": f"Bearer {tokens['auditor']}"}
    proof = httpx.get(base + "/v1/proofs/inclusion?seq=1", headers=auditor).json()

    def encoded(document: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")

    assert _open(base, "view=audit&verify=" + encoded(proof), tmp_path / "good")["proof"] == "ok"
    tampered = json.loads(json.dumps(proof))
    tampered["entry"]["decision"]["tier"] = "restricted"
    failed = _open(base, "view=audit&verify=" + encoded(tampered), tmp_path / "tampered")
    assert failed["proof"] == "failed" and "it was altered" in failed["text"]


@needs_chromium
def test_a_key_without_the_role_sees_the_refusal(served: Served, tmp_path: Path) -> None:
    base, tokens, _ = served
    page = _open(base, f"token={tokens['lab']}&view=compare&{COMPARE}", tmp_path / "lab")
    assert page["status"] == "error" and page["error"].startswith("403")
