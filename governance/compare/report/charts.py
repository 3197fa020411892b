"""The report's charts, each drawn as an inline SVG from analysis results."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np

from governance.compare.ageing import Ageing
from governance.compare.comparison import TIERS, Comparison
from governance.compare.population import Population
from governance.compare.report.plane import Plane
from governance.compare.report.svg import TIER_COLOURS, TIER_FILLS, Chart, Scale, date_number
from governance.compare.sweep import Sweep

__all__ = [
    "ageing_chart",
    "agreement_chart",
    "matrix_rows",
    "plane_chart",
    "population_points",
    "sweep_chart",
    "tier_counts_chart",
    "tier_matrix_chart",
]

_NAMES = [t.value for t in TIERS]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tier_counts_chart(comparison: Comparison) -> Chart:
    """Stacked bars: the share of models in each tier, per policy."""
    outcomes = comparison.outcomes
    left, bar_width, row = 230, 560, 34
    chart = Chart(
        left + bar_width + 40,
        70 + row * len(outcomes),
        "Models per tier under each policy",
        "Stacked horizontal bars, one per policy: the number of models decided open, staged and restricted.",
    )
    total = max(1, len(comparison.population))
    chart.legend(left, 20, [(TIER_COLOURS[t], t) for t in _NAMES])
    for index, outcome in enumerate(outcomes):
        y = 40 + index * row
        note = "" if outcome.in_force else " (not in force)"
        chart.text(left - 8, y + 15, _short(outcome.ref, 34) + note, anchor="end", size=11)
        x = float(left)
        for tier, count in outcome.tier_counts().items():
            width = bar_width * count / total
            chart.rect(x, y, width, 22, TIER_COLOURS[tier], title=f"{outcome.ref}: {count} {tier}")
            if width > 34:
                chart.text(x + width / 2, y + 15, f"{count}", anchor="middle", size=10, fill="#fff", weight="bold")
            x += width
    chart.text(left, 58 + row * len(outcomes), f"{len(comparison.population)} models", size=10, fill="#555")
    return chart


def agreement_chart(comparison: Comparison) -> Chart:
    """A heatmap of pairwise agreement (share of equal tiers), with Cohen's kappa in each cell."""
    refs = [o.ref for o in comparison.outcomes]
    cell, left, top = 70, 220, 150
    chart = Chart(
        left + cell * len(refs) + 170,
        top + cell * len(refs) + 30,
        "Agreement between policies",
        "Each cell: the share of models given the same tier by the two policies, and Cohen's kappa.",
    )
    lookup = {(p.left.ref, p.right.ref): p for p in comparison.pairs}
    for j, ref in enumerate(refs):
        chart.text(left + j * cell + cell / 2, top - 8, _short(ref, 26), size=10, anchor="start", rotate=-40)
    for i, row_ref in enumerate(refs):
        chart.text(left - 8, top + i * cell + cell / 2 + 4, _short(row_ref, 32), anchor="end", size=10)
        for j, column_ref in enumerate(refs):
            x, y = left + j * cell, top + i * cell
            if i == j:
                chart.rect(x, y, cell - 2, cell - 2, "#eeeeee")
                continue
            pair = lookup.get((row_ref, column_ref)) or lookup.get((column_ref, row_ref))
            assert pair is not None
            share = pair.share or 0.0
            shade = int(240 - 140 * share)
            colour = f"#{shade:02x}{shade:02x}ff"
            kappa = "κ n/a" if pair.kappa is None else f"κ {pair.kappa:.2f}"
            chart.rect(x, y, cell - 2, cell - 2, colour, title=f"{row_ref} vs {column_ref}: {share:.1%} agree, {kappa}")
            chart.text(x + cell / 2, y + cell / 2 - 2, f"{share:.0%}", anchor="middle", size=12, weight="bold")
            chart.text(x + cell / 2, y + cell / 2 + 14, kappa, anchor="middle", size=10)
    return chart


def matrix_rows(comparison: Comparison, limit: int = 150) -> list[int]:
    """Rows for the tier matrix: every row when few; else disagreements first, by compute, up to ``limit``."""
    population = comparison.population
    n = len(population)
    compute = np.where(np.isnan(population.training_flop), np.inf, population.training_flop)
    order = np.argsort(-compute, kind="stable")
    if n <= limit:
        return [int(i) for i in order]
    disagree = np.zeros(n, dtype=np.bool_)
    for pair in comparison.pairs:
        disagree[pair.disagreements] = True
    first = [int(i) for i in order if disagree[i]][:limit]
    rest = [int(i) for i in order if not disagree[i]][: limit - len(first)]
    return first + rest


