"""Readable renderings of decisions for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from governance._text import display
from governance.decision import AtomResult, Decision
from governance.tiers import Tier

__all__ = ["format_number", "print_keyed_rows", "render_decision", "section_table", "tier_text"]

_TIER_STYLE = {Tier.OPEN: "bold green", Tier.STAGED: "bold yellow", Tier.RESTRICTED: "bold red"}


def section_table(title: str, *columns: str) -> Table:
    """A full-width table whose cells wrap (never cut) long ids and texts."""
    table = Table(title=title, expand=True, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _longest_word(cell: str | Text) -> int:
    words = str(cell).split()
    return max((len(word) for word in words), default=0)


def print_keyed_rows(
    console: Console, title: str, columns: Sequence[str], rows: Sequence[Sequence[str | Text]], key: str
) -> None:
    """Rows whose ``key`` column holds ids to copy (decision ids): never broken across lines.

    When the console is wide enough for every id on one line and no other word cut, a table with the
    key column last; otherwise each row as a block: ``key id`` on its own line, then the other fields
    (a terminal of 80 columns cannot hold a 36-character id beside seven other columns).
    """
    index = list(columns).index(key)
    others = [i for i in range(len(columns)) if i != index]
    key_width = max([len(key), *(len(str(row[index])) for row in rows)])
    words = {i: max([_longest_word(columns[i]), *(_longest_word(row[i]) for row in rows)]) for i in others}
    if key_width + sum(words.values()) + 3 * len(columns) + 1 <= console.width:
        table = Table(title=title)
        for i in others:
            table.add_column(columns[i], overflow="fold")
        table.add_column(key, no_wrap=True, min_width=key_width)
        for row in rows:
            table.add_row(*(row[i] for i in others), row[index])
        console.print(table)
        return
    console.print(Text(title, style="italic"))
    for row in rows:
        console.print(Text.assemble((f"{key} ", "dim"), (display(str(row[index])), "bold")), soft_wrap=True)
        fields = Text("  ")
        for position, i in enumerate(others):
            if position:
                fields.append("  ·  ", style="dim")
            fields.append(f"{columns[i]} ", style="dim")
            fields.append(row[i] if isinstance(row[i], Text) else Text(display(str(row[i]))))
        console.print(fields)


def tier_text(tier: Tier) -> Text:
    """The tier name, coloured."""
    return Text(tier.value, style=_TIER_STYLE[tier])


def format_number(value: float | str | None) -> str:
    """A compact form: scientific for large or tiny magnitudes, up to 4 significant digits otherwise."""
    if value is None:
        return "unknown"
    if isinstance(value, str):
        return value  # "unbounded": too large for a number, said in words
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:.4g}"


def _times(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.3g}x"


def _atom(atom: AtomResult) -> str:
    value = format_number(atom.value)
    text = f"{atom.feature} {atom.op} {format_number(atom.threshold)} (value {value}"
    if atom.ratio is not None:
        text += f", {_times(atom.ratio)}"
    elif atom.margin is not None:
        text += ", margin " + (atom.margin if isinstance(atom.margin, str) else f"{atom.margin:+.3g}")
    return text + (")" if atom.holds else ", not met)")


def render_decision(decision: Decision, console: Console) -> None:
    """Print one decision as a panel with its reasons, obligations, missing evidence and margins."""
    title = Text.assemble(
        (display(str(decision.model.get("name", "?"))), "bold"),
        "  under  ",
        (f"{decision.policy.id}@{decision.policy.version}", "bold"),
        "  as of ",
        str(decision.as_of),
    )
    parts: list[Table | Text] = [Text.assemble("tier: ", tier_text(decision.tier))]
    if decision.labels:
        parts.append(Text(display("labels: " + ", ".join(decision.labels))))
    if not decision.in_force and decision.in_force_note:
        parts.append(Text(display("NOT IN FORCE: " + decision.in_force_note), style="bold magenta"))
    elif decision.in_force_note:
        parts.append(Text(display("NOTE: " + decision.in_force_note), style="magenta"))

    if decision.reasons:
        reasons = section_table("reasons", "rule", "tier", "conditions met", "source")
        for reason in decision.reasons:
            atoms = "\n".join(_atom(a) for a in reason.atoms if a.holds)
            source = reason.source.title + (f", {reason.source.section}" if reason.source.section else "")
            reasons.add_row(reason.rule, tier_text(reason.tier), atoms, source)
        parts.append(reasons)
    elif not decision.not_ruled_out:
        parts.append(Text("no rule fired: every input the policy reads is below its thresholds"))

    if decision.not_ruled_out:
        waiting = section_table(
            "not ruled out: supply evidence to settle (the tier stays raised until then)",
            "rule",
            "tier",
            "waiting on",
            "settle with",
        )
        for pending in decision.not_ruled_out:
            rule = pending.rule + (" (treated as crossed)" if pending.finding else "")
            waiting.add_row(rule, tier_text(pending.tier), "\n".join(pending.waiting_on), pending.settle)
        parts.append(waiting)
        if decision.tier_on_evidence is not None and decision.tier > decision.tier_on_evidence:
            parts.append(
                Text(
                    f"this tier rests on missing evidence: the evidence given alone gives "
                    f"{decision.tier_on_evidence.value}",
                    style="magenta",
                )
            )

    if decision.obligations:
        duties = section_table("obligations", "id", "what", "due")
        for duty in decision.obligations:
            due = []
            if duty.due_within_days is not None:
                due.append(f"within {duty.due_within_days} days")
            if duty.due_by is not None:
                due.append(f"by {duty.due_by}")
            duties.add_row(duty.id, duty.text, ", ".join(due))
        parts.append(duties)

    if decision.missing_evidence:
        missing = section_table("missing evidence (read as the worst case)", "feature", "why", "required")
        for item in decision.missing_evidence:
            missing.add_row(item.feature, item.why, "yes" if item.required else "no")
        parts.append(missing)

    if decision.evidence:
        evidence = section_table("capability evidence per domain", "domain", "read from", "bound", "why")
        for domain in sorted(decision.evidence):
            entry = decision.evidence[domain]
            chosen = entry.get("chosen") or {}
            bound = chosen.get("normalised", {}).get("upper")
            source = f"{chosen.get('suite', chosen.get('benchmark', ''))}" if chosen else str(entry.get("used", ""))
            evidence.add_row(domain, source, format_number(bound), str(entry.get("why", "")))
        parts.append(evidence)

    if decision.interval_resolutions:
        intervals = section_table(
            "thresholds inside an input's interval", "feature", "threshold", "interval", "resolved"
        )
        for res in decision.interval_resolutions:
            interval = f"[{format_number(res.lower)}, {format_number(res.upper)}]"
            intervals.add_row(res.feature, format_number(res.threshold), interval, f"{res.resolved} ({res.stance})")
        parts.append(intervals)

    if decision.nearest_thresholds:
        near = section_table(
            "how close to flipping (one feature at a time)",
            "feature",
            "value",
            "next threshold",
            "distance",
            "would give",
        )
        for nearest in decision.nearest_thresholds:
            distance = _times(nearest.ratio) if nearest.ratio is not None else f"+{format_number(nearest.distance)}"
            near.add_row(
                nearest.feature,
                format_number(nearest.value),
                f"{nearest.op} {format_number(nearest.threshold)}",
                distance,
                tier_text(nearest.raises_to),
            )
        parts.append(near)

    if decision.plan:
        plan = section_table("staged plan", "step", "access", "gate", "min days")
        for step in decision.plan:
            plan.add_row(step.id, step.access, step.gate, "" if step.min_days is None else str(step.min_days))
        parts.append(plan)

    console.print(Panel(Group(*parts), title=title, title_align="left"))
