"""``governance compare | sweep | ageing``, ``governance population generate | show``, and the region diff."""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from governance._files import check_target, is_stdout
from governance._text import spreadsheet_row
from governance.cli._app import app, console, parse_date, print_json, stderr_console
from governance.cli._options import TableFormat, as_of_option
from governance.cli.render import format_number, tier_text
from governance.compare._halving import HALVING_BAND
from governance.exceptions import InputError
from governance.loader import load_policy, resolve_policies
from governance.tiers import Tier

# The comparison machinery (and numpy) loads when a comparison command runs, not with the CLI.
if TYPE_CHECKING:
    from governance.compare.comparison import Comparison
    from governance.compare.population import Population
    from governance.compare.report import SweepSpec
    from governance.compare.sweep import Scale

population_app = typer.Typer(help="Generate and inspect populations of models.", no_args_is_help=True)
app.add_typer(population_app, name="population")

_stderr = stderr_console
_RANGE = re.compile(r"^\s*(\S+?)\s*\.\.\s*(\S+)\s*$")


class ScaleChoice(StrEnum):
    """The sweep's spacing."""

    AUTO = "auto"
    LOG = "log"
    LINEAR = "linear"


class RichReporter:
    """Progress bars on stderr, shown only when stderr is a terminal."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def start(self, description: str, total: float) -> None:
        """Begin a bar."""
        self.task = self.progress.add_task(description, total=total)

    def advance(self, amount: float) -> None:
        """Move the bar."""
        if self.task is not None:
            self.progress.advance(self.task, amount)

    def finish(self) -> None:
        """Remove the bar."""
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None


@contextmanager
def _progress() -> Iterator[RichReporter]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=_stderr,
        transient=True,
        disable=not _stderr.is_terminal,
    )
    with progress:
        yield RichReporter(progress)


def _tier(rank: Tier | str) -> Any:
    return tier_text(Tier(rank))


def _flop(value: float | None) -> str:
    return "unknown" if value is None or math.isnan(value) else format_number(value)


def _range(text: str, option: str) -> tuple[str, str]:
    match = _RANGE.match(text)
    if not match:
        raise InputError(f"{option} {text!r}: expected LOW..HIGH")
    return match[1], match[2]


def _float(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{option}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{option}: {text!r} is not finite")
    return value


def _sweep_spec(text: str, steps: int) -> SweepSpec:
    from governance.compare.report import SweepSpec
    from governance.compare.sweep import parse_param_range

    policy, sep, rest = text.partition(":")
    if not sep:
        raise InputError(
            f"--sweep {text!r}: expected POLICY:NAME=LOW..HIGH, e.g. eu-ai-act:systemic_risk_compute=1e23..1e27"
        )
    name, low, high = parse_param_range(rest)
    return SweepSpec(policy, name, low, high, steps)


def _print_loading(population: Population) -> None:
    """What loading found: notes, dropped duplicates, shared names."""
    unit = population.item_unit
    for note in population.notes:
        console.print(f"  note: {note}", markup=False)
    for duplicate in population.duplicates:
        dropped = ", ".join(map(str, duplicate.dropped_lines))
        console.print(
            f"  duplicate: {duplicate.name!r} at {unit}(s) {dropped} repeats {unit} {duplicate.kept_line} (dropped)",
            markup=False,
        )
    for clash in population.clashes:
        console.print(f"  same name, different values: {clash.name!r} at {unit}s {clash.lines}", markup=False)


# -- compare --------------------------------------------------------------------------------------


def _print_comparison(comparison: Comparison, limit: int) -> None:
    population = comparison.population
    described = population.describe()
    console.print(
        f"[bold]{len(population)} models[/bold] from {population.source}, as of {comparison.as_of}; "
        f"training compute unknown for {described['compute_unknown']}",
        markup=True,
        highlight=False,
    )
    _print_loading(population)

    table = Table(title="tiers per policy", title_justify="left")
    for column in ("policy", "in force", "open", "staged", "restricted", "on missing evidence", "labels"):
        table.add_column(column)
    for outcome in comparison.outcomes:
        counts = outcome.tier_counts()
        labels = ", ".join(f"{k} {v}" for k, v in outcome.label_counts().items() if v)
        table.add_row(
            outcome.ref,
            "yes" if outcome.in_force else "no",
            str(counts["open"]),
            str(counts["staged"]),
            str(counts["restricted"]),
            str(outcome.basis_counts()["on_missing_evidence"]),
            labels,
        )
    console.print(table)

    if comparison.pairs:
        pairs = Table(title="agreement per pair", title_justify="left")
        for column in ("policy", "policy", "same tier", "Cohen's kappa", "disagreements"):
            pairs.add_column(column)
        for pair in comparison.pairs:
            pairs.add_row(
                pair.left.ref,
                pair.right.ref,
                "n/a" if pair.share is None else f"{pair.share:.1%}",
                "n/a (one tier each)" if pair.kappa is None else f"{pair.kappa:.3f}",
                str(len(pair.disagreements)),
            )
        console.print(pairs)
        for pair in comparison.pairs:
            if not len(pair.disagreements):
                continue
            shown = pair.disagreements[:limit]
            table = Table(
                title=f"disagreements: {pair.left.ref} vs {pair.right.ref} ({len(shown)} of {len(pair.disagreements)})",
                title_justify="left",
            )
            for column in ("model", "training FLOP", pair.left.ref, "decided by", pair.right.ref, "decided by"):
                table.add_column(column)
            for i in shown:
                row = int(i)
                table.add_row(
                    population.label(row),
                    _flop(float(population.training_flop[row])),
                    _tier(pair.left.tier(row)),
                    pair.left.deciding_text(row),
                    _tier(pair.right.tier(row)),
                    pair.right.deciding_text(row),
                )
            console.print(table)

    if len(comparison.unknown_compute):
        unknown = Table(title="unknown training compute: what each policy did", title_justify="left")
        unknown.add_column("model")
        for outcome in comparison.outcomes:
            unknown.add_column(outcome.ref)
        for i in comparison.unknown_compute[:limit]:
            row = int(i)
            cells = [f"{o.tier(row).value}: {o.compute_note(row)}" for o in comparison.outcomes]
            unknown.add_row(population.label(row), *cells)
        console.print(unknown)

    models = Table(title=f"models ({min(limit, len(population))} of {len(population)})", title_justify="left")
    models.add_column("model")
    models.add_column("training FLOP")
    for outcome in comparison.outcomes:
        models.add_column(outcome.ref)
    for row in range(min(limit, len(population))):
        flop = population.training_flop[row]
        upper = population.training_flop_upper[row]
        text = _flop(float(flop)) if not math.isnan(flop) or math.isnan(upper) else f"<= {_flop(float(upper))}"
        cells = []
        for outcome in comparison.outcomes:
            labels = ", ".join(outcome.labels_of(row))
            cells.append(f"{outcome.tier(row).value}" + (f" ({labels})" if labels else ""))
        models.add_row(population.label(row), text, *cells)
    console.print(models)


def _write_csv(comparison: Comparison, reporter: RichReporter) -> None:
    population = comparison.population
    writer = csv.writer(sys.stdout, lineterminator="\n")
    extra = list(population.extra)
    header = ["name", "line", "organization", "training_flop", "training_flop_lower", "training_flop_upper", "release"]
    header += ["openness", "license"]
    for outcome in comparison.outcomes:
        header += [
            f"{outcome.ref} tier",
            f"{outcome.ref} labels",
            f"{outcome.ref} decided_by",
            f"{outcome.ref} basis",
        ]
    writer.writerow(spreadsheet_row(header + extra))
    reporter.start("writing rows", len(population))
    for index in range(len(population)):
        if index % 10_000 == 0:
            reporter.advance(min(10_000, len(population) - index))
        row = population.row(index)
        values: list[Any] = [
            row["name"],
            row["line"] or "",
            row["organization"] or "",
            "unknown" if row["training_flop"] is None else repr(row["training_flop"]),
            "" if row["training_flop_lower"] is None else repr(row["training_flop_lower"]),
            "" if row["training_flop_upper"] is None else repr(row["training_flop_upper"]),
            row["release"] or "",
            row["openness"] or "unknown",
            row["license"] or "",
        ]
        for outcome in comparison.outcomes:
            values += [
                outcome.tier(index).value,
                ";".join(outcome.labels_of(index)),
                outcome.decided_by(index) or "",
                outcome.basis(index),
            ]
        writer.writerow(spreadsheet_row(values + [row["extra"][k] for k in extra]))
    reporter.finish()


@app.command("compare")
def compare_command(
    population_file: Path = typer.Option(
        ...,
        "--population",
        help="Population: CSV, Parquet or Arrow (with pyarrow), or a JSON/YAML list of candidates or rows.",
        show_default=False,
    ),
    policy: list[str] = typer.Option(
        ..., "--policy", "-p", help="Policy id, id@version, path, or 'all'. Repeat for several.", show_default=False
    ),
    as_of: str | None = as_of_option(),
    output: TableFormat = typer.Option(
        TableFormat.TABLE, "--format", "-f", help="table, json or csv (one row per model)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Also write the HTML report to this file ('-' for stdout, instead of the tables)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace the --out file if it exists."),
    limit: int | None = typer.Option(
        None, "--limit", help="Rows per list (default: 40 in tables, all in json and csv).", min=0
    ),
    sweep: list[str] = typer.Option(
        [], "--sweep", help="Report sweep POLICY:NAME=LOW..HIGH (repeat); default: each compute threshold."
    ),
    steps: int = typer.Option(31, "--steps", help="Steps of each report sweep.", min=2),
    form: str = typer.Option("open-weight", "--form", help="Release form of the report's decision-region slices."),
) -> None:
    """Compare policies over a population: tiers and labels per model, counts, agreement and disagreements.

    Unknown compute is shown as unknown, with what each policy did about it (never read as below a
    threshold: compute rules are not ruled out). With --out, writes a self-contained HTML report with charts
    (first, so that a closed console loses nothing); ``--out -`` writes the report to stdout instead of the tables.
    """
    from governance.compare.comparison import compare_population
    from governance.compare.population import parse_openness
    from governance.compare.population_io import load_population
    from governance.compare.report import build_report, write_report

    day = parse_date(as_of) or dt.datetime.now(dt.UTC).date()
    if out is not None and not is_stdout(out):
        check_target(out, force=force)
    slice_form = parse_openness(form)
    if slice_form is None:
        raise InputError(f"--form {form!r}: expected closed, hosted, api, open-weight or open-source")
    policies = resolve_policies(policy, as_of=day)
    specs = [_sweep_spec(text, steps) for text in sweep] or None
    with _progress() as reporter:
        population = load_population(population_file, reporter=reporter)
        comparison = compare_population(population, policies, as_of=day, reporter=reporter)
        html = build_report(comparison, sweeps=specs, form=slice_form, reporter=reporter) if out is not None else None
    if out is not None and html is not None:
        write_report(out, html, force=force)
        if is_stdout(out):
            return
        _stderr.print(f"report written to {out}", markup=False)
    if output is TableFormat.JSON:
        with _progress() as reporter:
            document = comparison.document(limit=limit, reporter=reporter)
        print_json(document)
    elif output is TableFormat.CSV:
        with _progress() as reporter:
            _write_csv(comparison, reporter)
    else:
        _print_comparison(comparison, 40 if limit is None else limit)


# -- sweep ----------------------------------------------------------------------------------------


@app.command("sweep")
def sweep_command(
    policy: str = typer.Option(..., "--policy", "-p", help="Policy id, id@version or path.", show_default=False),
    param: str = typer.Option(
        ..., "--param", help="NAME=LOW..HIGH, a named threshold of the policy.", show_default=False
    ),
    population_file: Path = typer.Option(..., "--population", help="Population file.", show_default=False),
    steps: int = typer.Option(25, "--steps", help="Number of values, both ends included.", min=2),
    scale: ScaleChoice = typer.Option(ScaleChoice.AUTO, "--scale", help="auto (log for compute), log or linear."),
    as_of: str | None = as_of_option(),
    output: TableFormat = typer.Option(
        TableFormat.TABLE, "--format", "-f", help="table, json or csv (counts per step)."
    ),
    limit: int | None = typer.Option(None, "--limit", help="Flips listed (default: 30 in tables, all in json).", min=0),
) -> None:
    """Move one named threshold over a range: counts per tier and label per step, and where each model flips."""
    from governance.compare.population_io import load_population
    from governance.compare.sweep import parse_param_range, sweep_population

    day = parse_date(as_of) or dt.datetime.now(dt.UTC).date()
    name, low, high = parse_param_range(param)
    loaded = load_policy(policy, as_of=day)
    chosen: Scale | None = None if scale is ScaleChoice.AUTO else ("log" if scale is ScaleChoice.LOG else "linear")
    with _progress() as reporter:
        population = load_population(population_file, reporter=reporter)
        result = sweep_population(
            population, loaded, name, low, high, steps, as_of=day, scale=chosen, reporter=reporter
        )
    if output is TableFormat.JSON:
        print_json(result.document(population, limit=limit))
        return
    labels = list(result.label_counts)
    if output is TableFormat.CSV:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(spreadsheet_row([name, "open", "staged", "restricted", *labels]))
        for step, value in enumerate(result.values):
            counts = [int(c) for c in result.tier_counts[step]]
            writer.writerow([repr(float(value)), *counts, *[int(result.label_counts[k][step]) for k in labels]])
        return
    table = Table(
        title=f"{loaded.ref}: {name} from {low:g} to {high:g} ({result.scale} scale); policy value {result.current:g}",
        title_justify="left",
    )
    for column in (name, "open", "staged", "restricted", *labels):
        table.add_column(column, justify="right")
    for step, value in enumerate(result.values):
        cells = [str(int(c)) for c in result.tier_counts[step]]
        table.add_row(f"{value:.4g}", *cells, *[str(int(result.label_counts[k][step])) for k in labels])
    console.print(table)
    flips = result.flips(30 if limit is None else limit)
    listing = Table(
        title=f"flips ({len(flips)} of {len(result.flip_table.rows)}; "
        f"{len(result.flipping_rows())} model(s) change tier)",
        title_justify="left",
    )
    for column in ("model", f"{name} at", "from", "to", "at the value itself"):
        listing.add_column(column)
    for flip in flips:
        listing.add_row(
            population.label(flip.row),
            f"{flip.value:.6g}",
            _tier(flip.before),
            _tier(flip.after),
            flip.before if flip.inclusive else flip.after,
        )
    console.print(listing)


# -- ageing ---------------------------------------------------------------------------------------


@app.command("ageing")
def ageing_command(
    policy: str = typer.Option(..., "--policy", "-p", help="Policy id, id@version or path.", show_default=False),
    population_file: Path = typer.Option(..., "--population", help="Population file.", show_default=False),
    param: str | None = typer.Option(None, "--param", help="The named compute threshold (default: the only one)."),
    threshold: str | None = typer.Option(None, "--threshold", help="A compute threshold in FLOP instead of --param."),
    halving: float | None = typer.Option(
        None, "--halving", help="Halving time in months (default: the policy's, else 8).", min=0.1
    ),
    band: str = typer.Option(
        f"{HALVING_BAND[0]:g}..{HALVING_BAND[1]:g}", "--band", help="Halving-time range shown as a band, in months."
    ),
    reference_date: str | None = typer.Option(
        None, "--reference-date", help="When the line equals raw compute (default: the policy's, else its start)."
    ),
    years: str | None = typer.Option(None, "--years", help="FIRST..LAST years (default: 3 before to 6 after)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Decision date (YYYY-MM-DD); default today."),
    output: TableFormat = typer.Option(TableFormat.TABLE, "--format", "-f", help="table or json."),
) -> None:
    """How a compute line ages as training gets cheaper: tenfold date and the models each year's line catches."""
    from governance.compare.ageing import compute_ageing
    from governance.compare.population_io import load_population

    day = parse_date(as_of) or dt.datetime.now(dt.UTC).date()
    loaded = load_policy(policy, as_of=day)
    fast, slow = (_float(v, "--band") for v in _range(band, "--band"))
    span: tuple[int, int] | None = None
    if years is not None:
        first, last = _range(years, "--years")
        try:
            span = (int(first), int(last))
        except ValueError:
            raise InputError(f"--years {years!r}: expected FIRST..LAST years, e.g. 2020..2032") from None
    with _progress() as reporter:
        population = load_population(population_file, reporter=reporter)
    result = compute_ageing(
        population,
        loaded,
        as_of=day,
        parameter=param,
        threshold=None if threshold is None else _float(threshold, "--threshold"),
        halving_months=halving,
        band=(fast, slow),
        reference_date=parse_date(reference_date, "--reference-date"),
        years=span,
    )
    if output is not TableFormat.TABLE:
        print_json(result.document())
        return
    chosen = result.threshold
    console.print(
        f"[bold]{loaded.ref}[/bold]: {chosen.feature} {chosen.op} {chosen.value:g} FLOP"
        + (f" ({chosen.parameter})" if chosen.parameter else "")
        + f", reference date {result.reference_date}",
        highlight=False,
    )
    console.print(
        f"The capability-equivalent line falls tenfold by {result.central.tenfold} at a "
        f"{result.central.halving_months:g}-month halving time (band {result.fast.tenfold} at "
        f"{result.fast.halving_months:g} months to {result.slow.tenfold} at {result.slow.halving_months:g} months).",
        markup=False,
    )
    console.print(
        "The policy itself ages this line (it reads efficiency-adjusted compute)."
        if result.adjusts
        else f"The policy keeps this line fixed in raw FLOP; it catches {result.fixed_caught} model(s).",
        markup=False,
    )
    table = Table(title="models caught by each year's line (1 January)", title_justify="left")
    for column in ("year", "line, FLOP", "caught", "band", "unadjusted line"):
        table.add_column(column, justify="right")
    for k, year in enumerate(result.years):
        low_count = min(result.fast.caught[k], result.slow.caught[k])
        high_count = max(result.fast.caught[k], result.slow.caught[k])
        table.add_row(
            str(year),
            format_number(result.central.lines[k]),
            str(result.central.caught[k]),
            f"{low_count}..{high_count}",
            str(result.fixed_caught),
        )
    console.print(table)
    if result.unknown:
        console.print(f"plus {result.unknown} model(s) with unknown compute, caught by every line (fail closed)")


