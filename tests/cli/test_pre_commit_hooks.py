"""The pre-commit hooks the repository offers: their entry commands pass good files and fail bad ones."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import invoke_cli

ROOT = Path(__file__).resolve().parents[2]
HOOKS: dict[str, dict[str, Any]] = {
    hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
}
GOOD_POLICY = ROOT / "policies" / "illustrative-capability" / "1.0" / "policy.yaml"
GOOD_CANDIDATE = ROOT / "examples" / "candidates" / "frontier-closed-model.yaml"


def run_hook(hook_id: str, *files: Path) -> subprocess.CompletedProcess[str]:
    """Run a hook's entry as pre-commit does: the entry's words, then the file names."""
    words = shlex.split(HOOKS[hook_id]["entry"])
    assert words[0] == "governance"
    return invoke_cli(*words[1:], *files)


def _bad_policy(tmp_path: Path) -> Path:
    """A copy of a shipped policy whose one tier-raising rule tests an upper bound (not monotone)."""
    document = yaml.safe_load(GOOD_POLICY.read_text(encoding="utf-8"))
    document["rules"][0]["when"] = {"all": [{"feature": "training_flop", "op": "<", "value": 1.0e25}]}
    folder = tmp_path / "mine" / document["id"] / document["version"]
    folder.mkdir(parents=True)
    (folder / "policy.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return folder / "policy.yaml"


class TestHookFile:
    """.pre-commit-hooks.yaml is well formed."""

    def test_offers_both_hooks(self) -> None:
        """Both hooks are declared with the fields pre-commit requires."""
        assert set(HOOKS) == {"governance-policy-check", "governance-candidate-check"}
        for hook in HOOKS.values():
            assert {"id", "name", "entry", "language"} <= set(hook)
            assert hook["language"] == "python"

    @pytest.mark.parametrize(
        ("hook_id", "path", "matches"),
        [
            ("governance-policy-check", "policies/eu-ai-act/2024.1/policy.yaml", True),
            ("governance-policy-check", "policies/released.json", False),
            ("governance-policy-check", "examples/candidates/a.yaml", False),
            ("governance-candidate-check", "examples/candidates/a.yaml", True),
            ("governance-candidate-check", "release/gpt.candidate.json", True),
            ("governance-candidate-check", "policies/eu-ai-act/2024.1/policy.yaml", False),
            ("governance-candidate-check", "examples/populations/notable-models.csv", False),
        ],
    )
    def test_files_pattern(self, hook_id: str, path: str, matches: bool) -> None:
        """Each hook's `files` pattern picks its own kind of file (pre-commit uses re.search)."""
        assert bool(re.search(HOOKS[hook_id]["files"], path)) is matches


class TestPolicyHook:
    """governance-policy-check."""

    def test_passes_shipped_policies(self) -> None:
        """Every shipped bundle passes, one line each."""
        files = sorted((ROOT / "policies").rglob("policy.yaml"))
        result = run_hook("governance-policy-check", *files)
        assert result.returncode == 0, result.stdout
        assert result.stdout.count("ok") == len(files)

    def test_fails_a_bad_policy(self, tmp_path: Path) -> None:
        """A non-monotone rule fails the hook with exit 3, naming the file; good files beside it still pass."""
        bad = _bad_policy(tmp_path)
        result = run_hook("governance-policy-check", GOOD_POLICY, bad)
        assert result.returncode == 3
        assert f"FAIL {bad}" in result.stdout.replace("\n", "")
        assert "ok" in result.stdout

    def test_fails_an_edited_released_version(self, tmp_path: Path) -> None:
        """Changing a released version in place (its digest no longer matches released.json) fails."""
        root = tmp_path / "policies"
        shutil.copytree(ROOT / "policies", root)
        target = root / "illustrative-capability" / "1.0" / "policy.yaml"
        target.write_text(target.read_text(encoding="utf-8").replace("rationale:", "rationale: Edited.", 1))
        result = run_hook("governance-policy-check", target)
        assert result.returncode == 3
        assert "a released version never changes" in result.stdout.replace("\n", " ")


class TestCandidateHook:
    """governance-candidate-check."""

    def test_passes_examples(self) -> None:
        """The example candidates pass."""
        files = sorted((ROOT / "examples" / "candidates").glob("*.yaml"))
        result = run_hook("governance-candidate-check", *files)
        assert result.returncode == 0, result.stdout
        assert result.stdout.count("ok") == len(files)

    def test_fails_a_bad_candidate(self, tmp_path: Path) -> None:
        """A misspelt key and an out-of-range score fail with exit 2, each at its line and field."""
        bad = tmp_path / "candidates" / "typo.yaml"
        bad.parent.mkdir()
        bad.write_text(
            "model: {name: M, developer: D}\ncompute: {training_flop: 1.0e+24}\n"
            "capabilities: {bio: 1.5}\nrelease: {form: api, licence: MIT}\n",
            encoding="utf-8",
        )
        result = run_hook("governance-candidate-check", GOOD_CANDIDATE, bad)
        assert result.returncode == 2
        assert f"{bad}:3: capabilities.bio" in result.stdout
        assert f"{bad}:4: release.licence: unknown key" in result.stdout

    def test_refuses_a_missing_file(self, tmp_path: Path) -> None:
        """A file that does not exist fails the hook rather than passing silently."""
        result = run_hook("governance-candidate-check", tmp_path / "gone.yaml")
        assert result.returncode == 2
        assert "no such file" in result.stdout


def test_entry_runs_as_an_installed_command() -> None:
    """The hooks' entry is the installed `governance` script, as pre-commit will call it."""
    script = Path(sys.executable).parent / "governance"
    if not script.is_file():
        pytest.skip("the governance console script is not installed beside this interpreter")
    words = shlex.split(HOOKS["governance-candidate-check"]["entry"])
    result = subprocess.run(
        [str(script), *words[1:], str(GOOD_CANDIDATE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout
