"""Readers for the files evaluation tools write: Inspect logs and lm-evaluation-harness results.

Each reader turns one file into :class:`Run` records (one per task), holding what the file says and
nothing more: the task name as the tool wrote it, the scores per metric with their standard error
and sample count, the run's identity and tool version, and the reasons, if any, why the run did not
finish. Mapping tasks to suites, refusing unfinished runs and writing candidate evaluations is
:mod:`governance.evidence.importers`' job.

* **Inspect** (``inspect_ai``): a ``.json`` log, or an ``.eval`` ZIP archive of which only
  ``header.json`` is read (members may be DEFLATE or zstd). Scores are
  ``results.scores[].metrics[<name>].value``; the standard error is the ``stderr`` metric where
  present. A run is unfinished when its ``status`` is not ``success``, when fewer samples completed
  than were planned, or when ``eval.config.limit`` cut the dataset short.
* **lm-evaluation-harness**: a results JSON, old layout (no ``n-samples``) or new. Task entries map
  ``"<metric>,<filter>"`` to values; ``"<metric>_stderr,<filter>"`` to the standard error, which may
  be the string ``"N/A"``. Sample counts come from ``n-samples[task].effective``, else the task's
  ``sample_len``, else they are left to the suite (the file does not say). ``config.limit`` is
  recorded; a run whose effective count is below the original is unfinished.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from governance._yaml import parse_json
from governance.evidence._archive import read_member
from governance.exceptions import EvidenceError

__all__ = ["Run", "RunScore", "detect_format", "file_digest", "read_inspect", "read_lm_eval", "read_runs"]

Format = Literal["inspect", "lm-eval"]
INSPECT = "inspect_ai"
LM_EVAL = "lm-evaluation-harness"


@dataclass(frozen=True)
class RunScore:
    """One metric of one task as the file reports it."""

    metric: str
    """The tool's metric name (``accuracy``, ``acc``)."""
    value: float
    stderr: float | None
    samples: int | None
    """Items scored, when the file says."""
    variant: str | None = None
    """The Inspect scorer or the lm-evaluation-harness filter the value belongs to."""


@dataclass
class Run:
    """What one file says about one task."""

    path: Path
    digest: str
    tool: str
    tool_version: str | None
    task: str
    model: str | None
    date: dt.date | None
    scores: list[RunScore]
    run_id: str | None = None
    created: str | None = None
    dataset: str | None = None
    limit: Any = None
    distinct_samples: int | None = None
    """Distinct items the run covered (samples, not samples x epochs), when the file says."""
    unfinished: list[str] = field(default_factory=list)
    """Why the run did not finish, in the file's own terms; empty for a finished run."""
    extra: dict[str, Any] = field(default_factory=dict)
    """More provenance for the candidate's ``source`` (eval id, epochs, git hash, ...)."""


