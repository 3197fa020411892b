"""``governance decide`` and ``governance demo``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from governance.cli._app import app, console, parse_date, print_json
from governance.cli.render import render_decision, tier_text
from governance.engine import decide
from governance.exceptions import InputError
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
    """Decide every shipped example candidate under every shipped policy: no set-up needed."""
    day = parse_date(as_of)
    folder = data_dir("examples") / "candidates"
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise InputError(f"no example candidates found in {folder}")
    candidates = [load_candidate(path) for path in files]
    policies = resolve_policies(["all"], as_of=day)
    decisions = [decide(c, p, as_of=day) for c in candidates for p in policies]
    if output is OutputFormat.JSON:
        print_json([d.document() for d in decisions])
        return
    table = Table(title=f"shipped examples under shipped policies (as of {decisions[0].as_of})")
    table.add_column("candidate")
    for p in policies:
        table.add_column(p.ref)
    for index, candidate in enumerate(candidates):
        row = decisions[index * len(policies) : (index + 1) * len(policies)]
        table.add_row(candidate.model.name, *[tier_text(d.tier) for d in row])
    console.print(table)
    console.print("Details: governance decide <candidate file> --policy <id>  (files in " + str(folder) + ")")
