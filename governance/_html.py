"""Rich HTML for notebooks: decisions, comparisons and sweeps as self-contained, escaped fragments.

Jupyter calls ``_repr_html_`` on the last value of a cell. These fragments load nothing (no script,
no stylesheet, no font, no image: inline styles only, so they render offline and in sanitising
viewers such as GitHub's), and every text that comes from a file (model names, rule ids, rationales,
labels, sources) passes through :func:`html.escape`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING

from governance.tiers import Tier

if TYPE_CHECKING:
    from governance.compare.comparison import Comparison
    from governance.compare.sweep import Sweep
    from governance.decision import Decision

__all__ = ["comparison_html", "decision_html", "sweep_html"]

_TIER_COLOUR = {"open": "#1a7f37", "staged": "#9a6700", "restricted": "#cf222e"}
_BOX = "font-family:system-ui,sans-serif;font-size:13px;line-height:1.4;max-width:1100px"
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top"
_SHOWN = 20
"""Rows shown per table before the rest is summarised."""


def _number(value: float | str | None) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, str):
        return value  # "unbounded"
    return f"{value:.3g}" if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3) else f"{value:.4g}"


def _tier(value: Tier | str) -> str:
    text = str(value)
    colour = _TIER_COLOUR.get(text, "inherit")
    return f'<b style="color:{colour}">{escape(text)}</b>'


def _table(title: str, header: Sequence[str], rows: Iterable[Sequence[str]], total: int | None = None) -> str:
    """A table whose cells are already HTML; ``total`` says how many rows exist when only some are shown."""
    head = "".join(f'<th style="{_CELL}">{escape(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(f'<td style="{_CELL}">{cell}</td>' for cell in row) + "</tr>" for row in rows)
    caption = escape(title)
    if total is not None and total > _SHOWN:
        caption += f" (first {_SHOWN} of {total})"
    return (
        f'<table style="border-collapse:collapse;margin:6px 0"><caption style="text-align:left;font-weight:600">'
        f"{caption}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def decision_html(decision: Decision) -> str:
    """One decision: tier, labels, reasons, not-ruled-out rules, obligations, missing evidence, margins."""
    document = decision.document()
    name = escape(decision.model.get("name", "?"))
    ref = escape(f"{decision.policy.id}@{decision.policy.version}")
    parts = [
        f'<div style="{_BOX}"><div><b>{name}</b> under <b>{ref}</b> as of {escape(str(decision.as_of))}: '
        f"{_tier(decision.tier)}</div>"
    ]
    if decision.labels:
        parts.append(f"<div>labels: {escape(', '.join(decision.labels))}</div>")
    if not decision.in_force:
        parts.append(f"<div><b>not in force</b>: {escape(decision.in_force_note or '')}</div>")
    elif decision.in_force_note:
        parts.append(f"<div><b>note</b>: {escape(decision.in_force_note)}</div>")
    reasons = [
        (
            escape(r.rule),
            _tier(r.tier),
            "<br>".join(
                escape(f"{a.feature} {a.op} {_number(a.threshold)} (value {_number(a.value)})")
                for a in r.atoms
                if a.holds
            ),
            escape(r.source.title + (f", {r.source.section}" if r.source.section else "")),
        )
        for r in decision.reasons
    ]
    if reasons:
        parts.append(_table("reasons", ("rule", "tier", "conditions met", "source"), reasons))
    else:
        parts.append("<div>no rule fired on what is known</div>")
    pending = document.get("not_ruled_out", [])
    rows: list[Sequence[str]]
    if pending:
        rows = [
            (
                escape(str(e["rule"])),
                _tier(str(e["tier"])),
                escape(", ".join(e.get("waiting_on", []))),
                escape(str(e.get("settle", ""))),
            )
            for e in pending
        ]
        parts.append(_table("not ruled out (unknown inputs)", ("rule", "tier", "waiting on", "settle by"), rows))
    if decision.obligations:
        rows = [(escape(o.id), escape(o.text)) for o in decision.obligations]
        parts.append(_table("obligations", ("id", "what"), rows))
    if decision.missing_evidence:
        rows = [(escape(m.feature), escape(m.why), "yes" if m.required else "no") for m in decision.missing_evidence]
        parts.append(_table("missing evidence (read as the worst case)", ("feature", "why", "required"), rows))
    if decision.nearest_thresholds:
        rows = [
            (
                escape(n.feature),
                _number(n.value),
                escape(f"{n.op} {_number(n.threshold)}"),
                (n.ratio if isinstance(n.ratio, str) else f"{n.ratio:.3g}x")
                if n.ratio is not None
                else f"+{_number(n.distance)}",
                _tier(n.raises_to),
            )
            for n in decision.nearest_thresholds
        ]
        parts.append(_table("how close to flipping", ("feature", "value", "next threshold", "distance", "gives"), rows))
    parts.append("</div>")
    return "".join(parts)


def comparison_html(comparison: Comparison) -> str:
    """A comparison: counts per tier for each policy, agreement per pair, the first disagreements."""
    population = comparison.population
    parts = [
        f'<div style="{_BOX}"><div><b>{len(population)}</b> models from {escape(population.source)} under '
        f"{len(comparison.outcomes)} policies as of {escape(comparison.as_of.isoformat())}</div>"
    ]
    rows: list[Sequence[str]] = []
    for outcome in comparison.outcomes:
        counts = outcome.tier_counts()
        rows.append(
            (
                escape(outcome.ref),
                "yes" if outcome.in_force else "no",
                *(str(counts[t]) for t in ("open", "staged", "restricted")),
            )
        )
    parts.append(_table("tiers per policy", ("policy", "in force", "open", "staged", "restricted"), rows))
    if comparison.pairs:
        pair_rows = [
            (
                escape(p.left.ref),
                escape(p.right.ref),
                "n/a" if p.share is None else f"{p.share:.1%}",
                "n/a" if p.kappa is None else f"{p.kappa:.3f}",
                str(len(p.disagreements)),
            )
            for p in comparison.pairs
        ]
        parts.append(_table("agreement", ("left", "right", "equal tiers", "kappa", "disagreements"), pair_rows))
        first = comparison.pairs[0]
        shown = first.disagreements[:_SHOWN]
        cells = [
            (
                escape(population.label(int(i))),
                _tier(first.left.tier(int(i))) + escape(f" ({first.left.decided_by(int(i)) or 'no rule'})"),
                _tier(first.right.tier(int(i))) + escape(f" ({first.right.decided_by(int(i)) or 'no rule'})"),
            )
            for i in shown
        ]
        if cells:
            title = f"where {first.left.ref} and {first.right.ref} disagree"
            parts.append(_table(title, ("model", first.left.ref, first.right.ref), cells, len(first.disagreements)))
    parts.append("</div>")
    return "".join(parts)


def sweep_html(sweep: Sweep) -> str:
    """A sweep: counts per tier at each threshold value, and the first models that flip."""
    parts = [
        f'<div style="{_BOX}"><div>sweeping <b>{escape(sweep.parameter)}</b> of <b>{escape(sweep.policy.ref)}</b> '
        f"({escape(sweep.scale)} scale; now {_number(sweep.current)}) over "
        f"{escape(', '.join(sweep.features) or 'no feature')}: {len(sweep.flipping_rows())} model(s) flip</div>"
    ]
    last = len(sweep.values) - 1
    picked = range(last + 1) if last < _SHOWN else sorted({round(k * last / (_SHOWN - 1)) for k in range(_SHOWN)})
    rows = [
        (_number(float(sweep.values[k])), *(str(int(sweep.tier_counts[k, rank])) for rank in range(3))) for k in picked
    ]
    parts.append(_table("models per tier at each value", ("threshold", "open", "staged", "restricted"), rows))
    flips = [
        (str(f.row), _number(f.value), _tier(f.before), _tier(f.after), ">=" if f.inclusive else ">")
        for f in sweep.flips(_SHOWN)
    ]
    if flips:
        header = ("population row", "at threshold", "from", "to", "side")
        parts.append(_table("tier changes as the threshold rises", header, flips, len(sweep.flip_table.rows)))
    parts.append("</div>")
    return "".join(parts)
