"""Fixtures for service tests: an app on a fresh SQLite ledger, a client, and a key of every role."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from governance import load_candidate
from governance.cli import app as cli
from governance.exceptions import GovernanceError
from governance.service import ServiceConfig, create_app
from tests.ledger.builders import KEY, build_ledger
from tests.ledger.conftest import _pg_schema  # noqa: F401 - the fresh PostgreSQL schema fixture, shared

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "candidates"
AS_OF = "2026-11-28"
LAB_ORG = "Allen Institute for AI"
"""The developer of ``examples/candidates/small-open-model.yaml``: the lab key's organisation."""


@dataclass
class Keys:
    """A token of every role (two labs, for the organisation boundary) and a revoked one."""

    lab: str
    other_lab: str
    auditor: str
    policymaker: str
    admin: str
    revoked: str

    def header(self, role: str | None) -> dict[str, str]:
        """The Authorization header of ``role`` (none for None)."""
        return {} if role is None else {"Authorization": f"Bearer {getattr(self, role)}"}


def candidate_document(name: str = "small-open-model.yaml") -> dict[str, Any]:
    """An example candidate as the JSON a client sends."""
    document: dict[str, Any] = json.loads(json.dumps(load_candidate(EXAMPLES / name).document()))
    return document


@pytest.fixture(name="client")
def _client(tmp_path: Path) -> Iterator[TestClient]:
    """A client of an app serving a new SQLite ledger in ``tmp_path``."""
    app = create_app(ServiceConfig(ledger=str(tmp_path / "ledger.sqlite"), max_body=256 * 1024))
    with TestClient(app) as client:
        yield client


def make_keys(client: TestClient) -> Keys:
    """Create one key of every role (and a revoked one) in the client's service."""
    store = client.app.state.service.keys  # type: ignore[attr-defined]
    revoked = store.create("auditor", "gone")
    store.revoke(revoked.key.key_id)
    return Keys(
        lab=store.create("lab", "release-ci", LAB_ORG).token,
        other_lab=store.create("lab", "rival-ci", "Rival Lab").token,
        auditor=store.create("auditor", "external audit").token,
        policymaker=store.create("policymaker", "staff").token,
        admin=store.create("admin", "ops").token,
        revoked=revoked.token,
    )


@pytest.fixture(name="keys")
def _keys(client: TestClient) -> Keys:
    """One key of every role in the client's service."""
    return make_keys(client)


@pytest.fixture(scope="module", name="log")
def _log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    """A served ledger of 300 entries (checkpoints every 100: 100, 200, 300) and an auditor's token."""
    folder = tmp_path_factory.mktemp("tiles")
    build_ledger(folder / "ledger.sqlite", 300, batch=100).close()
    key_file = folder / "ledger.key"
    KEY.save(key_file)
    app = create_app(ServiceConfig(ledger=str(folder / "ledger.sqlite"), key=key_file))
    with TestClient(app) as client:
        token = app.state.service.keys.create("auditor", "audit").token
        yield client, token


def record(client: TestClient, keys: Keys, *, policies: list[str] | None = None) -> dict[str, Any]:
    """Decide and record the small open model as the lab; return the response document."""
    body = {"candidate": candidate_document(), "as_of": AS_OF, "record": True}
    if policies is not None:
        body["policies"] = policies
    response = client.post("/v1/decisions", json=body, headers=keys.header("lab"))
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


@dataclass
class Run:
    """What a command printed and how it exited, as ``governance.cli.main`` would report it."""

    exit_code: int
    stdout: str
    stderr: str


def invoke(*args: str) -> Run:
    """Run the CLI in-process; a package error becomes its exit code and message, as in ``main``."""
    result = CliRunner().invoke(cli, list(args))
    if isinstance(result.exception, GovernanceError):
        return Run(result.exception.exit_code, result.stdout, result.stderr + f"error: {result.exception}\n")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start ``governance serve ARGS`` on a free port in ``cwd``; wait until it is ready; return it and its URL."""
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")}
    environment["PYTHONPATH"] = str(ROOT)
    environment.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "governance", "serve", "--port", str(port), *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"serve exited {process.returncode}: {process.stderr.read() if process.stderr else ''}"
            )
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("serve did not become ready in 60 s")


def stop_server(process: subprocess.Popen[str]) -> str:
    """Stop a server with SIGTERM; check it shut down cleanly; return what it wrote on stderr."""
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    # uvicorn shuts down gracefully, then re-raises the signal so that the exit status says why it stopped
    assert process.returncode in (0, -signal.SIGTERM), err
    assert "Traceback" not in err, err
    return err