# -- populations ----------------------------------------------------------------------------------


@population_app.command("generate")
def generate_command(
    out: Path = typer.Option(..., "--out", help="CSV file to write ('-' for stdout).", show_default=False),
    force: bool = typer.Option(False, "--force", help="Replace the --out file if it exists."),
    grid: list[str] = typer.Option([], "--grid", help="Grid axis, e.g. training_flop=1e22..1e27:6 (repeat)."),
    random: int | None = typer.Option(None, "--random", help="Number of random models.", min=1),
    seed: int = typer.Option(0, "--seed", help="Seed of the random sample."),
    flop_range: str = typer.Option("1e20..1e28", "--flop-range", help="Random compute range, FLOP (log-uniform)."),
    release_range: str = typer.Option("2020-01-01..2026-12-31", "--release-range", help="Random release dates."),
    unknown_share: float = typer.Option(0.02, "--unknown-share", help="Share of unknown values per random column."),
) -> None:
    """Write a synthetic population: a grid (--grid, repeat per axis) or a seeded random sample (--random N)."""
    from governance.compare.population_io import write_population_csv
    from governance.compare.synthetic import grid_population, parse_grid_axis, random_population

    if bool(grid) == (random is not None):
        raise InputError("give either --grid axes or --random N")
    if not is_stdout(out):
        check_target(out, force=force)
    if random is not None:
        low, high = (_float(v, "--flop-range") for v in _range(flop_range, "--flop-range"))
        start, end = (parse_date(v, "--release-range") for v in _range(release_range, "--release-range"))
        if start is None or end is None:
            raise InputError("--release-range: expected START..END dates")
        population: Population = random_population(
            random, seed=seed, flop_range=(low, high), release_range=(start, end), unknown_share=unknown_share
        )
    else:
        population = grid_population([parse_grid_axis(text) for text in grid])
    with _progress() as reporter:
        write_population_csv(population, out, reporter=reporter, force=force)
    _stderr.print(f"{len(population)} models written to {out} ({population.source})", markup=False)