def tier_matrix_chart(comparison: Comparison, rows: Sequence[int]) -> Chart:
    """Models down, policies across, each cell coloured by the tier the policy decides."""
    population = comparison.population
    refs = [o.ref for o in comparison.outcomes]
    cell_w, cell_h, left, top = 92, 18, 300, 130
    chart = Chart(
        left + cell_w * len(refs) + 160,
        top + cell_h * len(rows) + 40,
        "Tier of each model under each policy",
        "Rows are models (sorted by training compute, largest first), columns are policies; "
        "each cell is the tier: open (green), staged (amber) or restricted (red); a pale cell marked ? is a "
        "tier that rests on missing evidence (a rule not ruled out, or the evidence floor), not on a finding.",
    )
    chart.legend(
        left, 18, [*((TIER_COLOURS[t], t) for t in _NAMES), (TIER_FILLS["restricted"], "? rests on missing evidence")]
    )
    for j, ref in enumerate(refs):
        chart.text(left + j * cell_w + cell_w / 2, top - 8, _short(ref, 26), size=10, rotate=-35)
    for i, row in enumerate(rows):
        y = top + i * cell_h
        flop = population.training_flop[row]
        compute = "unknown" if math.isnan(flop) else f"{flop:.2g}"
        chart.text(left - 8, y + 13, f"{_short(population.label(row), 34)}  ({compute})", anchor="end", size=10)
        for j, outcome in enumerate(comparison.outcomes):
            tier = outcome.tier(row).value
            rule = outcome.deciding_text(row)
            missing = bool(outcome.rests_on_missing_evidence[row])
            basis = "; rests on missing evidence, not ruled out: " + ", ".join(outcome.not_ruled_out_rules(row))
            chart.rect(
                left + j * cell_w,
                y,
                cell_w - 2,
                cell_h - 2,
                TIER_FILLS[tier] if missing else TIER_COLOURS[tier],
                title=f"{population.label(row)} under {outcome.ref}: {tier} ({rule}{basis if missing else ''})",
            )
            text, colour = (f"{tier} ?", TIER_COLOURS[tier]) if missing else (tier, "#fff")
            chart.text(left + j * cell_w + cell_w / 2, y + 12, text, anchor="middle", size=9, fill=colour)
    if len(rows) < len(population):
        chart.text(left, top + cell_h * len(rows) + 22, f"showing {len(rows)} of {len(population)} models", size=10)
    return chart


_LABEL_COLOURS = ("#1565c0", "#6a1b9a", "#00838f", "#5d4037")


def sweep_chart(sweep: Sweep) -> Chart:
    """Models per tier (solid) and per label that changes (dashed) as the threshold moves."""
    left, top, width, height = 80, 56, 620, 300
    moving = [label for label, counts in sweep.label_counts.items() if int(counts.max()) != int(counts.min())]
    moving = moving[: len(_LABEL_COLOURS)]
    chart = Chart(
        left + width + 40,
        top + height + 70,
        f"Sweep of {sweep.parameter} in {sweep.policy.ref}",
        f"Number of models per tier (solid) and per label (dashed) as {sweep.parameter} moves from "
        f"{sweep.values[0]:g} to {sweep.values[-1]:g}.",
    )
    x = Scale(float(sweep.values[0]), float(sweep.values[-1]), left, left + width, log=sweep.scale == "log")
    highest = [int(sweep.tier_counts.max()), *(int(sweep.label_counts[k].max()) for k in moving)]
    y = Scale(0, max(1, *highest), top + height, top)
    chart.grid_y(y, left, left + width)
    chart.axis_x(x, top + height, f"{sweep.parameter} ({'log scale' if x.log else 'linear'})")
    chart.axis_y(y, left, "models")
    for tier in TIERS:
        counts = sweep.tier_counts[:, tier.rank]
        points = [(x(float(v)), y(float(c))) for v, c in zip(sweep.values, counts, strict=True)]
        chart.polyline(points, TIER_COLOURS[tier.value], 2.5)
        for px, py in points:
            chart.circle(px, py, 2.5, TIER_COLOURS[tier.value], stroke="none")
    for colour, label in zip(_LABEL_COLOURS, moving, strict=False):
        counts = sweep.label_counts[label]
        chart.polyline(
            [(x(float(v)), y(float(c))) for v, c in zip(sweep.values, counts, strict=True)], colour, 1.8, "6 3"
        )
    current = sweep.current
    if x.low <= current <= x.high:
        cx = x(current)
        chart.line(cx, top, cx, top + height, "#333", 1.2, "5 4")
        chart.text(cx + 4, top + 12, f"policy value {current:g}", size=10)
    chart.legend(left, 20, [(TIER_COLOURS[t], t) for t in _NAMES])
    if moving:
        chart.legend(
            left, 38, [(c, f"label {k}") for c, k in zip(_LABEL_COLOURS, moving, strict=False)], dash=["6 3"] * 4
        )
    return chart


