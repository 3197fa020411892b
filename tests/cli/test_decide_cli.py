"""The CLI as a user runs it: output and exit code, in this process (tests/test_packaging.py runs a real one)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import invoke_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "candidates"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process with the arguments, in ``cwd``."""
    return invoke_cli(*args, cwd=cwd)


class TestDecide:
    """governance decide prints decisions and exits 0."""

    def test_table(self) -> None:
        """The default output is a readable panel with the tier, reasons and margins."""
        result = run(
            "decide",
            str(EXAMPLES / "frontier-closed-model.yaml"),
            "--policy",
            "illustrative-capability",
            "--as-of",
            "2026-11-28",
        )
        assert result.returncode == 0, result.stderr
        assert "tier: staged" in result.stdout
        assert "frontier-compute" in result.stdout
        assert "cbrn-elevated" in result.stdout
        assert result.stderr == ""

    def test_currency_note(self) -> None:
        """A decision under a version whose successor is reported but unread says so beside the tier."""
        candidate = ROOT / "tests" / "cases" / "candidates" / "frontier-2e26.yaml"
        result = run("decide", str(candidate), "--policy", "meta-frontier-ai", "--as-of", "2026-06-01")
        assert result.returncode == 0, result.stderr
        assert "NOTE: meta-frontier-ai@1.0-r3: currency unconfirmed after 2026-04-08" in result.stdout
        assert "NOT IN FORCE" not in result.stdout

    def test_json(self) -> None:
        """--format json prints an array of decision documents."""
        result = run(
            "decide",
            str(EXAMPLES / "missing-evidence.yaml"),
            str(EXAMPLES / "small-open-model.yaml"),
            "-p",
            "illustrative-capability@1.0",
            "--as-of",
            "2026-11-28",
            "--format",
            "json",
        )
        assert result.returncode == 0, result.stderr
        documents = json.loads(result.stdout)
        assert [d["tier"] for d in documents] == ["restricted", "open"]
        assert documents[0]["policy"]["id"] == "illustrative-capability"
        assert {m["feature"] for m in documents[0]["missing_evidence"]} >= {"capability.cyber", "capability.autonomy"}

    def test_json_is_deterministic(self) -> None:
        """Two runs print identical bytes."""
        args = (
            "decide",
            str(EXAMPLES / "just-under-threshold.yaml"),
            "-p",
            "illustrative-capability",
            "--as-of",
            "2026-11-28",
            "-f",
            "json",
        )
        assert run(*args).stdout == run(*args).stdout

    def test_evaluators_agree(self) -> None:
        """The python evaluator prints the same documents as durable_rules."""
        args = (
            "decide",
            str(EXAMPLES / "frontier-closed-model.yaml"),
            "-p",
            "illustrative-capability",
            "--as-of",
            "2026-11-28",
            "-f",
            "json",
        )
        assert run(*args).stdout == run(*args, "--evaluator", "python").stdout

    def test_runs_from_any_folder(self, tmp_path: Path) -> None:
        """Shipped policies are found wherever the command runs."""
        result = run(
            "decide",
            str(EXAMPLES / "small-open-model.yaml"),
            "-p",
            "illustrative-capability",
            "-f",
            "json",
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr


class TestErrors:
    """User mistakes give one clear line on stderr and a documented exit code, never a traceback."""

    def test_invalid_candidate_exit_2(self, tmp_path: Path) -> None:
        """A candidate with a bad field exits 2 naming the file, line and field."""
        path = tmp_path / "bad.yaml"
        path.write_text("model: {name: M, developer: L}\ncompute:\n  training_flop: -1\nrelease: {form: api}\n")
        result = run("decide", str(path), "-p", "illustrative-capability")
        assert result.returncode == 2
        assert f"{path}:3" in result.stderr
        assert "compute.training_flop" in result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout == ""

    def test_missing_candidate_exit_2(self) -> None:
        """A candidate file that does not exist exits 2."""
        result = run("decide", "no-such-file.yaml", "-p", "illustrative-capability")
        assert result.returncode == 2
        assert "no such file" in result.stderr

    def test_unknown_policy_exit_3(self) -> None:
        """An unknown policy exits 3 and lists the known ones."""
        result = run("decide", str(EXAMPLES / "small-open-model.yaml"), "-p", "nonexistent")
        assert result.returncode == 3
        assert "known policies" in result.stderr
        assert "Traceback" not in result.stderr

    def test_bad_date_exit_2(self) -> None:
        """A malformed --as-of exits 2 and says what was expected."""
        result = run(
            "decide", str(EXAMPLES / "small-open-model.yaml"), "-p", "illustrative-capability", "--as-of", "28/11/2026"
        )
        assert result.returncode == 2
        assert "YYYY-MM-DD" in result.stderr

    def test_usage_error_exit_2(self) -> None:
        """An unknown option is a usage error."""
        assert run("decide", "--bogus").returncode == 2


class TestPolicyCommands:
    """governance policy list, show and check."""

    def test_list_json(self) -> None:
        """list --format json gives id, version, digest, kind and title per policy version."""
        result = run("policy", "list", "--format", "json")
        assert result.returncode == 0, result.stderr
        entries = json.loads(result.stdout)
        entry = next(e for e in entries if e["id"] == "illustrative-capability" and e["version"] == "1.0")
        assert entry["digest"].startswith("sha256:")
        assert entry["kind"] == "illustrative"
        assert entry["title"]

    def test_show_cites_sources(self) -> None:
        """show prints each rule with the source it cites."""
        result = run("policy", "show", "illustrative-capability@1.0")
        assert result.returncode == 0, result.stderr
        assert "frontier-compute" in result.stdout
        assert "Algorithmic progress" in result.stdout

    def test_check_ok(self) -> None:
        """check passes a sound bundle and prints its digest."""
        result = run("policy", "check", str(ROOT / "policies" / "illustrative-capability" / "1.0"))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "sha256:" in result.stdout

    def test_check_reports_every_problem(self, tmp_path: Path) -> None:
        """check lists each problem with file and line and exits 3."""
        source = (ROOT / "policies" / "illustrative-capability" / "1.0" / "policy.yaml").read_text()
        broken = source.replace(
            'feature: capability.cyber, op: ">=", param: elevated}',
            'feature: capability.cyber, op: "<", param: elevated}',
            1,
        )
        broken = broken.replace("tier: restricted", "tier: forbidden", 1)
        folder = tmp_path / "illustrative-capability" / "1.0"
        folder.mkdir(parents=True)
        (folder / "policy.yaml").write_text(broken)
        result = run("policy", "check", str(folder))
        assert result.returncode == 3
        assert "FAIL" in result.stdout
        assert "policy.yaml:" in result.stdout
        assert "tier" in result.stdout


class TestDemo:
    """governance demo runs the shipped examples with no set-up."""

    @pytest.mark.parametrize("output", ["table", "json"])
    def test_demo(self, tmp_path: Path, output: str) -> None:
        """Every shipped example is decided under every shipped policy."""
        result = run("demo", "--as-of", "2026-11-28", "--format", output, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "OLMo 7B" in result.stdout


class TestStreamedOutput:
    """decide writes each decision as it is made; the bytes are those of the whole list printed at once."""

    def test_json_is_the_list_of_documents_as_json_dumps_writes_it(self, tmp_path: Path) -> None:
        import datetime as dt

        import yaml

        from governance import decide, load_candidate, resolve_policies

        files = []
        for index, (flop, bio) in enumerate([(1e-05, 1e-05), (2e25, 0.81), (None, 5e-05), (1e16, 0.5)]):
            document = {
                "model": {"name": f"streamed \u00e9 {index}", "developer": "Lab"},
                "compute": {"training_flop": flop},
                "capabilities": {"bio": bio},
                "release": {"form": "open_weights"},
            }
            path = tmp_path / f"c{index}.yaml"
            path.write_text(yaml.safe_dump(document), encoding="utf-8")
            files.append(path)
        policies = ["eu-ai-act", "illustrative-capability"]
        result = invoke_cli("decide", *files, "--policy", policies[0], "--policy", policies[1], "--as-of",
                            "2026-01-01", "--format", "json")  # fmt: skip
        assert result.returncode == 0, result.stderr
        day = dt.date(2026, 1, 1)
        documents = []
        for path in files:
            candidate = load_candidate(path)
            for policy in resolve_policies(policies, as_of=day, candidate=candidate):
                documents.append(decide(candidate, policy, as_of=day).document())
        assert len(documents) == 8
        assert result.stdout == json.dumps(documents, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
