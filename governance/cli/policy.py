"""``governance policy list | show | check``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from governance.cli._app import app, console, console_note, parse_date, print_json
from governance.cli._options import OutputFormat
from governance.cli.render import format_number
from governance.exceptions import PolicyError
from governance.loader import discover_policies, load_policy, parse_policy, plugin_failures, released_digests
from governance.policy import Atom, Condition, Policy, PolicyKind

policy_app = typer.Typer(help="List, show and check policies.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


def _summary(policy: Policy, origin: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": policy.id,
        "version": policy.version,
        "digest": policy.digest,
        "kind": policy.kind.value,
        "title": policy.title,
        "jurisdiction": policy.jurisdiction,
        "effective_from": policy.effective.start.isoformat(),
        "effective_to": policy.effective.end.isoformat() if policy.effective.end else None,
        "rules": len(policy.rules),
    }
    if origin is not None:
        out["origin"] = origin
    return out


def condition_text(item: Atom | Condition, policy: Policy) -> str:
    """A one-line rendering of a condition, with parameter names shown beside their values."""
    if isinstance(item, Atom):
        value = format_number(policy.threshold(item))
        return f"{item.feature} {item.op} {value}" + (f" [{item.param}]" if item.param else "")
    joiner = " AND " if item.kind == "all" else " OR "
    inner = joiner.join(condition_text(sub, policy) for sub in item.items)
    return f"({inner})" if len(item.items) > 1 else inner


@policy_app.command("list")
def list_command(
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """List every available policy version (shipped, on GOVERNANCE_POLICY_PATH, and with --plugins, plugins)."""
    entries = discover_policies()
    for failure in plugin_failures():
        console_note(f"skipped: {failure}")
    if output is OutputFormat.JSON:
        print_json([_summary(e.policy, e.origin) for e in entries])
        return
    table = Table(title="policies")
    for column in ("id", "version", "kind", "jurisdiction", "in force", "title", "digest"):
        table.add_column(column)
    for entry in entries:
        p = entry.policy
        period = f"{p.effective.start} .. {p.effective.end or ''}"
        table.add_row(p.id, p.version, p.kind.value, p.jurisdiction, period, p.title, p.digest[7:19])
    console.print(table)


@policy_app.command("show")
def show_command(
    ref: str = typer.Argument(..., help="Policy id, id@version or path."),
    as_of: str | None = typer.Option(None, "--as-of", help="Resolve a bare id as of this date."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """Show a policy: identity, sources, and each rule with the source it cites."""
    policy = load_policy(ref, as_of=parse_date(as_of))
    if output is OutputFormat.JSON:
        print_json({**_summary(policy), "document": policy.document()})
        return
    console.print(f"[bold]{policy.ref}[/bold]  {policy.title}")
    console.print(f"kind {policy.kind.value}, jurisdiction {policy.jurisdiction}, digest {policy.digest}")
    if policy.kind is PolicyKind.PROPOSAL:
        period = f"never in force (a proposal; dated {policy.effective.start})"
    else:
        period = f"in force from {policy.effective.start} to {policy.effective.end or 'no end date'}"
    console.print(period + (f" ({policy.effective.note})" if policy.effective.note else ""), markup=False)
    if policy.summary:
        console.print(policy.summary, markup=False)
    for note in policy.interpretation:
        console.print(f"  interpretation: {note}", markup=False)
    rules = Table(title="rules", expand=True, title_justify="left")
    for column in ("rule", "tier", "when", "labels", "obligations", "source"):
        rules.add_column(column)
    for rule in policy.rules:
        source = policy.sources_by_id.get(rule.source)
        cited = rule.source if source is None else source.title + (f", {source.section}" if source.section else "")
        if source is not None and source.url:
            cited += f"\n{source.url}"
        rules.add_row(
            rule.id,
            rule.tier.value,
            escape(condition_text(rule.when, policy)),
            ", ".join(rule.labels),
            ", ".join(rule.obligations),
            escape(cited),
        )
    console.print(rules)
    if policy.obligations:
        duties = Table(title="obligations", expand=True, title_justify="left")
        for column in ("id", "text", "due", "source"):
            duties.add_column(column)
        for duty in policy.obligations:
            source = policy.sources_by_id.get(duty.source)
            due = [f"within {duty.due_within_days} days"] if duty.due_within_days is not None else []
            due += [f"by {duty.due_by}"] if duty.due_by is not None else []
            cited = duty.source if source is None else source.title
            if source is not None and source.section:
                cited += f", {source.section}"
            duties.add_row(duty.id, escape(duty.text), ", ".join(due), escape(cited))
        console.print(duties)
    sources = Table(title="sources", expand=True, title_justify="left")
    for column in ("id", "title", "section", "url"):
        sources.add_column(column)
    for cited_source in policy.sources:
        sources.add_row(
            cited_source.id,
            escape(cited_source.title),
            escape(cited_source.section or ""),
            escape(cited_source.url or ""),
        )
    console.print(sources)


@policy_app.command("check")
def check_command(
    paths: list[Path] = typer.Argument(..., help="policy.yaml files or bundle folders.", show_default=False),
) -> None:
    """Validate policies: schema and static checks; every problem is listed with file and line."""
    failures = 0
    for path in paths:
        file = path / "policy.yaml" if path.is_dir() else path
        try:
            policy = parse_policy(file, released=released_digests(file.parent.parent.parent))
        except PolicyError as exc:
            failures += 1
            console.print(f"[red]FAIL[/red] {file}: {len(exc.problems) or 1} problem(s)")
            for problem in exc.problems or (exc.message,):
                console.print(f"  {problem}", markup=False)
            continue
        console.print(f"[green]ok[/green]   {file}: {policy.ref} {policy.digest}")
    if failures:
        raise typer.Exit(3)