@population_app.command("show")
def show_population_command(
    file: Path = typer.Argument(..., help="Population file (CSV, JSON or YAML)."),
    output: TableFormat = typer.Option(TableFormat.TABLE, "--format", "-f", help="table or json."),
    limit: int = typer.Option(20, "--limit", help="Rows shown.", min=0),
) -> None:
    """Load a population and report what loading found: rows, unknowns, duplicates, notes."""
    from governance.compare.population_io import load_population

    with _progress() as reporter:
        population = load_population(file, reporter=reporter)
    described = population.describe()
    if output is not TableFormat.TABLE:
        print_json({**described, "rows_shown": [population.row(i) for i in range(min(limit, len(population)))]})
        return
    console.print(
        f"[bold]{described['rows']} models[/bold] from {file}; compute known for {described['compute_known']}, "
        f"unknown for {described['compute_unknown']}",
        highlight=False,
    )
    _print_loading(population)
    table = Table(title=f"first {min(limit, len(population))} rows", title_justify="left")
    for column in ("line", "name", "organization", "training FLOP", "release", "openness", "license"):
        table.add_column(column)
    for index in range(min(limit, len(population))):
        row = population.row(index)
        form = row["openness"]
        table.add_row(
            str(row["line"] or ""),
            row["name"],
            row["organization"] or "",
            _flop(row["training_flop"]),
            row["release"] or "unknown",
            form or "unknown (read as open_source)",
            row["license"] or "",
        )
    console.print(table)


