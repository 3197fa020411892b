"""The readers on every real evaluation file: each expected value was read off the file by hand."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from governance import EvidenceError
from governance.evidence.runs import INSPECT, LM_EVAL, Run, detect_format, read_runs


def _one(path: Path) -> Run:
    runs = read_runs(path)
    assert len(runs) == 1
    return runs[0]


def _task(runs: list[Run], task: str) -> Run:
    return next(run for run in runs if run.task == task)


class TestInspectJson:
    """Inspect ``.json`` logs."""

    def test_log_read_sample(self, realdata: Path) -> None:
        """A complete one-sample run of 'popularity' on ollama/gemma3, limited to 1 of 100 samples."""
        path = realdata / "inspect" / "log_read_sample.json"
        run = _one(path)
        assert (run.tool, run.tool_version) == (INSPECT, "0.3.95.dev16+g6527d0861")
        assert (run.task, run.model, run.run_id) == ("popularity", "ollama/gemma3", "XmHATth6rmyTfFuHGKdQRd")
        assert run.created == "2025-07-05T09:59:40-04:00"
        assert run.date == dt.date(2025, 7, 5)
        assert [(s.metric, s.value, s.stderr, s.samples, s.variant) for s in run.scores] == [
            ("accuracy", 1.0, 0.0, 1, "match")
        ]
        assert run.limit == 1
        assert run.unfinished == ["limit 1: a smoke or subset run (1 of 100 samples)"]
        assert run.digest == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()

    def test_cancelled(self, realdata: Path) -> None:
        """A cancelled run (limit 3): accuracy 2/3, stderr 1/3; created 20:28 at UTC-4, so 13 May in UTC."""
        run = _one(realdata / "inspect" / "popularity_cancelled.json")
        assert run.run_id == "7KyCuAQSqp76qKQZEKmG6M"
        assert run.scores[0].value == pytest.approx(2 / 3)
        assert run.scores[0].stderr == pytest.approx(1 / 3)
        assert run.scores[0].samples == 3
        assert run.date == dt.date(2025, 5, 13)
        assert run.unfinished == ["status cancelled", "limit 3: a smoke or subset run (3 of 100 samples)"]


class TestInspectEval:
    """Inspect ``.eval`` archives, DEFLATE and zstd."""

    def test_deflate(self, realdata: Path) -> None:
        """gpt-4o-mini on 'popularity' (limit 10): accuracy 0.8, stderr 0.1333; members are DEFLATE."""
        path = realdata / "inspect" / "popularity_gpt-4o-mini.eval"
        with zipfile.ZipFile(path) as archive:
            assert archive.getinfo("header.json").compress_type == zipfile.ZIP_DEFLATED
        run = _one(path)
        assert (run.model, run.run_id, run.tool_version) == (
            "openai/gpt-4o-mini",
            "2wRuCQ9hGYaGPyAdoobgYV",
            "0.3.58.dev16+g6a87748b",
        )
        assert [(s.metric, s.value, s.samples) for s in run.scores] == [("accuracy", 0.8, 10)]
        assert run.scores[0].stderr == pytest.approx(0.13333333333333333)
        assert run.date == dt.date(2025, 2, 11)
        assert run.extra["total_samples"] == run.extra["completed_samples"] == 10

    def test_zstd_smoke(self, realdata: Path) -> None:
        """falcon3:1b on WMDP-bio, 10 questions: zstd members (method 93), accuracy 0.1, no stderr."""
        path = realdata / "inspect" / "wmdp-bio_falcon3-1b_smoke.eval"
        with zipfile.ZipFile(path) as archive:
            assert archive.getinfo("header.json").compress_type == 93
        run = _one(path)
        assert (run.task, run.model, run.dataset) == ("task", "ollama/falcon3:1b", "cais/wmdp")
        assert (run.tool_version, run.run_id) == ("0.3.223", "9wJBmJ5wPSXKcocys9qyqc")
        assert [(s.metric, s.value, s.stderr, s.samples, s.variant) for s in run.scores] == [
            ("accuracy", 0.1, None, 10, "robust_choice")
        ]
        assert run.distinct_samples == 10
        assert run.unfinished == []  # finished; only the suite knows WMDP-bio has 1,273 items
        assert run.date == dt.date(2026, 6, 2)

    def test_zstd_error(self, realdata: Path) -> None:
        """A run that ended in error with results null: no scores, the error message kept."""
        run = _one(realdata / "inspect" / "wmdp-bio_falcon3-1b_error.eval")
        assert run.run_id == "ZfcPX3xVWViZcA7MCPCCSA"
        assert run.scores == []
        assert run.extra["no_results"] is True
        assert run.unfinished == ["status error: 404 page not found"]


class TestLmEval:
    """lm-evaluation-harness results files (older layout, no n-samples)."""

    def test_full_run(self, realdata: Path) -> None:
        """WMDP bio/chem/cyber with accuracy and stderr; the model name; the unix date; limit 1,000,000."""
        runs = read_runs(realdata / "lm-eval" / "zephyr-7b-beta-unlearned.json")
        bio, chem, cyber = (_task(runs, t) for t in ("wmdp_bio", "wmdp_chem", "wmdp_cyber"))
        assert [(s.metric, s.value, s.stderr, s.variant) for s in bio.scores] == [
            ("acc", 0.638648860958366, 0.013469523407071169, "none")
        ]
        assert chem.scores[0].value == 0.4583333333333333
        assert chem.scores[0].stderr == 0.024697874098492466
        assert cyber.scores[0].value == 0.4509310518369401
        assert cyber.scores[0].stderr == 0.011165518383329309
        assert bio.scores[0].samples is None  # the old layout has no n-samples and no sample_len
        assert (bio.tool, bio.model, bio.limit) == (LM_EVAL, "models/HuggingFaceH4/zephyr-7b-beta/00/model.pt", 1000000)
        assert bio.date == dt.date(2024, 10, 29)
        assert bio.extra["git_hash"] == "ac780d0"
        assert bio.dataset == "cais/wmdp"
        assert _task(runs, "wmdp").extra.get("group") is True
        assert _task(runs, "mmlu").scores[0].value == 0.5748468879077054

    def test_smoke_run(self, realdata: Path) -> None:
        """The limit=1 smoke run: accuracies 1, 0, 0 and every stderr "N/A" (read as missing)."""
        runs = read_runs(realdata / "lm-eval" / "zephyr-7b-beta-limit1-smoke.json")
        values = {t: _task(runs, t).scores[0] for t in ("wmdp_bio", "wmdp_chem", "wmdp_cyber")}
        assert {t: (s.value, s.stderr) for t, s in values.items()} == {
            "wmdp_bio": (1.0, None),
            "wmdp_chem": (0.0, None),
            "wmdp_cyber": (0.0, None),
        }
        assert _task(runs, "wmdp_bio").limit == 1
        assert _task(runs, "wmdp_bio").model == "HuggingFaceH4/zephyr-7b-beta"
        assert _task(runs, "wmdp_bio").date == dt.date(2024, 10, 22)

    def test_new_layout(self, tmp_path: Path) -> None:
        """A constructed file in the newer layout: n-samples gives the count, effective < original is unfinished."""
        document = {
            "results": {
                "wmdp_bio": {"alias": "wmdp_bio", "acc,none": 0.5, "acc_stderr,none": "N/A", "sample_len": 1273},
                "wmdp_chem": {"alias": "wmdp_chem", "acc,none": 0.4, "acc_stderr,none": 0.02},
            },
            "n-samples": {"wmdp_chem": {"original": 408, "effective": 10}},
            "config": {"model": "hf", "model_args": {"pretrained": "org/model"}, "limit": 10},
            "lm_eval_version": "0.4.9",
            "date": 1767225600.0,
        }
        path = tmp_path / "results.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        runs = read_runs(path)
        bio, chem = _task(runs, "wmdp_bio"), _task(runs, "wmdp_chem")
        assert bio.scores[0].samples == 1273
        assert bio.unfinished == []
        assert chem.scores[0].samples == 10
        assert chem.unfinished == ["10 of 408 samples evaluated (limit 10)"]
        assert (bio.model, bio.tool_version, bio.date) == ("org/model", "0.4.9", dt.date(2026, 1, 1))


class TestMalformed:
    """Broken files give a clear error naming the file and the problem."""

    def test_truncated_json(self, realdata: Path, tmp_path: Path) -> None:
        """Half of a real Inspect log is reported as invalid JSON that appears truncated."""
        data = (realdata / "inspect" / "log_read_sample.json").read_bytes()
        path = tmp_path / "log.json"
        path.write_bytes(data[: len(data) // 2])
        with pytest.raises(EvidenceError) as caught:
            read_runs(path)
        assert str(path) in str(caught.value)
        assert "not valid JSON" in str(caught.value)

    def test_truncated_eval(self, realdata: Path, tmp_path: Path) -> None:
        """A real .eval archive cut short has no central directory: not a readable ZIP archive."""
        data = (realdata / "inspect" / "wmdp-bio_falcon3-1b_smoke.eval").read_bytes()
        path = tmp_path / "log.eval"
        path.write_bytes(data[: len(data) - 200])
        with pytest.raises(EvidenceError, match="not a readable ZIP archive.*truncated"):
            read_runs(path)

    def test_corrupt_zstd_member(self, realdata: Path, tmp_path: Path) -> None:
        """Damaged zstd data inside a well-formed archive is reported for that member."""
        source = realdata / "inspect" / "wmdp-bio_falcon3-1b_smoke.eval"
        data = bytearray(source.read_bytes())
        with zipfile.ZipFile(source) as archive:
            info = archive.getinfo("header.json")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        for i in range(start + 8, start + 40):
            data[i] ^= 0xFF
        path = tmp_path / "log.eval"
        path.write_bytes(bytes(data))
        with pytest.raises(EvidenceError, match=r"header\.json (is not valid zstd data|fails its size or CRC check)"):
            read_runs(path)

    def test_eval_without_header(self, tmp_path: Path) -> None:
        """An archive with no header.json is refused."""
        path = tmp_path / "log.eval"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("summaries.json", "[]")
        with pytest.raises(EvidenceError, match="has no header.json member"):
            read_runs(path)

    def test_unknown_json(self, tmp_path: Path) -> None:
        """JSON from neither tool is refused with what was expected."""
        path = tmp_path / "other.json"
        path.write_text('{"hello": "world"}', encoding="utf-8")
        with pytest.raises(EvidenceError, match="neither an Inspect log"):
            read_runs(path)

    def test_wrong_extension(self, tmp_path: Path) -> None:
        """A .csv is not an evaluation log."""
        path = tmp_path / "results.csv"
        path.write_text("a,b\n", encoding="utf-8")
        with pytest.raises(EvidenceError, match="unknown kind of file"):
            read_runs(path)

    def test_empty_and_missing(self, tmp_path: Path) -> None:
        """An empty file and a missing file are each named."""
        empty = tmp_path / "empty.json"
        empty.write_text("", encoding="utf-8")
        with pytest.raises(EvidenceError, match="empty.json: the file is empty"):
            read_runs(empty)
        with pytest.raises(EvidenceError, match="nope.json: no such file"):
            read_runs(tmp_path / "nope.json")

    def test_bad_metric_value(self, tmp_path: Path) -> None:
        """A metric value that is not a number names its place in the file."""
        log = {
            "version": 2,
            "status": "success",
            "eval": {"task": "wmdp_bio", "config": {}, "dataset": {}},
            "results": {
                "total_samples": 1,
                "completed_samples": 1,
                "scores": [{"name": "choice", "metrics": {"accuracy": {"value": "high"}}}],
            },
        }
        path = tmp_path / "log.json"
        path.write_text(json.dumps(log), encoding="utf-8")
        with pytest.raises(EvidenceError, match=r"results\.scores\[0\]\.metrics\.accuracy\.value is 'high'"):
            read_runs(path)

    def test_bad_status(self, tmp_path: Path) -> None:
        """An Inspect status outside the four known ones is refused."""
        path = tmp_path / "log.json"
        path.write_text(json.dumps({"status": "done", "eval": {"task": "t"}}), encoding="utf-8")
        with pytest.raises(EvidenceError, match="status is 'done'"):
            read_runs(path)

    def test_detect(self, realdata: Path) -> None:
        """Format detection by extension and keys."""
        for name, kind in (
            ("inspect/log_read_sample.json", "inspect"),
            ("lm-eval/zephyr-7b-beta-unlearned.json", "lm-eval"),
        ):
            path = realdata / name
            assert detect_format(path, path.read_bytes()) == kind
