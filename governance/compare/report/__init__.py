"""The shareable comparison report: one HTML file with inline SVG charts that opens with no network.

:func:`build_report` runs the analyses a policymaker wants beside a comparison (a sweep of each
compute threshold, each policy's decision regions, how its compute line ages) and renders them with
:func:`~governance.compare.report.page.render_report`; :func:`write_report` writes the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from governance._files import write_output
from governance.candidate import ReleaseForm
from governance.compare.ageing import Ageing, compute_ageing, compute_thresholds
from governance.compare.comparison import COMPUTE_FEATURES, Comparison
from governance.compare.population import SILENT, Reporter
from governance.compare.report.page import CSP, ReportContent, render_report
from governance.compare.report.plane import Plane, decision_plane
from governance.compare.sweep import Sweep, parameter_features, sweep_population
from governance.exceptions import InputError

__all__ = ["CSP", "ReportContent", "SweepSpec", "build_report", "render_report", "write_report"]

_MAX_AUTO_SWEEPS = 8
_MAX_AUTO_AGEING = 4
_MAX_PLANES = 8


@dataclass(frozen=True)
class SweepSpec:
    """A sweep to include: policy ``id@version``, threshold name, range and steps."""

    policy: str
    parameter: str
    low: float
    high: float
    steps: int = 31


def _auto_sweeps(comparison: Comparison) -> list[SweepSpec]:
    """Each compute threshold over a factor of 1000 either side; thresholds that raise a tier come first."""
    raising: list[SweepSpec] = []
    labelling: list[SweepSpec] = []
    for outcome in comparison.outcomes:
        policy = outcome.policy
        for name, value in policy.parameters.thresholds.items():
            if value <= 0 or not any(f in COMPUTE_FEATURES for f in parameter_features(policy, name)):
                continue
            spec = SweepSpec(outcome.ref, name, value / 1000, value * 1000)
            tiers = [r.tier.rank for r in policy.rules if any(a.param == name for a in r.when.atoms())]
            (raising if any(tiers) else labelling).append(spec)
    return (raising + labelling)[:_MAX_AUTO_SWEEPS]


def _auto_ageing(comparison: Comparison) -> list[Ageing]:
    out: list[Ageing] = []
    seen: set[tuple[float, float | None]] = set()
    for outcome in comparison.outcomes:
        policy = outcome.policy
        ranks = {rule.id: rule.tier.rank for rule in policy.rules}
        raising = [t for t in compute_thresholds(policy) if any(ranks[r] for r in t.rules)]
        options = raising or compute_thresholds(policy)
        if not options:
            continue
        chosen = next((t for t in options if t.feature == "effective_flop"), options[-1])
        key = (chosen.value, policy.parameters.halving_months)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            compute_ageing(
                comparison.population,
                policy,
                as_of=comparison.as_of,
                parameter=chosen.parameter,
                threshold=None if chosen.parameter else chosen.value,
            )
        )
        if len(out) >= _MAX_AUTO_AGEING:
            break
    return out


def build_report(
    comparison: Comparison,
    *,
    sweeps: Sequence[SweepSpec] | None = None,
    ageings: Sequence[Ageing] | None = None,
    form: ReleaseForm = ReleaseForm.OPEN_WEIGHTS,
    title: str = "Policy comparison",
    limit: int = 200,
    reporter: Reporter | None = None,
) -> str:
    """Run the report's analyses and render the HTML.

    Args:
        comparison: the policies over the population.
        sweeps: sweeps to draw; by default each compute threshold of each policy over a factor of 1000
            either side of its value.
        ageings: ageing analyses to draw; by default one per distinct compute line.
        form: the release form of the decision-region slices.
        title: the page title.
        limit: rows per table.
        reporter: progress of the analyses.

    Raises:
        InputError: a sweep names a policy that is not in the comparison.
    """
    progress = reporter or SILENT
    specs = list(sweeps) if sweeps is not None else _auto_sweeps(comparison)
    refs = {o.ref: o.policy for o in comparison.outcomes}
    progress.start("building the report", len(specs) + len(refs) + 1)
    done: list[Sweep] = []
    for spec in specs:
        policy = refs.get(spec.policy)
        if policy is None:
            raise InputError(f"the sweep names {spec.policy}, which is not among the compared policies")
        done.append(
            sweep_population(
                comparison.population,
                policy,
                spec.parameter,
                spec.low,
                spec.high,
                spec.steps,
                as_of=comparison.as_of,
            )
        )
        progress.advance(1)
    planes: list[Plane] = []
    for outcome in comparison.outcomes[:_MAX_PLANES]:
        planes.append(decision_plane(outcome.policy, as_of=comparison.as_of, form=form))
        progress.advance(1)
    ageing_results = list(ageings) if ageings is not None else _auto_ageing(comparison)
    progress.advance(1)
    progress.finish()
    content = ReportContent(comparison, done, ageing_results, planes, title=title, limit=limit)
    return render_report(content)


def write_report(path: str | Path, html: str, *, force: bool = False) -> Path:
    """Write the report (``-`` for standard output) as every output is written (see :mod:`governance._files`)."""
    write_output(path, html, force=force)
    return Path(path)
