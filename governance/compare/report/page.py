"""The report page: one self-contained HTML file, charts inline, nothing fetched at view time.

The page carries a Content-Security-Policy that forbids every network request (``default-src
'none'``, with inline styles and scripts and ``data:``/``blob:`` images allowed), so even a mistake
could not make it fetch anything. Its small inline script exports each chart as SVG (the chart's
own markup) or PNG (the SVG drawn on a canvas), and on load checks itself: every chart drawn, the
PNG path working, no request blocked. It writes the outcome into ``<body data-report-status>`` and a
visible line at the foot of the page; the tests read it from a real headless Chromium.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from governance.compare.ageing import Ageing
from governance.compare.comparison import Comparison
from governance.compare.report.charts import (
    ageing_chart,
    agreement_chart,
    matrix_rows,
    plane_chart,
    population_points,
    sweep_chart,
    tier_counts_chart,
    tier_matrix_chart,
)
from governance.compare.report.plane import Plane
from governance.compare.report.svg import TIER_COLOURS, Chart
from governance.compare.sweep import Sweep
from governance.engine import ENGINE_VERSION

__all__ = ["CSP", "ReportContent", "render_report"]

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data: blob:; "
    "base-uri 'none'; form-action 'none'"
)
"""The page's Content-Security-Policy: no request of any kind leaves the page."""

_STYLE = """
body{font-family:Helvetica,Arial,sans-serif;color:#222;margin:0;background:#f6f6f4;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:20px;margin:36px 0 8px;border-bottom:2px solid #ddd;padding-bottom:4px}
h3{font-size:16px;margin:24px 0 6px}p.lead{color:#555;margin-top:0}.note{color:#555;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:8px 0 16px;width:100%}
th,td{border-bottom:1px solid #e2e2e2;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f1ee;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.tier{display:inline-block;padding:0 7px;border-radius:9px;color:#fff;font-size:12px;font-weight:600}
figure.chart{margin:14px 0 22px;overflow-x:auto}figure.chart figcaption{font-size:13px;color:#444;max-width:900px}
.tools{margin:4px 0}.tools button{font-size:12px;margin-right:6px;padding:2px 9px;border:1px solid #bbb;
background:#fafafa;border-radius:4px;cursor:pointer}
#report-status{font-size:12px;color:#555;border-top:1px solid #ddd;padding-top:8px;margin-top:40px}
code{background:#f3f3f3;padding:0 3px;border-radius:3px}
"""

_SCRIPT = """
(function () {
  'use strict';
  var blocked = 0;
  document.addEventListener('securitypolicyviolation', function () { blocked += 1; });
  function markup(svg) { return new XMLSerializer().serializeToString(svg); }
  function base64(text) {
    var bytes = new TextEncoder().encode(text), out = '';
    for (var i = 0; i < bytes.length; i++) { out += String.fromCharCode(bytes[i]); }
    return btoa(out);
  }
  function save(blob, name) {
    var link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 2000);
  }
  function toCanvas(svg, scale, done, fail) {
    var box = svg.viewBox.baseVal, image = new Image();
    image.onload = function () {
      var canvas = document.createElement('canvas');
      canvas.width = Math.round(box.width * scale);
      canvas.height = Math.round(box.height * scale);
      var context = canvas.getContext('2d');
      context.fillStyle = '#ffffff';
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      done(canvas);
    };
    image.onerror = fail;
    image.src = 'data:image/svg+xml;base64,' + base64(markup(svg));
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest('button[data-export]');
    if (!button) { return; }
    var svg = document.getElementById(button.getAttribute('data-chart'));
    var name = button.getAttribute('data-chart');
    if (button.getAttribute('data-export') === 'svg') {
      save(new Blob([markup(svg)], {type: 'image/svg+xml'}), name + '.svg');
    } else {
      toCanvas(svg, 2, function (canvas) {
        canvas.toBlob(function (blob) { save(blob, name + '.png'); }, 'image/png');
      }, function () { window.alert('PNG export failed'); });
    }
  });
  function check() {
    var charts = document.querySelectorAll('svg.chart-svg'), drawn = 0;
    charts.forEach(function (svg) {
      var box = svg.getBBox(), marks = svg.querySelectorAll('rect,circle,polyline,polygon,line').length;
      if (box.width > 0 && box.height > 0 && marks > 2) { drawn += 1; }
    });
    function finish(png) {
      var body = document.body, ok = charts.length > 0 && drawn === charts.length && png === 'ok' && blocked === 0;
      body.setAttribute('data-charts', String(charts.length));
      body.setAttribute('data-drawn', String(drawn));
      body.setAttribute('data-png', png);
      body.setAttribute('data-blocked', String(blocked));
      body.setAttribute('data-report-status', ok ? 'ok' : 'failed');
      document.getElementById('report-status').textContent = 'Self-check: ' + drawn + ' of ' + charts.length +
        ' charts drawn; PNG export ' + png + '; ' + blocked + ' blocked request(s); nothing is fetched.';
    }
    if (!charts.length) { finish('none'); return; }
    toCanvas(charts[0], 1, function (canvas) {
      var data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data, inked = 0;
      for (var i = 0; i < data.length; i += 4) {
        if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) { inked += 1; }
      }
      finish(inked > 50 ? 'ok' : 'blank');
    }, function () { finish('failed'); });
  }
  if (document.readyState === 'complete') { check(); } else { window.addEventListener('load', check); }
})();
"""