# -- region diff (registered as `governance policy diff --regions`) ---------------------------------


def print_region_diff(before: str, after: str, day: dt.date | None, as_json: bool) -> None:
    """Print the exact regions of feature space where two policies decide different tiers."""
    from governance.compare.region_diff import region_diff

    date = day or dt.datetime.now(dt.UTC).date()
    left, right = load_policy(before, as_of=date), load_policy(after, as_of=date)
    diff = region_diff(left, right, as_of=date)
    if as_json:
        print_json(diff.document())
        return
    head = f"{left.ref} vs {right.ref} on {date}"
    if diff.identical:
        console.print(f"{head}: the same tier everywhere in feature space", markup=False)
        return
    console.print(f"{head}: {len(diff.regions)} region(s) where the tiers differ", markup=False)
    for index, region in enumerate(diff.regions, start=1):
        table = Table(
            title=f"region {index}: {region.left.value} under {left.ref}, {region.right.value} under {right.ref}",
            title_justify="left",
            expand=False,
        )
        table.add_column("feature")
        table.add_column("values")
        for feature, interval in sorted(region.box.items()):
            table.add_row(feature, diff.axes[feature].describe(interval))
        if not region.box:
            table.add_row("(every feature)", "any value")
        console.print(table)
        if region.witness is None:
            console.print("  witness: none found among the release plans tried", markup=False)
            continue
        flop = region.witness.compute.training_flop
        tuning = region.witness.compute.fine_tuning_flop
        caps = ", ".join(f"{d} {v}" for d, v in sorted(region.witness.capabilities.items()))
        console.print(
            f"  witness: training FLOP {flop if flop is not None else 'unknown'}"
            + (f" plus fine-tuning {tuning}" if tuning else "")
            + ", release "
            f"{region.witness.release.form.value}, capabilities {caps or 'none'}; "
            f"fired {', '.join(region.left_rules) or 'nothing'} / {', '.join(region.right_rules) or 'nothing'}",
            markup=False,
        )
