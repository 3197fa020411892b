"""From evaluation files to a candidate's ``evaluations``: task to suite, finished runs only, provenance.

:func:`import_files` reads each file (:mod:`.runs`), maps each task to a suite by its name (or an
explicit ``task=suite`` mapping from the caller), picks the suite's metric, and writes one
:class:`~governance.candidate.EvaluationResult` per metric value with its provenance in ``source``:
the file's name and SHA-256, the tool and its version, the run id, the task, the tool's metric and
scorer or filter, the sample counts and the limit.

* A task no suite claims is reported in :attr:`ImportReport.skipped`, never guessed; when nothing at
  all could be mapped, the import fails.
* A run that did not finish (status ``error`` or ``cancelled``, fewer completed samples than
  planned, a ``limit`` smoke run, or fewer items than the benchmark has) is refused with the reason,
  unless ``allow_partial``: then it is recorded with ``status: partial`` and the reasons in
  ``source.partial``.
* Any problem with any file fails the whole import: nothing is half-imported or half-merged.

:func:`merge_into_candidate` adds the results to a candidate file, validating the merged candidate
before it replaces the file (atomically).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from governance._yaml import load_document, pydantic_problems
from governance.candidate import Candidate, Elicitation, EvaluationResult
from governance.evidence.runs import LM_EVAL, Run, RunScore, read_runs
from governance.evidence.suites import Suite, find_suite, suite_for_task
from governance.exceptions import EvidenceError, InputError, Problem

__all__ = ["ImportReport", "MergeReport", "import_files", "merge_into_candidate", "parse_task_map"]


@dataclass
class ImportReport:
    """What an import produced, and what it left out."""

    results: list[EvaluationResult] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    """Per file, the tasks (or groups of tasks, marked so) that no suite claims."""
    notes: list[str] = field(default_factory=list)
    """Everything else worth saying: partial runs recorded, sample counts taken from the suite."""

    def document(self) -> dict[str, Any]:
        """The ``evaluations`` block, as JSON-compatible data."""
        return {"evaluations": [r.model_dump(mode="json", exclude_none=True) for r in self.results]}


def parse_task_map(pairs: Iterable[str]) -> dict[str, Suite]:
    """Parse ``TASK=SUITE`` options into a map from task name to suite; unknown suites are refused."""
    out: dict[str, Suite] = {}
    for pair in pairs:
        task, sep, name = pair.partition("=")
        if not sep or not task.strip() or not name.strip():
            raise InputError(f"--task {pair!r}: expected TASK=SUITE, e.g. task=wmdp-bio")
        suite = find_suite(name)
        if suite is None:
            raise InputError(f"--task {pair!r}: no suite named {name.strip()!r}; see 'governance evidence suites'")
        out[task.strip().lower()] = suite
    return out


def _samples_from_suite(run: Run, suite: Suite, partial: list[str], source: dict[str, Any]) -> int | None:
    """For a file that gives no sample count (older lm-evaluation-harness layouts), use the suite's."""
    limit = run.limit
    items = suite.items
    if items is None:
        return None
    if limit is None:
        source["samples_from"] = "suite items (the file gives no sample count and no limit)"
        return items
    if isinstance(limit, int | float) and not isinstance(limit, bool):
        if limit < 1:
            partial.append(f"limit {limit}: a fraction of the data was evaluated")
            return None
        if limit >= items:
            source["samples_from"] = f"suite items (the file gives no sample count; limit {limit} covers them all)"
            return items
        count = int(limit)
        partial.append(f"limit {count}: {count} of the benchmark's {items} items were evaluated")
        source["samples_from"] = "config.limit"
        return count
    return None