def population_points(population: Population, limit: int = 2000) -> list[int]:
    """Rows to plot: all when few, else evenly spaced rows."""
    n = len(population)
    if n <= limit:
        return list(range(n))
    return [int(i) for i in np.linspace(0, n - 1, limit).round().astype(int)]


def plane_chart(plane: Plane, population: Population, tiers: np.ndarray, rows: Sequence[int]) -> Chart:
    """The policy's tier over (compute, capability), with the population's models on top."""
    left, top, width, height, strip = 80, 60, 600, 300, 22
    chart = Chart(
        left + width + strip + 40,
        top + height + strip + 80,
        f"Decision regions of {plane.policy.ref}",
        f"Tier over training compute (log) and a capability score shared by every risk domain, for a release as "
        f"{plane.form.value} decided on {plane.as_of}; dots are the population's models coloured by their own tier.",
    )
    x = Scale(plane.flop_range[0], plane.flop_range[1], left, left + width, log=True)
    y = Scale(0.0, 1.0, top + strip + height, top + strip)
    cols, rws = len(plane.flops), len(plane.scores)
    cw, ch = width / cols, height / rws
    for i in range(rws):
        yy = top + strip + height - (i + 1) * ch
        j = 0
        while j < cols:
            k = j
            while k + 1 < cols and plane.tiers[i, k + 1] == plane.tiers[i, j]:
                k += 1
            tier = _NAMES[int(plane.tiers[i, j])]
            chart.rect(left + j * cw, yy, (k - j + 1) * cw + 0.3, ch + 0.3, TIER_FILLS[tier])
            j = k + 1
    for j in range(cols):
        tier = _NAMES[int(plane.unknown_capability[j])]
        chart.rect(left + j * cw, top, cw + 0.3, strip - 2, TIER_FILLS[tier])
    for i in range(rws):
        tier = _NAMES[int(plane.unknown_compute[i])]
        chart.rect(left + width + 2, top + strip + height - (i + 1) * ch, strip - 2, ch + 0.3, TIER_FILLS[tier])
    chart.rect(left + width + 2, top, strip - 2, strip - 2, TIER_FILLS[_NAMES[plane.unknown_both]])
    chart.text(left - 4, top + 14, "unknown", anchor="end", size=9)
    chart.text(left + width + strip / 2, top + strip + height + 14, "?", anchor="middle", size=10)
    chart.axis_x(x, top + strip + height, "training compute, FLOP (log scale; ? = unknown)")
    chart.axis_y(y, left, "capability score (every domain)")
    plotted = 0
    for row in rows:
        flop = population.training_flop[row]
        if math.isnan(flop):
            flop = population.training_flop_upper[row]
        known = [float(v[row]) for v in population.capabilities.values() if not math.isnan(float(v[row]))]
        score = max(known) if known else None
        px = x(min(max(flop, plane.flop_range[0]), plane.flop_range[1])) if not math.isnan(flop) else None
        if px is None:
            px = left + width + strip / 2
        py = top + strip / 2 if score is None else y(score)
        tier = _NAMES[int(tiers[row])]
        compute = "unknown" if math.isnan(flop) else f"{flop:.3g} FLOP"
        capability = "unknown" if score is None else f"{score:.2f}"
        chart.circle(
            px,
            py,
            3.6,
            TIER_COLOURS[tier],
            title=f"{population.label(row)}: {compute}, capability {capability}, {tier}",
        )
        plotted += 1
    chart.legend(
        left,
        24,
        [(TIER_FILLS[t], f"region {t}") for t in _NAMES] + [(TIER_COLOURS[t], f"model {t}") for t in _NAMES],
        dash=["band", "band", "band", "dot", "dot", "dot"],
    )
    chart.text(left, top + strip + height + 66, f"{plotted} of {len(population)} models plotted", size=10, fill="#555")
    return chart


