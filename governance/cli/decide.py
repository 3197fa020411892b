"""``governance decide`` and ``governance demo``."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from governance.cli._app import app, console, parse_date, print_json
from governance.cli.render import render_decision, tier_text
from governance.engine import decide
from governance.exceptions import InputError
from governance.jurisdictions import applies_to
from governance.loader import data_dir, load_candidate, resolve_policies


class OutputFormat(StrEnum):
    """How decisions are printed."""

    TABLE = "table"
    JSON = "json"


class EvaluatorName(StrEnum):
    """Which evaluator fires the rules."""

    DURABLE_RULES = "durable_rules"
    PYTHON = "python"


@app.command("decide")
def decide_command(
    candidates: list[Path] = typer.Argument(..., help="Candidate files (YAML or JSON).", show_default=False),
    policy: list[str] = typer.Option(
        ...,
        "--policy",
        "-p",
        help="Policy id, id@version, path, or 'all' (every policy in force that applies to the candidate's "
        "jurisdictions and developer). Repeat for several.",
        show_default=False,
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Decide as of this date (YYYY-MM-DD); default today."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table (readable) or json."),
    evaluator: EvaluatorName = typer.Option(EvaluatorName.DURABLE_RULES, "--evaluator", help="Rule evaluator."),
) -> None:
    """Decide the release tier of each candidate under each policy.

    With --format json, prints a JSON array of decision documents (one per candidate and policy).
    """
    day = parse_date(as_of)
    loaded = [load_candidate(path) for path in candidates]
    decisions = [
        decide(c, p, as_of=day, evaluator=evaluator.value)
        for c in loaded
        for p in resolve_policies(policy, as_of=day, candidate=c)
    ]
    if output is OutputFormat.JSON:
        print_json([d.document() for d in decisions])
        return
    for decision in decisions:
        render_decision(decision, console)


@app.command("demo")
def demo_command(
    as_of: str | None = typer.Option(None, "--as-of", help="Decide as of this date (YYYY-MM-DD); default today."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Decide every shipped example under every shipped policy in force that applies to it: no set-up needed."""
    day = parse_date(as_of) or dt.datetime.now(dt.UTC).date()
    folder = data_dir("examples") / "candidates"
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise InputError(f"no example candidates found in {folder}")
    candidates = [load_candidate(path) for path in files]
    policies = [p for p in resolve_policies(["all"], as_of=day) if p.in_force(day)]
    decisions = {
        (ci, pi): decide(candidate, policy, as_of=day)
        for ci, candidate in enumerate(candidates)
        for pi, policy in enumerate(policies)
        if applies_to(policy, candidate)
    }
    if output is OutputFormat.JSON:
        print_json([decision.document() for decision in decisions.values()])
        return
    table = Table(title=f"shipped examples under the shipped policies in force on {day}")
    table.add_column("candidate")
    for policy in policies:
        table.add_column(policy.ref, overflow="fold")
    for ci, candidate in enumerate(candidates):
        cells = [
            tier_text(decisions[ci, pi].tier) if (ci, pi) in decisions else Text("n/a", style="dim")
            for pi in range(len(policies))
        ]
        table.add_row(candidate.model.name, *cells)
    console.print(table)
    console.print("n/a: the policy does not apply to the candidate's jurisdictions or developer.")
    console.print(f"Details: governance decide <candidate file> --policy <id>   (example files: {folder})")