def _results_of(
    run: Run,
    suite: Suite,
    *,
    model: str | None,
    elicitation: Elicitation,
    allow_partial: bool,
) -> list[EvaluationResult]:
    if run.dataset and suite.datasets and run.dataset not in suite.datasets:
        raise EvidenceError(
            f"{run.path}: task {run.task} read dataset {run.dataset!r}, but suite {suite.id} is "
            f"{', '.join(suite.datasets)}; map the task to the right suite with --task"
        )
    if run.extra.get("no_results"):
        why = f" ({'; '.join(run.unfinished)})" if run.unfinished else ""
        raise EvidenceError(f"{run.path}: the run has no results to record{why}")
    wanted = [s for s in run.scores if s.metric in suite.metric_names]
    if not wanted:
        reported = ", ".join(sorted({s.metric for s in run.scores})) or "none"
        raise EvidenceError(
            f"{run.path}: task {run.task} reports metrics {reported}; suite {suite.id} needs "
            f"{' or '.join(sorted(suite.metric_names))}"
        )
    out: list[EvaluationResult] = []
    for score in wanted:
        out.append(_result(run, suite, score, model=model, elicitation=elicitation, allow_partial=allow_partial))
    return out


def _result(
    run: Run, suite: Suite, score: RunScore, *, model: str | None, elicitation: Elicitation, allow_partial: bool
) -> EvaluationResult:
    partial = list(run.unfinished)
    source: dict[str, Any] = {
        "file": run.path.name,
        "file_digest": run.digest,
        "tool": run.tool,
        "task": run.task,
        "metric": score.metric,
    }
    if run.tool_version:
        source["tool_version"] = run.tool_version
    if run.run_id:
        source["run_id"] = run.run_id
    if run.model:
        source["model"] = run.model
    if run.created:
        source["created"] = run.created
    if run.dataset:
        source["dataset"] = run.dataset
    if score.variant:
        source["filter" if run.tool == LM_EVAL else "scorer"] = score.variant
    if run.limit is not None:
        source["limit"] = run.limit
    source.update(run.extra)

    samples = score.samples
    if samples is None:
        before = len(partial)
        samples = _samples_from_suite(run, suite, partial, source)
        limited = len(partial) > before
    else:
        limited = False
    covered = run.distinct_samples if run.distinct_samples is not None else samples
    if suite.items is not None and covered is not None and covered < suite.items and not limited:
        partial.append(f"covers {covered} of the benchmark's {suite.items} items")
    low, high = suite.raw_range()
    if not low <= score.value <= high:
        raise EvidenceError(
            f"{run.path}: task {run.task} {score.metric} is {score.value}, outside {suite.id}'s range [{low}, {high}]"
        )
    if partial and not allow_partial:
        raise EvidenceError(
            f"{run.path}: task {run.task} did not finish: {'; '.join(partial)}. Refused; pass --allow-partial "
            "to record it as a partial run, which policies treat as weaker evidence"
        )
    if partial:
        source["partial"] = partial
    try:
        return EvaluationResult(
            benchmark=suite.id,
            domain=suite.domain,
            score=score.value,
            stderr=score.stderr,
            samples=samples,
            elicitation=elicitation,
            date=run.date,
            metric=suite.metric,
            model_version=model,
            status="partial" if partial else "complete",
            source=source,
        )
    except ValidationError as exc:
        # a value a candidate cannot carry (a 400-digit sample count, a date in year 1): refused here,
        # so that nothing undecidable is ever written into a candidate file
        problems = pydantic_problems(exc.errors(), f"{run.path} (task {run.task})", {})
        raise EvidenceError(
            f"{run.path}: task {run.task} gives values a candidate cannot hold", problems=problems
        ) from exc