def ageing_chart(ageing: Ageing, population: Population) -> Chart:
    """The capability-equivalent compute line over time, its uncertainty band, and the models."""
    left, top, width, height = 90, 40, 620, 320
    years = ageing.years
    start, end = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)
    chart = Chart(
        left + width + 40,
        top + height + 80,
        f"How the {ageing.threshold.value:g} FLOP line of {ageing.policy.ref} ages",
        "Raw training compute matching the threshold's capability at each date, for halving times of "
        f"{ageing.fast.halving_months:g} to {ageing.slow.halving_months:g} months (band) and "
        f"{ageing.central.halving_months:g} months (line); dots are models at their release date.",
    )
    x = Scale(date_number(start), date_number(end), left, left + width)
    months = [dt.date(y, m, 1) for y in range(years[0], years[-1] + 1) for m in (1, 4, 7, 10)] + [end]

    def line_at(day: dt.date, halving: float) -> float:
        elapsed = (day - ageing.reference_date).days / (365.2425 / 12)
        return float(ageing.threshold.value / 2.0 ** (elapsed / halving))

    values = [line_at(d, h) for d in months for h in (ageing.fast.halving_months, ageing.slow.halving_months)]
    points: list[tuple[int, dt.date, float]] = []
    for row in population_points(population):
        flop = float(ageing.compute[row])
        day = population.release[row]
        if math.isfinite(flop) and not np.isnat(day):
            when = day.astype("datetime64[D]").astype(dt.date)
            if start <= when <= end:
                points.append((row, when, flop))
    low = min([*values, *(p[2] for p in points)])
    high = max([*values, *(p[2] for p in points)])
    y = Scale(10 ** math.floor(math.log10(low)), 10 ** math.ceil(math.log10(high)), top + height, top, log=True)
    chart.grid_y(y, left, left + width)
    upper = [(x(date_number(d)), y(line_at(d, ageing.slow.halving_months))) for d in months]
    lower = [(x(date_number(d)), y(line_at(d, ageing.fast.halving_months))) for d in months]
    chart.polygon(upper + lower[::-1], "#5c6bc0", 0.22)
    chart.polyline([(x(date_number(d)), y(line_at(d, ageing.central.halving_months))) for d in months], "#283593", 2.5)
    fixed = y(ageing.threshold.value)
    chart.line(left, fixed, left + width, fixed, "#c62828", 1.5, "6 4")
    chart.axis_x(x, top + height, "date", x.year_ticks())
    chart.axis_y(y, left, "training compute, FLOP")
    reference = x(date_number(ageing.reference_date))
    chart.line(reference, top, reference, top + height, "#777", 1, "2 3")
    chart.text(reference + 3, top + height - 6, f"reference {ageing.reference_date}", size=9, fill="#555")
    tenfold = ageing.central.tenfold
    if start <= tenfold <= end:
        tx = x(date_number(tenfold))
        chart.line(tx, top, tx, top + height, "#283593", 1, "2 3")
        chart.text(tx + 3, top + 12, f"tenfold by {tenfold}", size=9, fill="#283593")
    for row, when, flop in points:
        chart.circle(
            x(date_number(when)),
            y(flop),
            3.2,
            "#424242",
            title=f"{population.label(row)}: {flop:.3g} FLOP, released {population.release_text.value(row) or when}",
        )
    chart.legend(
        left,
        20,
        [
            ("#283593", f"{ageing.central.halving_months:g}-month halving"),
            ("#5c6bc0", f"{ageing.fast.halving_months:g} to {ageing.slow.halving_months:g} months"),
            ("#c62828", "unadjusted line"),
            ("#424242", "model"),
        ],
        dash=["", "band", "6 4", "dot"],
    )
    return chart