def file_digest(data: bytes) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json(path: Path, data: bytes, what: str) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EvidenceError(f"{path}: {what} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    where = str(path) if what in ("the file", "the log", "the results file") else f"{path} ({what})"
    try:
        # NaN and Infinity are accepted: Python's json module writes them into real logs
        return parse_json(text, where, error=EvidenceError, constants=True)
    except EvidenceError as exc:
        if isinstance(exc.__cause__, json.JSONDecodeError) and exc.__cause__.pos >= len(text.rstrip()) - 1:
            raise EvidenceError(f"{exc.message} (the file appears truncated)") from exc.__cause__
        raise


def _need(path: Path, value: Any, where: str, kind: type | tuple[type, ...], expected: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise EvidenceError(
            f"{path}: {where} is {type(value).__name__ if value is not None else 'missing'}; expected {expected}"
        )
    return value


def _number(path: Path, value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EvidenceError(f"{path}: {where} is {value!r}; expected a finite number")
    return float(value)


def _utc_date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date()


# -- Inspect --------------------------------------------------------------------------------------------


def read_inspect(path: Path, data: bytes) -> list[Run]:
    """Read an Inspect log (``.json`` bytes, or an ``.eval`` archive's bytes) into one run."""
    if path.suffix.lower() == ".eval":
        log = _json(path, read_member(path, "header.json"), "header.json")
    else:
        log = _json(path, data, "the log")
    _need(path, log, "the log", dict, "an Inspect log object")
    status = log.get("status")
    if status not in ("started", "success", "cancelled", "error"):
        raise EvidenceError(f"{path}: status is {status!r}; expected started, success, cancelled or error")
    spec = _need(path, log.get("eval"), "eval", dict, "the run's EvalSpec object")
    task = _need(path, spec.get("task"), "eval.task", str, "the task name")
    config = spec.get("config") or {}
    _need(path, config, "eval.config", dict, "an object")
    dataset = spec.get("dataset") or {}
    _need(path, dataset, "eval.dataset", dict, "an object")
    packages = spec.get("packages") or {}
    epochs_value = config.get("epochs") or 1
    epochs = int(epochs_value) if isinstance(epochs_value, int) and epochs_value > 0 else 1

    unfinished: list[str] = []
    if status != "success":
        detail = ""
        error = log.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            detail = f": {error['message'].strip().splitlines()[0][:200]}" if error["message"].strip() else ""
        unfinished.append(f"status {status}{detail}")

    results = log.get("results")
    scores: list[RunScore] = []
    total = completed = None
    if results is not None:
        _need(path, results, "results", dict, "an EvalResults object")
        total = results.get("total_samples")
        completed = results.get("completed_samples")
        for key, value in (("results.total_samples", total), ("results.completed_samples", completed)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise EvidenceError(f"{path}: {key} is {value!r}; expected a count")
        if isinstance(total, int) and isinstance(completed, int) and completed < total:
            unfinished.append(f"{completed} of {total} samples completed")
        entries = _need(path, results.get("scores", []), "results.scores", list, "a list of scores")
        for i, entry in enumerate(entries):
            where = f"results.scores[{i}]"
            _need(path, entry, where, dict, "an EvalScore object")
            metrics = _need(path, entry.get("metrics", {}), f"{where}.metrics", dict, "an object of metrics")
            scored = entry.get("scored_samples")
            samples = scored if isinstance(scored, int) and not isinstance(scored, bool) and scored > 0 else None
            if samples is None and isinstance(completed, int) and completed > 0:
                samples = max(completed // epochs, 1)
            stderr_entry = metrics.get("stderr")
            stderr = None
            if isinstance(stderr_entry, dict) and stderr_entry.get("value") is not None:
                stderr = _number(path, stderr_entry.get("value"), f"{where}.metrics.stderr.value")
            for name, metric in sorted(metrics.items()):
                if name == "stderr":
                    continue
                _need(path, metric, f"{where}.metrics.{name}", dict, "an EvalMetric object")
                value = _number(path, metric.get("value"), f"{where}.metrics.{name}.value")
                variant = entry.get("name") or entry.get("scorer")
                scores.append(RunScore(str(name), value, stderr, samples, str(variant) if variant else None))

    limit = config.get("limit")
    planned = dataset.get("samples") if isinstance(dataset.get("samples"), int) else None
    ids = dataset.get("sample_ids")
    distinct = len(ids) if isinstance(ids, list) and ids else None
    if distinct is None and isinstance(total, int) and total > 0:
        distinct = max(total // epochs, 1)
    if limit is not None and (planned is None or distinct is None or distinct < planned):
        shown = f"{limit[0]}-{limit[1]}" if isinstance(limit, list) and len(limit) == 2 else str(limit)
        of = f" ({distinct} of {planned} samples)" if planned is not None and distinct is not None else ""
        unfinished.append(f"limit {shown}: a smoke or subset run{of}")

    model = spec.get("model")
    version = packages.get("inspect_ai") if isinstance(packages, dict) else None
    run = Run(
        path=path,
        digest=file_digest(data),
        tool=INSPECT,
        tool_version=str(version) if version else None,
        task=task,
        model=str(model) if model else None,
        date=_utc_date(spec.get("created") if isinstance(spec.get("created"), str) else None),
        scores=scores,
        run_id=str(spec["run_id"]) if spec.get("run_id") else None,
        created=spec.get("created") if isinstance(spec.get("created"), str) else None,
        dataset=str(dataset["name"]) if dataset.get("name") else None,
        limit=limit,
        distinct_samples=distinct,
        unfinished=unfinished,
        extra={
            key: value
            for key, value in (
                ("eval_id", spec.get("eval_id")),
                ("task_id", spec.get("task_id")),
                ("epochs", epochs if epochs != 1 else None),
                ("total_samples", total),
                ("completed_samples", completed),
            )
            if value is not None
        },
    )
    if results is None:
        run.extra["no_results"] = True
    return [run]


# -- lm-evaluation-harness ----------------------------------------------------------------------------


def _model_name(document: dict[str, Any]) -> str | None:
    for key in ("model_name",):
        if isinstance(document.get(key), str) and document[key]:
            return str(document[key])
    config = document.get("config")
    if isinstance(config, dict):
        args = config.get("model_args")
        if isinstance(args, str):
            for part in args.split(","):
                name, _, value = part.partition("=")
                if name.strip() in ("pretrained", "model", "engine") and value.strip():
                    return value.strip()
        elif isinstance(args, dict):
            for name in ("pretrained", "model", "engine"):
                if isinstance(args.get(name), str):
                    return str(args[name])
        if isinstance(config.get("model"), str):
            return str(config["model"])
    return None


def _stderr(path: Path, value: Any, where: str) -> float | None:
    if value is None or value == "N/A":
        return None
    number = _number(path, value, where)
    if number < 0:
        raise EvidenceError(f'{path}: {where} is {number}; expected a standard error of 0 or more, or "N/A"')
    return number


def read_lm_eval(path: Path, data: bytes) -> list[Run]:
    """Read an lm-evaluation-harness results file into one run per task (groups included)."""
    document = _json(path, data, "the results file")
    _need(path, document, "the results file", dict, "an lm-evaluation-harness results object")
    results = _need(path, document.get("results"), "results", dict, "an object of per-task results")
    config = document.get("config") if isinstance(document.get("config"), dict) else {}
    limit = config.get("limit")
    n_samples = document.get("n-samples") if isinstance(document.get("n-samples"), dict) else {}
    groups = set(document.get("groups") or {}) | set(document.get("group_subtasks") or {})
    stamp = document.get("date")
    date = None
    created = None
    if isinstance(stamp, int | float) and not isinstance(stamp, bool) and math.isfinite(stamp):
        moment = dt.datetime.fromtimestamp(float(stamp), dt.UTC)
        date, created = moment.date(), moment.isoformat()
    digest = file_digest(data)
    version = document.get("lm_eval_version")
    model = _model_name(document)
    runs: list[Run] = []
    if model is None and isinstance(results.get("model_name"), str):
        model = results["model_name"]  # some wrappers write the model name among the task entries
    for task, entry in sorted(results.items()):
        where = f"results.{task}"
        if task == "model_name" and isinstance(entry, str):
            continue
        _need(path, entry, where, dict, "an object of metric values")
        counts = n_samples.get(task) if isinstance(n_samples.get(task), dict) else None
        samples: int | None = None
        unfinished: list[str] = []
        extra: dict[str, Any] = {}
        if counts is not None:
            effective, original = counts.get("effective"), counts.get("original")
            if isinstance(effective, int) and effective > 0:
                samples = effective
            if isinstance(effective, int) and isinstance(original, int) and effective < original:
                unfinished.append(f"{effective} of {original} samples evaluated (limit {limit})")
            extra["n_samples"] = {k: v for k, v in counts.items() if isinstance(v, int)}
        elif isinstance(entry.get("sample_len"), int) and entry["sample_len"] > 0:
            samples = int(entry["sample_len"])
        scores: list[RunScore] = []
        for key, value in sorted(entry.items()):
            if key in ("alias", "name", "sample_len", "sample_count") or "," not in key:
                continue
            metric, _, variant = key.partition(",")
            if metric.endswith("_stderr"):
                continue
            if value == "N/A" or value is None:
                continue
            number = _number(path, value, f'{where}["{key}"]')
            stderr = _stderr(path, entry.get(f"{metric}_stderr,{variant}"), f'{where}["{metric}_stderr,{variant}"]')
            scores.append(RunScore(metric, number, stderr, samples, variant or None))
        if task in groups:
            extra["group"] = True
        runs.append(
            Run(
                path=path,
                digest=digest,
                tool=LM_EVAL,
                tool_version=str(version) if version else None,
                task=task,
                model=model,
                date=date,
                scores=scores,
                created=created,
                dataset=_dataset(document, task),
                limit=limit,
                distinct_samples=samples,
                unfinished=unfinished,
                extra=extra | ({"git_hash": document["git_hash"]} if isinstance(document.get("git_hash"), str) else {}),
            )
        )
    return runs


def _dataset(document: dict[str, Any], task: str) -> str | None:
    configs = document.get("configs")
    if isinstance(configs, dict) and isinstance(configs.get(task), dict):
        path = configs[task].get("dataset_path")
        return str(path) if isinstance(path, str) and path else None
    return None


# -- dispatch -------------------------------------------------------------------------------------------


def detect_format(path: Path, data: bytes) -> Format:
    """Which tool wrote the file: ``.eval`` is Inspect; a ``.json`` is told apart by its keys."""
    if path.suffix.lower() == ".eval":
        return "inspect"
    if path.suffix.lower() != ".json":
        raise EvidenceError(
            f"{path}: unknown kind of file; expected an Inspect log (.json or .eval) or an "
            "lm-evaluation-harness results file (.json)"
        )
    document = _json(path, data, "the file")
    if isinstance(document, dict):
        if isinstance(document.get("eval"), dict) and "status" in document:
            return "inspect"
        if isinstance(document.get("results"), dict) and any(
            key in document for key in ("configs", "config", "versions", "n-shot", "lm_eval_version")
        ):
            return "lm-eval"
    raise EvidenceError(
        f"{path}: neither an Inspect log (with 'eval' and 'status') nor an lm-evaluation-harness results "
        "file (with 'results' and 'config' or 'configs')"
    )


def read_runs(path: Path) -> list[Run]:
    """Read one evaluation file, whichever tool wrote it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise EvidenceError(f"{path}: no such file") from exc
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot be read ({exc.strerror})") from exc
    if not data.strip():
        raise EvidenceError(f"{path}: the file is empty")
    kind = detect_format(path, data)
    return read_inspect(path, data) if kind == "inspect" else read_lm_eval(path, data)
