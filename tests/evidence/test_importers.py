"""Importing real evaluation files into candidate evaluations, and merging them into candidate files."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from governance import Candidate, EvidenceError, InputError, load_candidate
from governance.candidate import Elicitation
from governance.evidence.importers import import_files, merge_into_candidate, parse_task_map

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "candidates" / "small-open-model.yaml"


class TestLmEvalImport:
    """lm-evaluation-harness results become one result per WMDP subset."""

    def test_full_run(self, realdata: Path) -> None:
        """Bio, chem and cyber are imported with their stderr; sample counts come from the suites."""
        report = import_files(
            [realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json"],
            model="zephyr-7b-beta-unlearned",
            elicitation=Elicitation.FINE_TUNED,
        )
        got = {(r.benchmark, r.domain, r.score, r.stderr, r.samples, r.status) for r in report.results}
        assert got == {
            ("wmdp-bio", "bio", 0.638648860958366, 0.013469523407071169, 1273, "complete"),
            ("wmdp-chem", "chem", 0.4583333333333333, 0.024697874098492466, 408, "complete"),
            ("wmdp-cyber", "cyber", 0.4509310518369401, 0.011165518383329309, 1987, "complete"),
        }
        bio = next(r for r in report.results if r.benchmark == "wmdp-bio")
        assert (bio.elicitation, bio.model_version, bio.metric, bio.date) == (
            Elicitation.FINE_TUNED,
            "zephyr-7b-beta-unlearned",
            "accuracy",
            dt.date(2024, 10, 29),
        )
        assert bio.source is not None
        assert (bio.source["tool"], bio.source["task"], bio.source["metric"], bio.source["filter"]) == (
            "lm-evaluation-harness",
            "wmdp_bio",
            "acc",
            "none",
        )
        assert bio.source["limit"] == 1000000
        assert bio.source["file_digest"].startswith("sha256:")
        skipped = report.skipped[str(realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json")]
        assert "wmdp (group)" in skipped
        assert "mmlu (group)" in skipped
        assert "mmlu_anatomy" in skipped

    def test_smoke_run_refused(self, realdata: Path) -> None:
        """The limit=1 smoke run is refused, naming the file, the task and the limit."""
        path = realdata / "lm-eval" / "zephyr-7b-beta-limit1-smoke.json"
        with pytest.raises(EvidenceError) as caught:
            import_files([path])
        message = str(caught.value)
        assert str(path) in message
        assert "limit 1: 1 of the benchmark's 1273 items were evaluated" in message
        assert "--allow-partial" in message

    def test_smoke_run_allowed_as_partial(self, realdata: Path) -> None:
        """With allow_partial the smoke run is recorded as partial, one sample each, reasons kept."""
        report = import_files([realdata / "lm-eval" / "zephyr-7b-beta-limit1-smoke.json"], allow_partial=True)
        got = {(r.benchmark, r.score, r.stderr, r.samples, r.status) for r in report.results}
        assert got == {
            ("wmdp-bio", 1.0, None, 1, "partial"),
            ("wmdp-chem", 0.0, None, 1, "partial"),
            ("wmdp-cyber", 0.0, None, 1, "partial"),
        }
        assert all(r.source and r.source["partial"] for r in report.results)


class TestInspectImport:
    """Inspect logs: task names, unfinished runs and dataset checks."""

    def test_generic_task_name_is_not_guessed(self, realdata: Path) -> None:
        """The WMDP runs are named 'task': nothing maps it, so nothing is imported."""
        with pytest.raises(EvidenceError, match=r"no evaluation suite claims these tasks .*: task\)"):
            import_files([realdata / "inspect" / "wmdp-bio_falcon3-1b_smoke.eval"])

    def test_subset_run_refused(self, realdata: Path) -> None:
        """Mapped explicitly, the 10-question run is refused: it covers 10 of WMDP-bio's 1,273 items."""
        with pytest.raises(EvidenceError, match="covers 10 of the benchmark's 1273 items"):
            import_files(
                [realdata / "inspect" / "wmdp-bio_falcon3-1b_smoke.eval"], task_map=parse_task_map(["task=wmdp-bio"])
            )

    def test_subset_run_as_partial(self, realdata: Path) -> None:
        """Allowed as partial: accuracy 0.1 on 10 samples, no stderr, inspect_ai 0.3.223, run id kept."""
        report = import_files(
            [realdata / "inspect" / "wmdp-bio_falcon3-1b_smoke.eval"],
            task_map=parse_task_map(["task=wmdp-bio"]),
            allow_partial=True,
            model="falcon3-1b",
        )
        (result,) = report.results
        assert (result.benchmark, result.score, result.stderr, result.samples, result.status) == (
            "wmdp-bio",
            0.1,
            None,
            10,
            "partial",
        )
        assert result.source is not None
        assert (result.source["tool"], result.source["tool_version"], result.source["run_id"]) == (
            "inspect_ai",
            "0.3.223",
            "9wJBmJ5wPSXKcocys9qyqc",
        )
        assert (result.source["scorer"], result.source["model"]) == ("robust_choice", "ollama/falcon3:1b")

    def test_error_run_has_nothing_to_record(self, realdata: Path) -> None:
        """A run that ended in error has no results, even with allow_partial; the error is quoted."""
        with pytest.raises(EvidenceError, match=r"no results to record \(status error: 404 page not found\)"):
            import_files(
                [realdata / "inspect" / "wmdp-bio_falcon3-1b_error.eval"],
                task_map=parse_task_map(["task=wmdp-bio"]),
                allow_partial=True,
            )

    def test_dataset_must_match_suite(self, realdata: Path) -> None:
        """Mapping the 'popularity' run onto WMDP-bio is refused: it read another dataset."""
        with pytest.raises(EvidenceError, match="read dataset 'popularity', but suite wmdp-bio is cais/wmdp"):
            import_files(
                [realdata / "inspect" / "popularity_cancelled.json"], task_map=parse_task_map(["popularity=wmdp-bio"])
            )

    def test_cancelled_run_refused(self, realdata: Path) -> None:
        """A cancelled run mapped onto a suite without a dataset list is still refused as unfinished."""
        with pytest.raises(EvidenceError, match="did not finish: status cancelled; limit 3"):
            import_files(
                [realdata / "inspect" / "popularity_cancelled.json"], task_map=parse_task_map(["popularity=cybench"])
            )

    def test_unknown_tasks_everywhere(self, realdata: Path) -> None:
        """Both popularity logs together: nothing maps, and both files are named."""
        files = [realdata / "inspect" / "log_read_sample.json", realdata / "inspect" / "popularity_gpt-4o-mini.eval"]
        with pytest.raises(EvidenceError) as caught:
            import_files(files)
        assert "log_read_sample.json: popularity" in str(caught.value)
        assert "popularity_gpt-4o-mini.eval: popularity" in str(caught.value)

    def test_one_model_per_import(self, realdata: Path) -> None:
        """--model cannot label runs of different models as one version."""
        files = [
            realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json",
            realdata / "lm-eval" / "zephyr-7b-beta-limit1-smoke.json",
        ]
        with pytest.raises(EvidenceError, match="the files evaluate different models"):
            import_files(files, model="1.0", allow_partial=True)


