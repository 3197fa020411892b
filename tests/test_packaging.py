"""The built wheel carries the shipped policies, evaluations and examples, and works from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from governance.schemas import SCHEMA_NAMES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", name="wheel")
def _wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel once (hatchling, without network)."""
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"wheel build failed:\n{result.stdout}\n{result.stderr}")
    (wheel,) = out.glob("governance-*.whl")
    return wheel


class TestWheel:
    """A plain install from the wheel finds everything it ships."""

    def test_data_inside(self, wheel: Path) -> None:
        """Policies, evaluation suites, examples and the licence table are in the wheel."""
        names = zipfile.ZipFile(wheel).namelist()
        assert "governance/_data/policies/illustrative-capability/1.0/policy.yaml" in names
        assert any(n.startswith("governance/_data/examples/candidates/") for n in names)
        assert "governance/data/spdx_licences.json" in names
        assert {f"governance/data/schemas/{n}.schema.json" for n in SCHEMA_NAMES} <= set(names)
        assert "governance/py.typed" in names
        for asset in ("index.html", "app.js", "style.css"):  # the service's web interface
            assert f"governance/service/web/{asset}" in names
        assert "governance/_data/examples/populations/notable-models.csv" in names  # POST /v1/comparisons shipped
        shipped = {str(p.relative_to(ROOT / "policies")) for p in (ROOT / "policies").rglob("policy.yaml")}
        packed = {
            n.removeprefix("governance/_data/policies/")
            for n in names
            if n.startswith("governance/_data/policies/") and n.endswith("policy.yaml")
        }
        assert shipped == packed

    def test_runs_from_any_folder(self, wheel: Path, tmp_path: Path) -> None:
        """Installed from the wheel alone, the CLI lists the shipped policies and runs the demo elsewhere."""
        target = tmp_path / "site"
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
            check=True,
            timeout=300,
        )
        env = {**os.environ, "PYTHONPATH": str(target)}
        env.pop("GOVERNANCE_POLICY_PATH", None)
        work = tmp_path / "elsewhere"
        work.mkdir()
        listed = subprocess.run(
            [sys.executable, "-m", "governance", "policy", "list", "--format", "json"],
            capture_output=True,
            text=True,
            cwd=work,
            env=env,
            timeout=120,
            check=False,
        )
        assert listed.returncode == 0, listed.stderr
        assert "illustrative-capability" in listed.stdout
        demo = subprocess.run(
            [sys.executable, "-c", "import governance, sys; print(governance.__file__)"],
            capture_output=True,
            text=True,
            cwd=work,
            env=env,
            timeout=120,
            check=False,
        )
        assert demo.stdout.strip().startswith(str(target))
