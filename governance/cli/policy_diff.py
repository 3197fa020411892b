"""``governance policy diff A B``: what changed between two policy versions."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from governance.cli._app import console, parse_date, print_json
from governance.cli._options import OutputFormat
from governance.cli.policy import policy_app
from governance.compare.policy_diff import Change, diff_policies
from governance.loader import load_policy

# Fields shown for a whole rule, obligation, source or plan step that was added or removed.
_ITEM_SUMMARY = ("tier", "when", "labels", "obligations", "text", "due_within_days", "due_by", "title", "section")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        parts = [f"{key}: {_cell(value[key])}" for key in _ITEM_SUMMARY if value.get(key) not in (None, [], "")]
        return "\n".join(parts)
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _row(change: Change) -> tuple[str, ...]:
    return (
        change.section,
        change.item or "",
        change.field or "",
        change.change,
        escape(_cell(change.before)),
        escape(_cell(change.after)),
    )


@policy_app.command("diff")
def diff_command(
    before: str = typer.Argument(..., help="The older policy: id@version, id or path."),
    after: str = typer.Argument(..., help="The newer policy: id@version, id or path."),
    as_of: str | None = typer.Option(None, "--as-of", help="Resolve bare ids as of this date."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table or json."),
    regions: bool = typer.Option(
        False, "--regions", help="Instead: the exact regions of feature space where the tiers differ, with witnesses."
    ),
) -> None:
    """Show what changed between two policy versions: metadata, dates, thresholds, rules, obligations, sources.

    Exits 0 whether or not they differ; with --format json prints {before, after, identical, changes}.
    With --regions, shows where in feature space the two decide different tiers (as of --as-of, default today).
    """
    day = parse_date(as_of)
    if regions:
        from governance.cli.compare import print_region_diff  # the region diff lives with the comparison commands

        print_region_diff(before, after, day, output is OutputFormat.JSON)
        return
    diff = diff_policies(load_policy(before, as_of=day), load_policy(after, as_of=day))
    if output is OutputFormat.JSON:
        print_json(diff.document())
        return
    head = f"{diff.before.ref} ({diff.before.digest[7:19]}) -> {diff.after.ref} ({diff.after.digest[7:19]})"
    if diff.identical:
        console.print(f"{head}: identical", markup=False)
        return
    table = Table(title=f"{head}: {len(diff.changes)} change(s)", expand=True, title_justify="left")
    for column in ("section", "item", "field", "change", "before", "after"):
        table.add_column(column)
    for change in diff.changes:
        table.add_row(*_row(change))
    console.print(table)