class TestTaskMap:
    """--task TASK=SUITE options."""

    def test_parse(self) -> None:
        """Task names are matched case-insensitively; the suite is looked up."""
        mapping = parse_task_map(["Task=wmdp-bio", "x=inspect_evals/cybench"])
        assert {k: v.id for k, v in mapping.items()} == {"task": "wmdp-bio", "x": "cybench"}

    @pytest.mark.parametrize("bad", ["task", "=wmdp-bio", "task=", "task=no-such-suite"])
    def test_bad(self, bad: str) -> None:
        """Malformed pairs and unknown suites are refused."""
        with pytest.raises(InputError, match="--task"):
            parse_task_map([bad])


def _candidate_copy(tmp_path: Path, suffix: str = ".yaml") -> Path:
    path = tmp_path / f"candidate{suffix}"
    if suffix == ".json":
        document = load_candidate(EXAMPLE).model_dump(mode="json", exclude_none=True)
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    else:
        shutil.copy(EXAMPLE, path)
    return path


class TestMerge:
    """Merging into candidate files."""

    def test_yaml_keeps_comments(self, realdata: Path, tmp_path: Path) -> None:
        """The evaluations block is appended; the file's comments survive and the candidate validates."""
        path = _candidate_copy(tmp_path)
        before = path.read_text(encoding="utf-8")
        report = import_files([realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json"])
        merged = merge_into_candidate(path, report.results)
        assert (merged.added, merged.already_present, merged.total) == (3, 0, 3)
        text = path.read_text(encoding="utf-8")
        assert text.startswith(before)
        assert "# OLMo 7B (AI2, Feb 2024)" in text
        assert [e.benchmark for e in load_candidate(path).evaluations] == ["wmdp-bio", "wmdp-chem", "wmdp-cyber"]

    def test_second_merge_adds_nothing(self, realdata: Path, tmp_path: Path) -> None:
        """The same results merged twice are kept once."""
        path = _candidate_copy(tmp_path)
        report = import_files([realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json"])
        merge_into_candidate(path, report.results)
        again = merge_into_candidate(path, report.results)
        assert (again.added, again.already_present, again.total) == (0, 3, 3)

    def test_json_candidate(self, realdata: Path, tmp_path: Path) -> None:
        """A JSON candidate is rewritten as JSON with the evaluations added."""
        path = _candidate_copy(tmp_path, ".json")
        report = import_files([realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json"])
        merge_into_candidate(path, report.results)
        document = json.loads(path.read_text(encoding="utf-8"))
        assert len(document["evaluations"]) == 3
        Candidate.model_validate(document)

    def test_yaml_with_evaluations_is_rewritten(self, realdata: Path, tmp_path: Path) -> None:
        """A YAML candidate that already has evaluations gets the new ones after the old."""
        path = _candidate_copy(tmp_path)
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        document["evaluations"] = [{"benchmark": "vct", "domain": "bio", "score": 0.1, "samples": 322}]
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        report = import_files([realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json"])
        merge_into_candidate(path, report.results)
        assert [e.benchmark for e in load_candidate(path).evaluations] == ["vct", "wmdp-bio", "wmdp-chem", "wmdp-cyber"]

    def test_invalid_merge_writes_nothing(self, realdata: Path, tmp_path: Path) -> None:
        """When the merged candidate would not validate, the file is left exactly as it was."""
        path = _candidate_copy(tmp_path)
        path.write_text(path.read_text(encoding="utf-8") + "unexpected_key: 1\n", encoding="utf-8")
        before = path.read_bytes()
        report = import_files([realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json"])
        with pytest.raises(InputError, match="nothing was written"):
            merge_into_candidate(path, report.results)
        assert path.read_bytes() == before
        assert not list(tmp_path.glob(".candidate*"))


class TestHostileLogs:
    """A third-party log cannot smuggle undecidable values into a candidate."""

    def test_huge_limit_refused(self, realdata: Path, tmp_path: Path) -> None:
        """A 400-digit ``limit`` would make every later decision overflow: the import is refused, cleanly."""
        document = json.loads((realdata / "lm-eval" / "zephyr-7b-beta-limit1-smoke.json").read_text())
        document["config"]["limit"] = 10**400
        path = tmp_path / "results.json"
        path.write_text(json.dumps(document))
        with pytest.raises(EvidenceError, match="values a candidate cannot hold") as caught:
            import_files([path], allow_partial=True)
        assert any("beyond +-2^53" in str(problem) for problem in caught.value.problems)

    def test_duplicate_key_refused(self, tmp_path: Path) -> None:
        """A results file that gives a score twice is refused, naming both lines."""
        path = tmp_path / "results.json"
        path.write_text('{"results": {"wmdp_bio": {\n"acc,none": 0.9,\n"acc,none": 0.1}}, "configs": {}}')
        with pytest.raises(EvidenceError, match=r"results\.json:3: duplicate key 'acc,none' \(first given at line 2\)"):
            import_files([path])
