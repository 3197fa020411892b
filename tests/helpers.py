"""Small builders shared by the tests: policies and candidates from a few keyword arguments."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from governance import Candidate, Policy


def make_policy(rules: list[dict[str, Any]], **extra: Any) -> Policy:
    """A valid policy with the given rules, one source ``s`` and a one-step plan."""
    document: dict[str, Any] = {
        "id": extra.pop("id", "test-policy"),
        "version": extra.pop("version", "1.0"),
        "title": "Test policy",
        "kind": "illustrative",
        "jurisdiction": "none",
        "effective": extra.pop("effective", {"from": "2020-01-01"}),
        "sources": [{"id": "s", "title": "Test source", "section": "§1"}],
        "plan": [{"id": "api", "access": "api", "gate": "no incident for 30 days", "min_days": 30}],
        "rules": [{"rationale": "because", "source": "s", **rule} for rule in rules],
        **extra,
    }
    return Policy.model_validate(document)


def make_candidate(
    flop: Any = 1e24,
    *,
    capabilities: dict[str, Any] | None = None,
    form: str = "api",
    **sections: Any,
) -> Candidate:
    """A candidate with the given compute, capabilities and release form."""
    document: dict[str, Any] = {
        "model": {"name": "Model", "developer": "Lab"},
        "compute": {"training_flop": flop, **sections.pop("compute", {})},
        "capabilities": capabilities or {},
        "release": {"form": form, **sections.pop("release", {})},
        **sections,
    }
    return Candidate.model_validate(document)


COMPUTE_RULES = [
    {
        "id": "over-1e25",
        "tier": "staged",
        "when": {"all": [{"feature": "training_flop", "op": ">=", "value": 1e25}]},
        "labels": ["big"],
    },
    {
        "id": "over-1e26",
        "tier": "restricted",
        "when": {"all": [{"feature": "training_flop", "op": ">", "value": 1e26}]},
        "labels": ["huge"],
    },
    {"id": "bio", "tier": "restricted", "when": {"all": [{"feature": "capability.bio", "op": ">=", "value": 0.8}]}},
]
"""The three-rule policy the reference figures use: compute and one capability."""


ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m governance`` as a user would: a subprocess, its output captured, never raising."""
    return subprocess.run(
        [sys.executable, "-m", "governance", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
        check=False,
    )


def invoke_cli(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in-process (typer's runner) as :func:`governance.cli.main` would: exit code, stdout, stderr.

    A package error ends with its class's exit code and message, as it does in a real process.
    ``cwd`` is the working folder for the run; ``env`` sets variables for it (``None`` unsets one).
    Variables naming a ledger (``GOVERNANCE_LEDGER*``) are unset unless ``env`` gives them, so
    that a run never touches a ledger the developer's shell points at.
    """
    from typer.testing import CliRunner

    from governance.cli import app
    from governance.exceptions import GovernanceError

    argv = [str(a) for a in args]
    environment: dict[str, str | None] = {k: None for k in os.environ if k.startswith("GOVERNANCE_LEDGER")}
    environment.update(env or {})
    with contextlib.chdir(cwd or Path.cwd()):
        result = CliRunner().invoke(app, argv, prog_name="governance", env=environment)
    code, stderr = result.exit_code, result.stderr
    if isinstance(result.exception, GovernanceError):
        code, stderr = result.exception.exit_code, stderr + f"error: {result.exception}\n"
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(["governance", *argv], code, result.stdout, stderr)


@dataclass(frozen=True)
class CliResult:
    """What one in-process run of the CLI printed and how it ended."""

    returncode: int
    stdout: str
    stderr: str


def invoke_main(*args: str | Path, capsys: pytest.CaptureFixture[str]) -> CliResult:
    """Run the CLI in this process, as ``governance ARGS`` would, with pytest's ``capsys`` capturing output."""
    from governance.cli import main

    capsys.readouterr()
    try:
        main([str(arg) for arg in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return CliResult(code, out, err)
