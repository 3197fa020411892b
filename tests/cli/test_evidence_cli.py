"""``governance evidence import | suites`` and ``governance openness`` as a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import invoke_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "candidates" / "small-open-model.yaml"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process with the arguments."""
    return invoke_cli(*args)


class TestImport:
    """governance evidence import."""

    def test_yaml_block(self, realdata: Path) -> None:
        """An lm-evaluation-harness file becomes an evaluations block; skipped tasks are noted on stderr."""
        result = run(
            "evidence",
            "import",
            realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json",
            "--model",
            "1.0",
            "--elicitation",
            "fine_tuned",
        )
        assert result.returncode == 0, result.stderr
        block = yaml.safe_load(result.stdout)
        assert [(e["benchmark"], e["score"], e["samples"]) for e in block["evaluations"]] == [
            ("wmdp-bio", 0.638648860958366, 1273),
            ("wmdp-chem", 0.4583333333333333, 408),
            ("wmdp-cyber", 0.4509310518369401, 1987),
        ]
        assert {e["elicitation"] for e in block["evaluations"]} == {"fine_tuned"}
        assert {e["model_version"] for e in block["evaluations"]} == {"1.0"}
        assert "skipped 63 task(s) no suite claims: mmlu (group)" in result.stderr

    def test_json_block(self, realdata: Path) -> None:
        """--format json prints the same block as JSON."""
        result = run("evidence", "import", realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json", "--format", "json")
        assert result.returncode == 0, result.stderr
        assert len(json.loads(result.stdout)["evaluations"]) == 3

    def test_partial_refused(self, realdata: Path) -> None:
        """A limit=1 smoke run exits 2 with the reason and prints nothing."""
        result = run("evidence", "import", realdata / "lm-eval" / "zephyr-7b-beta-limit1-smoke.json")
        assert result.returncode == 2
        assert result.stdout == ""
        assert "did not finish: limit 1" in result.stderr
        assert "Traceback" not in result.stderr

    def test_partial_allowed(self, realdata: Path) -> None:
        """--allow-partial records the smoke run as partial."""
        result = run(
            "evidence",
            "import",
            realdata / "lm-eval" / "zephyr-7b-beta-limit1-smoke.json",
            "--allow-partial",
            "--format",
            "json",
        )
        assert result.returncode == 0, result.stderr
        assert {e["status"] for e in json.loads(result.stdout)["evaluations"]} == {"partial"}
        assert "recorded as partial" in result.stderr

    def test_zstd_eval_with_task_map(self, realdata: Path) -> None:
        """A zstd .eval with the generic task name 'task' imports once mapped, as partial (10 of 1,273)."""
        result = run(
            "evidence",
            "import",
            realdata / "inspect" / "wmdp-bio_falcon3-1b_smoke.eval",
            "--task",
            "task=wmdp-bio",
            "--allow-partial",
            "--format",
            "json",
        )
        assert result.returncode == 0, result.stderr
        (entry,) = json.loads(result.stdout)["evaluations"]
        assert (entry["benchmark"], entry["score"], entry["samples"], entry["status"]) == (
            "wmdp-bio",
            0.1,
            10,
            "partial",
        )
        assert entry["source"]["tool_version"] == "0.3.223"

    def test_unknown_task(self, realdata: Path) -> None:
        """A task no suite claims exits 2 and says how to map it."""
        result = run("evidence", "import", realdata / "inspect" / "log_read_sample.json")
        assert result.returncode == 2
        assert "no evaluation suite claims these tasks" in result.stderr
        assert "--task TASK=SUITE" in result.stderr

    def test_error_run(self, realdata: Path) -> None:
        """A run that ended in error exits 2 quoting its error."""
        result = run(
            "evidence", "import", realdata / "inspect" / "wmdp-bio_falcon3-1b_error.eval", "--task", "task=wmdp-bio"
        )
        assert result.returncode == 2
        assert "status error: 404 page not found" in result.stderr


class TestMerge:
    """--into merges into a candidate file, or leaves it untouched on any error."""

    def _copy(self, tmp_path: Path) -> Path:
        path = tmp_path / "candidate.yaml"
        shutil.copy(EXAMPLE, path)
        return path

    def test_merge_and_decide(self, realdata: Path, tmp_path: Path) -> None:
        """Import, then decide: the decision links bio back to the lm-evaluation-harness run."""
        path = self._copy(tmp_path)
        merged = run(
            "evidence",
            "import",
            realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json",
            "--into",
            path,
            "--model",
            "1.0",
            "--elicitation",
            "fine_tuned",
        )
        assert merged.returncode == 0, merged.stderr
        assert "merged 3 result(s)" in merged.stdout
        decided = run(
            "decide", path, "--policy", "illustrative-capability@1.0", "--as-of", "2026-11-28", "--format", "json"
        )
        assert decided.returncode == 0, decided.stderr
        (decision,) = json.loads(decided.stdout)
        chosen = decision["evidence"]["bio"]["chosen"]
        assert chosen["source"]["task"] == "wmdp_bio"
        assert chosen["source"]["tool"] == "lm-evaluation-harness"
        assert decision["evidence"]["bio"]["used"] == "evidence"  # 0.64 on WMDP-bio is above the declared 0.12
        assert decision["tier"] == "restricted"

    def test_merge_twice(self, realdata: Path, tmp_path: Path) -> None:
        """Merging the same file again adds nothing."""
        path = self._copy(tmp_path)
        source = realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json"
        assert run("evidence", "import", source, "--into", path).returncode == 0
        again = run("evidence", "import", source, "--into", path)
        assert again.returncode == 0, again.stderr
        assert "merged 0 result(s)" in again.stdout
        assert "3 already present" in again.stdout

    @pytest.mark.parametrize("damage", ["truncate", "garbage"])
    def test_malformed_file_merges_nothing(self, realdata: Path, tmp_path: Path, damage: str) -> None:
        """A truncated or garbled log beside a good one: exit 2, the file is named, the candidate unchanged."""
        path = self._copy(tmp_path)
        before = path.read_bytes()
        good = realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json"
        bad = tmp_path / "broken.eval"
        data = (realdata / "inspect" / "popularity_gpt-4o-mini.eval").read_bytes()
        bad.write_bytes(data[: len(data) // 3] if damage == "truncate" else b"not a zip archive at all")
        result = run("evidence", "import", good, bad, "--into", path)
        assert result.returncode == 2
        assert "broken.eval" in result.stderr
        assert "not a readable ZIP archive" in result.stderr
        assert path.read_bytes() == before

    def test_truncated_json_merges_nothing(self, realdata: Path, tmp_path: Path) -> None:
        """A truncated lm-evaluation-harness file: exit 2, invalid JSON named, candidate unchanged."""
        path = self._copy(tmp_path)
        before = path.read_bytes()
        data = (realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json").read_bytes()
        bad = tmp_path / "results.json"
        bad.write_bytes(data[:5000])
        result = run("evidence", "import", bad, "--into", path)
        assert result.returncode == 2
        assert "results.json" in result.stderr
        assert "not valid JSON" in result.stderr
        assert path.read_bytes() == before

    def test_invalid_target(self, realdata: Path, tmp_path: Path) -> None:
        """An invalid candidate file is refused before any log is read."""
        path = tmp_path / "candidate.yaml"
        path.write_text("model: {name: x}\n", encoding="utf-8")
        result = run("evidence", "import", realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json", "--into", path)
        assert result.returncode == 2
        assert "candidate.yaml" in result.stderr
        assert path.read_text(encoding="utf-8") == "model: {name: x}\n"


class TestSuites:
    """governance evidence suites."""

    def test_json(self) -> None:
        """Every suite is listed with its normalisation."""
        result = run("evidence", "suites", "--format", "json")
        assert result.returncode == 0, result.stderr
        suites = {s["id"]: s for s in json.loads(result.stdout)}
        assert suites["wmdp-bio"]["normalisation"]["floor"] == 0.25
        assert suites["task-time-horizon"]["normalisation"]["kind"] == "log"

    def test_table(self) -> None:
        """The table names suites, domains and mappings."""
        result = run("evidence", "suites")
        assert result.returncode == 0, result.stderr
        assert "wmdp-bio@1.0" in result.stdout
        assert "linear 0.25 -> 1 (illustrative)" in result.stdout


class TestOpenness:
    """governance openness."""

    def test_mot_record_text(self, realdata: Path) -> None:
        """DeepSeek-R1: unclassified, 83% towards Class III, data card missing, OSAID not met."""
        result = run("openness", realdata / "openness" / "models" / "DeepSeek-R1.yml")
        assert result.returncode == 0, result.stderr
        assert "DeepSeek-R1: Unclassified (class 0)" in result.stdout
        assert "83%" in result.stdout
        assert "Data card" in result.stdout
        assert "OSI Open Source AI Definition: does not meet" in result.stdout
        assert "arXiv.org perpetual non-exclusive license 1.0" in result.stdout

    def test_mot_record_json(self, realdata: Path) -> None:
        """OLMo-7B as JSON: Class I, 100% everywhere, OSAID met."""
        result = run("openness", realdata / "openness" / "models" / "OLMo-7B.yml", "--format", "json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert (report["mof"]["class"], report["mof"]["label"]) == (1, "Class I - Open Science Model")
        assert report["mof"]["progress"] == {"1": 100, "2": 100, "3": 100}
        assert report["osaid"]["meets"] is True

    def test_candidate(self) -> None:
        """A candidate file's release block is classified, with the EU licence verdict."""
        result = run("openness", EXAMPLE, "--format", "json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["eu_foss_licence"] is True
        assert report["mof"]["missing"]["3"] == ["Evaluation results"]

    def test_not_a_record(self, tmp_path: Path) -> None:
        """A file that is neither kind exits 2 and says what was expected."""
        path = tmp_path / "other.yaml"
        path.write_text("hello: world\n", encoding="utf-8")
        result = run("openness", path)
        assert result.returncode == 2
        assert "neither a Model Openness Tool record" in result.stderr

    def test_bad_record(self, tmp_path: Path) -> None:
        """An invalid record exits 2 with its file and line."""
        path = tmp_path / "bad.yml"
        path.write_text(
            "framework: {name: Model Openness Framework, version: '1.0', date: '2024-12-15'}\n"
            "release: {name: X, producer: Y, license: {}, components: [{name: Weights}]}\n",
            encoding="utf-8",
        )
        result = run("openness", path)
        assert result.returncode == 2
        assert "bad.yml:2" in result.stderr
        assert "unknown MOF component 'Weights'" in result.stderr