def import_files(
    paths: Sequence[Path],
    *,
    model: str | None = None,
    elicitation: Elicitation = Elicitation.AS_RELEASED,
    allow_partial: bool = False,
    task_map: Mapping[str, Suite] | None = None,
) -> ImportReport:
    """Read evaluation files into candidate evaluation results (see the module docstring).

    Args:
        paths: Inspect logs (``.json``, ``.eval``) and lm-evaluation-harness results files.
        model: the model version the runs evaluated, recorded as each result's ``model_version``.
        elicitation: how the model was elicited in these runs.
        allow_partial: record unfinished runs as ``status: partial`` instead of refusing them.
        task_map: explicit ``task name -> suite`` mappings, for tasks whose names no suite lists.

    Raises:
        EvidenceError: any file is unreadable, malformed, unfinished (without ``allow_partial``),
            or nothing in the files maps to a suite.
    """
    if not paths:
        raise InputError("give at least one evaluation file")
    mapping = dict(task_map or {})
    report = ImportReport()
    runs: list[Run] = [run for path in paths for run in read_runs(path)]
    models = sorted({run.model for run in runs if run.model})
    if model is not None and len(models) > 1:
        raise EvidenceError(
            f"the files evaluate different models ({', '.join(models)}); --model {model!r} would label them all "
            "as one version. Import each model's files separately"
        )
    for run in runs:
        suite = mapping.get(run.task.lower()) or suite_for_task(run.task)
        if suite is None:
            label = f"{run.task} (group)" if run.extra.get("group") else run.task
            report.skipped.setdefault(str(run.path), []).append(label)
            continue
        results = _results_of(run, suite, model=model, elicitation=elicitation, allow_partial=allow_partial)
        for result in results:
            if result.status == "partial":
                why = "; ".join((result.source or {}).get("partial", []))
                report.notes.append(f"{run.path}: task {run.task} recorded as partial ({why})")
            elif (result.source or {}).get("samples_from", "").startswith("suite"):
                report.notes.append(
                    f"{run.path}: task {run.task} gives no sample count; the suite's {result.samples} items are assumed"
                )
        report.results.extend(results)
    if not report.results:
        unknown = "; ".join(f"{file}: {', '.join(tasks)}" for file, tasks in report.skipped.items()) or "no tasks"
        raise EvidenceError(
            f"nothing to import: no evaluation suite claims these tasks ({unknown}). Map a task to a suite "
            "with --task TASK=SUITE (see 'governance evidence suites')"
        )
    if model is None:
        report.notes.append("the results carry no model version; pass --model to tie them to the release's version")
    return report


# -- merging into a candidate file ----------------------------------------------------------------------


@dataclass(frozen=True)
class MergeReport:
    """What a merge added to a candidate file."""

    path: Path
    added: int
    already_present: int
    total: int


def _identity(result: dict[str, Any]) -> tuple[Any, ...]:
    source = result.get("source") or {}
    return (
        result.get("benchmark"),
        source.get("file_digest"),
        source.get("task"),
        source.get("metric"),
        source.get("scorer") or source.get("filter"),
        result.get("elicitation", Elicitation.AS_RELEASED.value),
        result.get("model_version"),
    )


def merge_into_candidate(path: Path, results: Sequence[EvaluationResult]) -> MergeReport:
    """Add ``results`` to the candidate file at ``path``; the file changes only if the merge validates.

    Results already present (same benchmark, file digest, task, metric, scorer or filter, elicitation
    and model version) are not added twice. A YAML file without an ``evaluations`` key keeps its text
    and comments (the block is appended); otherwise the file is rewritten.
    """
    document, lines = load_document(path, error=InputError)
    if not isinstance(document, dict):
        raise InputError(f"{path}: a candidate must be a mapping with model, compute and release")
    existing = document.get("evaluations") or []
    if not isinstance(existing, list):
        raise InputError(f"{path}: evaluations is not a list")
    seen = {_identity(item) for item in existing if isinstance(item, dict)}
    new: list[dict[str, Any]] = []
    for result in results:
        item = result.model_dump(mode="json", exclude_none=True)
        key = _identity(item)
        if key in seen:
            continue
        seen.add(key)
        new.append(item)
    merged = {**document, "evaluations": [*existing, *new]}
    try:
        Candidate.model_validate(merged)
    except ValidationError as exc:
        problems: list[Problem] = pydantic_problems(exc.errors(), str(path), lines)
        raise InputError(
            f"{path}: the merged candidate would not be valid; nothing was written", problems=problems
        ) from exc
    if new:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            output = json.dumps(merged, indent=2, ensure_ascii=False) + "\n"
        elif "evaluations" not in document:
            block = yaml.safe_dump({"evaluations": new}, sort_keys=False, allow_unicode=True, width=100)
            output = text + ("" if text.endswith("\n") else "\n") + block
        else:
            output = yaml.safe_dump(merged, sort_keys=False, allow_unicode=True, width=100)
        _write_atomic(path, output)
    return MergeReport(path, len(new), len(results) - len(new), len(existing) + len(new))


def _write_atomic(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