@dataclass
class ReportContent:
    """What goes into a report: a comparison and the analyses drawn beside it."""

    comparison: Comparison
    sweeps: Sequence[Sweep] = ()
    ageings: Sequence[Ageing] = ()
    planes: Sequence[Plane] = ()
    title: str = "Policy comparison"
    limit: int = 200
    """Rows shown per table."""
    notes: list[str] = field(default_factory=list)


def _tier(value: str | None) -> str:
    if value is None:
        return ""
    colour = TIER_COLOURS.get(value, "#666")
    return f'<span class="tier" style="background:{colour}">{escape(value)}</span>'


def _figure(chart: Chart, ident: str, caption: str) -> str:
    return (
        f'<figure class="chart" id="fig-{ident}">{chart.render(ident)}'
        f'<div class="tools"><button type="button" data-export="svg" data-chart="{ident}">Download SVG</button>'
        f'<button type="button" data-export="png" data-chart="{ident}">Download PNG</button></div>'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    return f"{value:.3g}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _header(content: ReportContent) -> str:
    comparison = content.comparison
    population = comparison.population
    described = population.describe()
    policies = _table(
        ["policy", "title", "kind", "jurisdiction", "in force", "digest"],
        [
            [
                f"<code>{escape(o.ref)}</code>",
                escape(o.policy.title),
                escape(o.policy.kind.value),
                escape(o.policy.jurisdiction),
                "yes" if o.in_force else "no",
                f"<code>{escape(o.policy.digest[7:19])}</code>",
            ]
            for o in comparison.outcomes
        ],
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in [*population.notes, *content.notes])
    return (
        f"<h1>{escape(content.title)}</h1>"
        f'<p class="lead">{len(population)} models from <code>{escape(population.source)}</code> under '
        f"{len(comparison.outcomes)} policies, decided as of {comparison.as_of.isoformat()}. "
        f"Training compute unknown for {described['compute_unknown']} model(s); unknowns are never read as below "
        "a threshold: a rule that waits on one raises the tier (fail closed) but is no finding.</p>"
        f"<h2>Policies</h2>{policies}"
        + (f"<h3>Reading the population</h3><ul class='note'>{notes}</ul>" if notes else "")
    )


def _summary(content: ReportContent) -> str:
    comparison = content.comparison
    parts = [
        "<h2>Summary</h2>",
        _figure(
            tier_counts_chart(comparison),
            "tier-counts",
            "How many models each policy puts in each tier. A policy not in force on the date is marked; its "
            "tiers show what it would decide.",
        ),
    ]
    if comparison.pairs:
        parts.append(
            _figure(
                agreement_chart(comparison),
                "agreement",
                "Agreement between each pair of policies: the share of models given the same tier, and Cohen's "
                "kappa (agreement beyond what the two policies' tier shares would give by chance; 1 is perfect, "
                "0 is chance, n/a when both policies give every model the same tier).",
            )
        )
        rows = [
            [
                f"<code>{escape(p.left.ref)}</code>",
                f"<code>{escape(p.right.ref)}</code>",
                "n/a" if p.share is None else f"{p.share:.1%}",
                "n/a" if p.kappa is None else f"{p.kappa:.3f}",
                str(len(p.disagreements)),
            ]
            for p in comparison.pairs
        ]
        parts.append(_table(["policy", "policy", "same tier", "Cohen's kappa", "disagreements"], rows, (2, 3, 4)))
    basis_rows = [
        [
            f"<code>{escape(o.ref)}</code>",
            str(o.basis_counts()["on_evidence"]),
            str(o.basis_counts()["on_missing_evidence"]),
        ]
        for o in comparison.outcomes
    ]
    parts.append(
        "<h3>Decided on evidence, or resting on missing evidence</h3>"
        '<p class="note">A decision rests on missing evidence when its tier is higher than the evidence alone '
        "gives: a rule the policy cannot rule out for lack of evidence, or its evidence floor, raised it. Such "
        "rules raise the tier (unknown is never read as below a threshold) but are not findings.</p>"
        + _table(["policy", "on evidence", "on missing evidence"], basis_rows, (1, 2))
    )
    label_rows = [
        [f"<code>{escape(o.ref)}</code>", escape(label), str(count)]
        for o in comparison.outcomes
        for label, count in o.label_counts().items()
    ]
    if label_rows:
        parts.append("<h3>Labels</h3>" + _table(["policy", "label", "models"], label_rows, (2,)))
    return "".join(parts)


def _matrix(content: ReportContent) -> str:
    rows = matrix_rows(content.comparison)
    caption = (
        "Each row is a model (with its training compute), each column a policy; hover a cell for the deciding rule. "
        "Rows are sorted by training compute, largest first"
        + (
            "; with many models, the ones on which policies disagree come first."
            if len(rows) < len(content.comparison.population)
            else "."
        )
    )
    return "<h2>Tier matrix</h2>" + _figure(tier_matrix_chart(content.comparison, rows), "tier-matrix", caption)


def _disagreements(content: ReportContent) -> str:
    comparison = content.comparison
    parts = ["<h2>Disagreements</h2>"]
    if not comparison.pairs:
        return ""
    for pair in comparison.pairs:
        rows = pair.disagreements[: content.limit]
        parts.append(
            f"<h3><code>{escape(pair.left.ref)}</code> vs <code>{escape(pair.right.ref)}</code>: "
            f"{len(pair.disagreements)} model(s)</h3>"
        )
        if not len(rows):
            parts.append('<p class="note">They decide the same tier for every model.</p>')
            continue
        table_rows = [
            [
                escape(comparison.population.label(int(i))),
                _number(float(comparison.population.training_flop[int(i)])),
                _tier(pair.left.tier(int(i)).value),
                f"<code>{escape(pair.left.deciding_text(int(i)))}</code>",
                _tier(pair.right.tier(int(i)).value),
                f"<code>{escape(pair.right.deciding_text(int(i)))}</code>",
            ]
            for i in rows
        ]
        parts.append(
            _table(
                ["model", "training FLOP", pair.left.ref, "decided by", pair.right.ref, "decided by"],
                table_rows,
                (1,),
            )
        )
        if len(pair.disagreements) > len(rows):
            parts.append(f'<p class="note">Showing {len(rows)} of {len(pair.disagreements)}.</p>')
    return "".join(parts)


def _unknown(content: ReportContent) -> str:
    comparison = content.comparison
    rows = comparison.unknown_compute[: content.limit]
    if not len(rows):
        return ""
    body = [
        [escape(comparison.population.label(int(i)))]
        + [
            f"{_tier(o.tier(int(i)).value)} <span class='note'>{escape(o.compute_note(int(i)))}</span>"
            for o in comparison.outcomes
        ]
        for i in rows
    ]
    return (
        "<h2>Unknown training compute</h2>"
        "<p class='note'>These models have no published compute figure. Each policy reads unknown compute as above "
        "every compute threshold; the cells say what that did.</p>"
        + _table(["model", *[o.ref for o in comparison.outcomes]], body)
    )


def _sweeps(content: ReportContent) -> str:
    if not content.sweeps:
        return ""
    parts = ["<h2>Threshold sweeps</h2>"]
    population = content.comparison.population
    for index, sweep in enumerate(content.sweeps):
        caption = (
            f"Models per tier under <code>{escape(sweep.policy.ref)}</code> as <code>{escape(sweep.parameter)}</code> "
            f"moves from {sweep.values[0]:g} to {sweep.values[-1]:g} ({sweep.scale} scale, {len(sweep.values)} steps); "
            f"the dashed line is the policy's own value ({sweep.current:g}). "
            f"{len(sweep.flipping_rows())} model(s) change tier inside the range."
        )
        parts.append(_figure(sweep_chart(sweep), f"sweep-{index + 1}", caption))
        first = sorted(sweep.first_flip().values(), key=lambda f: f.value)[:20]
        if first:
            parts.append(
                _table(
                    ["model", "flips at", "from", "to"],
                    [
                        [
                            escape(population.label(f.row)),
                            f"{f.value:.4g}" + (" (inclusive)" if f.inclusive else ""),
                            _tier(f.before),
                            _tier(f.after),
                        ]
                        for f in first
                    ],
                    (1,),
                )
            )
    return "".join(parts)


def _planes(content: ReportContent) -> str:
    if not content.planes:
        return ""
    population = content.comparison.population
    rows = population_points(population)
    parts = ["<h2>Decision regions</h2>"]
    for index, plane in enumerate(content.planes):
        outcome = content.comparison.outcome(plane.policy.ref)
        caption = (
            f"Background: the tier <code>{escape(plane.policy.ref)}</code> decides at each training compute "
            f"(horizontal, log scale) and capability score (vertical, the same score in every risk domain) for a "
            f"release as <code>{plane.form.value}</code> on {plane.as_of}, with developer revenue and parameter count "
            "unknown (never read as below a threshold). The top strip is unknown capability, the right strip unknown "
            "compute. Dots: the population's models at their compute and highest known capability score (unknown "
            "ones in the strips), coloured by the tier the policy gives them with all their real inputs, which can "
            "differ from the background where their other inputs differ from the slice."
        )
        parts.append(_figure(plane_chart(plane, population, outcome.tiers, rows), f"plane-{index + 1}", caption))
    return "".join(parts)


def _ageings(content: ReportContent) -> str:
    if not content.ageings:
        return ""
    parts = ["<h2>How compute thresholds age</h2>"]
    for index, ageing in enumerate(content.ageings):
        threshold = ageing.threshold
        adjusts = (
            "The policy itself follows the falling line (it reads efficiency-adjusted compute)."
            if ageing.adjusts
            else "The policy keeps its line fixed in raw FLOP (dashed red), so it catches ever more capable models "
            "only as raw compute grows."
        )
        caption = (
            f"<code>{escape(ageing.policy.ref)}</code>: {escape(threshold.feature)} {escape(threshold.op)} "
            f"{threshold.value:g} FLOP, reference date {ageing.reference_date}. The solid line is the raw compute "
            f"that matches the threshold's capability at each date with compute for fixed performance halving every "
            f"{ageing.central.halving_months:g} months; the band spans {ageing.fast.halving_months:g} to "
            f"{ageing.slow.halving_months:g} months (Ho et al. 2024, 95% CI). It has fallen tenfold by "
            f"{ageing.central.tenfold} (band {ageing.fast.tenfold} to {ageing.slow.tenfold}). {adjusts}"
        )
        parts.append(_figure(ageing_chart(ageing, content.comparison.population), f"ageing-{index + 1}", caption))
        rows = [
            [
                str(year),
                _number(ageing.central.lines[k]),
                str(ageing.central.caught[k]),
                _band(ageing.fast.caught[k], ageing.slow.caught[k]),
                str(ageing.fixed_caught),
            ]
            for k, year in enumerate(ageing.years)
        ]
        parts.append(
            _table(["1 January", "line, FLOP", "models caught", "band", "unadjusted line catches"], rows, (1, 2, 3, 4))
        )
        if ageing.unknown:
            parts.append(
                f'<p class="note">Plus {ageing.unknown} model(s) with unknown compute, caught by every line.</p>'
            )
    return "".join(parts)


def _band(a: int, b: int) -> str:
    return f"{min(a, b)} to {max(a, b)}"


def render_report(content: ReportContent) -> str:
    """The complete HTML document."""
    generated = dt.date.today().isoformat()
    sections = [
        _header(content),
        _summary(content),
        _matrix(content),
        _disagreements(content),
        _unknown(content),
        _sweeps(content),
        _planes(content),
        _ageings(content),
    ]
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(content.title)}</title><style>{_STYLE}</style>"
        f"<script>{_SCRIPT}</script></head>"
        '<body data-report-status="pending"><main>'
        + "".join(sections)
        + f'<p id="report-status">Self-check has not run (scripts disabled?). Generated by governance '
        f"{escape(ENGINE_VERSION)} on {generated}; this file is self-contained and fetches nothing.</p>"
        "</main></body></html>\n"
    )
