"""``governance evidence import | suites`` and ``governance openness``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.table import Table

from governance.candidate import Elicitation
from governance.cli._app import app, console, print_json
from governance.evidence.importers import import_files, merge_into_candidate, parse_task_map
from governance.evidence.openness import OpennessReport, load_mot_record, openness_report, release_openness
from governance.evidence.suites import load_suites
from governance.exceptions import EvidenceError, InputError
from governance.loader import load_candidate

evidence_app = typer.Typer(help="Import evaluation logs and list the evaluation suites.", no_args_is_help=True)
app.add_typer(evidence_app, name="evidence")

_SHOWN_SKIPS = 5


class BlockFormat(StrEnum):
    """How an evaluations block is printed."""

    YAML = "yaml"
    JSON = "json"


class ReportFormat(StrEnum):
    """How a report is printed."""

    TABLE = "table"
    JSON = "json"


def _note(message: str) -> None:
    sys.stderr.write(f"note: {message}\n")


@evidence_app.command("import")
def import_command(
    files: list[Path] = typer.Argument(
        ..., help="Inspect logs (.json, .eval) or lm-evaluation-harness results (.json).", show_default=False
    ),
    model: str | None = typer.Option(
        None, "--model", help="The model version the runs evaluated (recorded as model_version)."
    ),
    elicitation: Elicitation = typer.Option(
        Elicitation.AS_RELEASED, "--elicitation", help="How the model was elicited in these runs."
    ),
    output: BlockFormat = typer.Option(BlockFormat.YAML, "--format", "-f", help="yaml or json."),
    into: Path | None = typer.Option(None, "--into", help="Merge into this candidate file instead of printing."),
    allow_partial: bool = typer.Option(
        False, "--allow-partial", help="Record unfinished runs as status: partial instead of refusing them."
    ),
    task: list[str] = typer.Option(
        [], "--task", help="Map a task name to a suite: TASK=SUITE (e.g. task=wmdp-bio). Repeat for several."
    ),
) -> None:
    """Turn evaluation logs into a candidate's evaluations block (printed, or merged with --into).

    Each known task becomes one result per metric value, with its provenance (file digest, tool and
    version, run id, task, metric, sample count). Unknown tasks are reported, not guessed; unfinished
    runs are refused unless --allow-partial. On any error nothing is printed or merged.
    """
    if into is not None:
        load_candidate(into)  # refuse an invalid target before reading any log
    report = import_files(
        files, model=model, elicitation=elicitation, allow_partial=allow_partial, task_map=parse_task_map(task)
    )
    for file, tasks in report.skipped.items():
        shown = ", ".join(tasks[:_SHOWN_SKIPS])
        more = len(tasks) - _SHOWN_SKIPS
        _note(
            f"{file}: skipped {len(tasks)} task(s) no suite claims: {shown}" + (f" and {more} more" if more > 0 else "")
        )
    for note in report.notes:
        _note(note)
    if into is not None:
        merged = merge_into_candidate(into, report.results)
        console.print(
            f"merged {merged.added} result(s) into {merged.path} ({merged.already_present} already present; "
            f"{merged.total} evaluation(s) in all)",
            markup=False,
        )
        return
    document = report.document()
    if output is BlockFormat.JSON:
        print_json(document)
    else:
        sys.stdout.write(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100))


@evidence_app.command("suites")
def suites_command(
    output: ReportFormat = typer.Option(ReportFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """List the evaluation suites: domain, metric, items, and how raw scores are normalised."""
    suites = load_suites()
    if output is ReportFormat.JSON:
        print_json([suite.model_dump(mode="json", exclude_none=True) for suite in suites])
        return
    table = Table(title="evaluation suites")
    for column in ("suite", "domain", "metric", "items", "normalisation", "task names"):
        table.add_column(column)
    for suite in suites:
        norm = suite.normalisation
        mapping = f"{norm.kind} {norm.floor:g} -> {norm.ceiling:g}" + (" (illustrative)" if norm.illustrative else "")
        table.add_row(suite.ref, suite.domain, suite.metric, str(suite.items or "-"), mapping, ", ".join(suite.aliases))
    console.print(table)


def _load_openness(path: Path) -> OpennessReport:
    """A Model Openness Tool record, or a candidate file's release block."""
    from governance._yaml import load_document

    document, _ = load_document(path, error=EvidenceError)
    if isinstance(document, dict) and "framework" in document:
        return openness_report(load_mot_record(path))
    if isinstance(document, dict) and "release" in document and "model" in document:
        return release_openness(load_candidate(path).release)
    raise InputError(
        f"{path}: neither a Model Openness Tool record (with 'framework' and 'release') nor a candidate file"
    )


def _render(report: OpennessReport) -> None:
    mof = report.mof
    console.print(f"{report.name}: {mof.label} (class {mof.mof_class})", markup=False)
    table = Table(title="progress per class")
    for column in ("class", "progress", "missing", "not openly licensed"):
        table.add_column(column)
    for level, name in ((3, "III open model"), (2, "II open tooling"), (1, "I open science")):
        table.add_row(
            name,
            f"{mof.progress[level]:.0f}%",
            ", ".join(mof.missing[level]) or "-",
            ", ".join(mof.not_open[level]) or "-",
        )
    console.print(table)
    if mof.paper_for_report:
        console.print("the research paper stands in for the technical report", markup=False)
    licences: list[str] = []
    for component in mof.components:
        entry: dict[str, Any] = component.document()
        if component.status != "open":
            hint = f" (did you mean {entry['did_you_mean']}?)" if "did_you_mean" in entry else ""
            licences.append(f"{component.name}: {component.licence or 'no licence'}{hint}")
    if licences:
        console.print("not openly licensed: " + "; ".join(licences), markup=False)
    osaid = report.osaid
    console.print(f"OSI Open Source AI Definition: {'meets' if osaid.meets else 'does not meet'}", markup=False)
    for line in osaid.failing:
        console.print(f"  - {line}", markup=False)
    if report.eu_foss_licence is not None:
        verdict = "qualifies" if report.eu_foss_licence else "does not qualify"
        console.print(f"EU AI Act open-source licence (Art. 53(2)): {verdict}", markup=False)
    if report.unrecognised:
        console.print("components with no MOF match: " + ", ".join(report.unrecognised), markup=False)


@app.command("openness")
def openness_command(
    file: Path = typer.Argument(
        ..., help="A Model Openness Tool record (YAML) or a candidate file.", show_default=False
    ),
    output: ReportFormat = typer.Option(ReportFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Classify a release's openness: MOF class and progress, what is missing or closed, OSAID verdict."""
    report = _load_openness(file)
    if output is ReportFormat.JSON:
        print_json(report.document())
        return
    _render(report)
