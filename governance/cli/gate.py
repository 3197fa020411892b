"""``governance gate``: decide, then fail (exit 7) when a policy's tier does not allow the requested release."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from governance import decide
from governance.cli._app import app, console, parse_date, print_json
from governance.cli._options import OutputFormat
from governance.gate import ALLOWED_FORMS, BLOCKED_EXIT_CODE, gate_decisions
from governance.loader import load_candidate, resolve_policies


@app.command("gate")
def gate_command(
    candidate_file: Path = typer.Argument(..., metavar="CANDIDATE", help="The candidate file (YAML or JSON)."),
    policy: list[str] = typer.Option(
        ...,
        "--policy",
        "-p",
        help="Policy id, id@version, path, or 'all' (every policy in force that applies to the candidate). "
        "Repeat for several.",
        show_default=False,
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Decide as of this date (YYYY-MM-DD); default today."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table (lines) or json."),
    record: bool = typer.Option(False, "--record", help="Append the gate's decisions to the ledger first."),
    ledger: str | None = typer.Option(
        None, "--ledger", help="Ledger for --record: SQLite file or postgresql:// URL (default $GOVERNANCE_LEDGER)."
    ),
    actor: str | None = typer.Option(None, "--actor", help="Who records (default $GOVERNANCE_ACTOR or login name)."),
    key: Path | None = typer.Option(None, "--key", help="Signing key for --record (default: beside a SQLite ledger)."),
) -> None:
    """Gate a release in CI: exit 0 only when every policy in force allows the release form the candidate asks for.

    open allows every form; staged allows closed, hosted and api; restricted allows closed and hosted.
    Prints one line per blocking policy with the deciding rule and what would unblock it, and exits 7;
    other failures keep their codes (2 invalid input, 3 invalid policy, 4 engine, 5 ledger).
    """
    day = parse_date(as_of)
    candidate = load_candidate(candidate_file)
    policies = resolve_policies(policy, as_of=day, candidate=candidate)
    decisions = [decide(candidate, p, as_of=day) for p in policies]
    if record:
        from governance.cli.ledger import record_decisions_cli

        record_decisions_cli(
            [(candidate, p, d) for p, d in zip(policies, decisions, strict=True)], ledger=ledger, actor=actor, key=key
        )
    result = gate_decisions(candidate, decisions, policies)
    if output is OutputFormat.JSON:
        print_json(result.document())
    else:
        form = result.form.value
        for decision in result.decisions:
            ref = f"{decision.policy.id}@{decision.policy.version}"
            if decision in result.not_gating:
                console.print(Text(f"skip    {ref}: not in force on {decision.as_of}; not gating"))
            elif decision.tier in ALLOWED_FORMS and result.form in ALLOWED_FORMS[decision.tier]:
                console.print(Text.assemble(("ok", "green"), f"      {ref}: {decision.tier.value} allows {form}"))
        for blocker in result.blockers:
            console.print(Text(blocker.line(), style="red"), soft_wrap=True)
        verdict = "passed" if result.passed else f"blocked by {len(result.blockers)} of {len(result.decisions)}"
        console.print(Text(f"gate {verdict}: {candidate.model.name} asks for {form}"))
    if not result.passed:
        raise typer.Exit(BLOCKED_EXIT_CODE)
