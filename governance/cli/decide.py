"""``governance decide`` and ``governance demo``."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from governance.candidate import Candidate
from governance.cli._app import app, console_note, inputs_frozen, parse_date, print_json
from governance.cli._json import JsonArrayWriter
from governance.cli._options import EvaluatorName, OutputFormat, as_of_option
from governance.decision import Decision
from governance.engine import decide
from governance.exceptions import InputError
from governance.jurisdictions import applies_to
from governance.loader import data_dir, load_candidate, resolve_policies
from governance.policy import Policy

if TYPE_CHECKING:
    from rich.text import Text


def _demo_cell(decision: Decision | None) -> Text:
    from rich.text import Text

    from governance.cli.render import tier_text

    if decision is None:
        return Text("n/a", style="dim")
    cell = tier_text(decision.tier)
    if decision.rests_on_missing_evidence:
        cell.append(" ?", style="magenta")
    return cell


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
    as_of: str | None = as_of_option(),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table (readable) or json."),
    evaluator: EvaluatorName = typer.Option(EvaluatorName.DURABLE_RULES, "--evaluator", help="Rule evaluator."),
    record: bool = typer.Option(False, "--record", help="Append the decisions to the tamper-evident ledger."),
    ledger: str | None = typer.Option(
        None, "--ledger", help="Ledger for --record: SQLite file or postgresql:// URL (default $GOVERNANCE_LEDGER)."
    ),
    actor: str | None = typer.Option(None, "--actor", help="Who records (default $GOVERNANCE_ACTOR or login name)."),
    key: Path | None = typer.Option(None, "--key", help="Signing key for --record (default: beside a SQLite ledger)."),
    since: Path | None = typer.Option(
        None, "--since", help="An earlier decision (decide --format json, ledger show --format json): show what moved."
    ),
) -> None:
    """Decide the release tier of each candidate under each policy.

    With --format json, prints a JSON array of decision documents (one per candidate and policy).
    With --record, every decision is appended to the ledger first, all or none. With --since, each decision
    is followed by what moved since the earlier decision under the same policy (JSON: decisions and changes).
    """
    day = parse_date(as_of)
    loaded = [load_candidate(path) for path in candidates]
    pairs = []
    fixed = None if "all" in policy else resolve_policies(policy, as_of=day)  # the same for every candidate
    for candidate in loaded:
        left_out: list[tuple[Policy, str]] = []
        chosen = fixed or resolve_policies(policy, as_of=day, candidate=candidate, left_out=left_out)
        pairs += [(candidate, p) for p in chosen]
        if left_out:
            _note_left_out(candidate, day, left_out)
    if not record and since is None:
        _stream(pairs, day, evaluator, as_json=output is OutputFormat.JSON)
        return
    with inputs_frozen():
        decisions = [decide(c, p, as_of=day, evaluator=evaluator.value) for c, p in pairs]
    if record:
        from governance.cli.ledger import record_decisions_cli

        items = [(c, p, d) for (c, p), d in zip(pairs, decisions, strict=True)]
        record_decisions_cli(items, ledger=ledger, actor=actor, key=key)
    if since is not None:
        from governance.cli.since import show_since

        show_since(since, decisions, as_json=output is OutputFormat.JSON)
        return
    _stream_made(decisions, as_json=output is OutputFormat.JSON)


def _stream(
    pairs: list[tuple[Candidate, Policy]], day: dt.date | None, evaluator: EvaluatorName, *, as_json: bool
) -> None:
    """Decide each pair and write its decision before deciding the next; no decision is kept."""
    with inputs_frozen():
        _stream_made((decide(c, p, as_of=day, evaluator=evaluator.value) for c, p in pairs), as_json=as_json)


def _stream_made(decisions: Iterable[Decision], *, as_json: bool) -> None:
    if as_json:
        with JsonArrayWriter(sys.stdout) as writer:
            for decision in decisions:
                writer.write(decision.document(), finite=True)  # it has a canonical JSON form
        return
    from governance.cli._app import console
    from governance.cli.render import render_decision

    for decision in decisions:
        render_decision(decision, console)


def _note_left_out(candidate: Candidate, day: dt.date | None, left_out: list[tuple[Policy, str]]) -> None:
    """Say on stderr which policies ``--policy all`` left out for a candidate, and why."""
    when = f" on {day}" if day is not None else " today"
    lines = [f"--policy all left out {len(left_out)} policy version(s) for {candidate.model.name!r}{when}:"]
    lines += [f"  {policy.ref}: {reason}" for policy, reason in left_out]
    console_note("\n".join(lines))


@app.command("demo")
def demo_command(
    as_of: str | None = as_of_option(),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
    record: bool = typer.Option(False, "--record", help="Record the decisions in the ledger, then verify it."),
    ledger: str | None = typer.Option(
        None, "--ledger", help="Ledger for --record (default $GOVERNANCE_LEDGER or ./governance-ledger.sqlite)."
    ),
) -> None:
    """Decide every shipped example under every shipped policy in force that applies to it: no set-up needed.

    With --record, the decisions are appended to the ledger (created with its signing key if absent) and
    the whole ledger is verified.
    """
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
    recorded = None
    if record:
        from governance.cli.ledger import record_and_verify_demo

        recorded = record_and_verify_demo(
            [(candidates[ci], policies[pi], d) for (ci, pi), d in decisions.items()], ledger
        )
    if output is OutputFormat.JSON:
        print_json([decision.document() for decision in decisions.values()])
        if recorded is not None:
            console_note(recorded)
        return
    from rich.table import Table

    from governance.cli._app import console

    table = Table(title=f"shipped examples under the shipped policies in force on {day}")
    table.add_column("candidate")
    for policy in policies:
        table.add_column(policy.ref, overflow="fold")
    for ci, candidate in enumerate(candidates):
        cells = [_demo_cell(decisions.get((ci, pi))) for pi in range(len(policies))]
        table.add_row(candidate.model.name, *cells)
    console.print(table)
    console.print(
        "n/a: the policy does not apply to the candidate's jurisdictions or developer. "
        "?: the tier rests on missing evidence (a rule not ruled out, or the evidence floor)."
    )
    console.print(f"Details: governance decide <candidate file> --policy <id>   (example files: {folder})")
    if recorded is not None:
        console.print(recorded, markup=False)
