"""Comparison at scale: a million generated candidates under eight policies, from a CSV file to the summary.

Usage::

    python benchmarks/compare.py [--quick] [--rows N]

``benchmarks/run.py`` imports :func:`run`. Figures (``{name, value, unit}`` plus optional ``target``,
``met``, ``baseline``, ``ratio``, ``note``):

- ``compare.end_to_end``: read a CSV of 1,000,000 random candidates (``governance population generate
  --random``, written before the clock starts), evaluate eight policies with the vectorised
  evaluator, and build the summary (counts per tier and label, pairwise agreement and Cohen's kappa,
  deciding rules). Target: 10 s. The eight policies are ``illustrative-capability@1.0`` with eight
  threshold settings, so that the same thresholds can be written by hand in numpy.
- ``compare.evaluation`` and ``compare.evaluation.numpy``: the evaluation step alone (feature arrays
  to tier counts, all eight policies), through :class:`~governance.vectorised.VectorisedPolicy` and
  through a hand-written numpy expression of the same rules and thresholds, in the same run, the two
  taking turns; medians of the repeats. Target: the engine within 2x of numpy. The tiers of both are
  compared on every row.
- ``compare.end_to_end.core`` and ``compare.end_to_end.arrow``: file to summary through the core
  (numpy) reader and through the pyarrow reader, each against ``compare.baseline.*``, the same CSV
  read by ``polars.read_csv`` and ``pyarrow.csv.read_csv`` (whichever are installed; types
  inferred), all taking turns in the same run. Target: at most 2x the fastest of them.
- ``compare.end_to_end.parquet``: the same rows from a Parquet file (typed columns), file to summary.
- ``compare.end_to_end.shipped``: the same file under the eight shipped policies of the library
  (real laws and lab frameworks), for scale with real rule sets.
- ``compare.sweep``: a 25-step sweep of the compute line over the same million rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as ``python benchmarks/compare.py`` from a source tree
    sys.path.insert(0, str(HERE.parent))

import numpy as np

from governance import Policy, compile_policy, load_policy
from governance.compare.comparison import compare_population
from governance.compare.population_io import load_population, write_population_csv
from governance.compare.sweep import sweep_population
from governance.compare.synthetic import random_population
from governance.vectorised import VectorisedPolicy

__all__ = ["run"]

AS_OF = dt.date(2026, 1, 1)
SEED = 2026
END_TO_END_TARGET = 10.0
RATIO_TARGET = 2.0
READ_RATIO_TARGET = 2.0
SETTINGS: tuple[tuple[float, float, float, float], ...] = (
    # compute_line, elevated, critical, persuasion_elevated
    (1e24, 0.5, 0.8, 0.8),
    (3e24, 0.5, 0.8, 0.8),
    (1e25, 0.5, 0.8, 0.8),
    (3e25, 0.5, 0.8, 0.8),
    (1e26, 0.5, 0.8, 0.8),
    (1e25, 0.4, 0.7, 0.7),
    (1e25, 0.6, 0.9, 0.9),
    (1e26, 0.3, 0.6, 0.6),
)
SHIPPED = (
    "eu-ai-act",
    "ca-sb-53",
    "ny-raise",
    "us-eo-14110",
    "ca-sb-1047",
    "illustrative-capability@2.0",
    "anthropic-rsp",
    "openai-preparedness",
)
DOMAINS = ("bio", "chem", "nuclear", "cyber", "autonomy", "ai_rnd")
FloatArrays = Mapping[str, np.ndarray]


def variants() -> list[Policy]:
    """``illustrative-capability@1.0`` at eight threshold settings, each with its own version name."""
    base = load_policy("illustrative-capability@1.0")
    out = []
    for index, (line, elevated, critical, persuasion) in enumerate(SETTINGS, start=1):
        moved = base.with_thresholds(
            compute_line=line, elevated=elevated, critical=critical, persuasion_elevated=persuasion
        )
        out.append(Policy.model_validate({**moved.document(), "version": f"1.0-bench{index}"}))
    return out


def numpy_tiers(arrays: FloatArrays, setting: tuple[float, float, float, float]) -> np.ndarray:
    """The illustrative-capability rules written by hand: the baseline the evaluator is measured against."""
    line, elevated, critical, persuasion = setting
    caps = [arrays[f"capability.{d}"] for d in DOMAINS]
    any_elevated = caps[0] >= elevated
    any_critical = caps[0] >= critical
    gap = arrays["evidence_gap.bio"] >= 1.0
    for cap, domain in zip(caps[1:], DOMAINS[1:], strict=True):
        any_elevated |= cap >= elevated
        any_critical |= cap >= critical
        gap |= arrays[f"evidence_gap.{domain}"] >= 1.0
    staged = (arrays["effective_flop"] >= line) | any_elevated | (arrays["capability.persuasion"] >= persuasion) | gap
    restricted = ((arrays["release.openness"] >= 3.0) & any_elevated) | any_critical
    return np.where(restricted, 2, np.where(staged, 1, 0)).astype(np.int8)


def _median_of_turns(paths: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(repeats):
        for name, path in paths.items():
            gc.collect()
            start = time.perf_counter()
            path()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def _end_to_end(path: Path, policies: list[Policy], reader: str = "auto") -> tuple[float, float, dict[str, Any]]:
    gc.collect()
    start = time.perf_counter()
    population = load_population(path, reader=reader)
    loaded = time.perf_counter()
    comparison = compare_population(population, policies, as_of=AS_OF)
    summary = comparison.document(limit=0, models=False)
    done = time.perf_counter()
    return done - start, loaded - start, summary


def _baseline_readers() -> dict[str, Callable[[Path], object]]:
    """The fastest CSV readers installed here, each reading the file into typed columns."""
    readers: dict[str, Callable[[Path], object]] = {}
    try:
        import polars
    except ImportError:
        pass
    else:
        readers["polars.read_csv"] = lambda path: polars.read_csv(path)
    try:
        import pyarrow.csv
    except ImportError:
        pass
    else:
        readers["pyarrow.csv.read_csv"] = lambda path: pyarrow.csv.read_csv(path)
    return readers


def _reading_aim(path: Path, policies: list[Policy], rounds: int, rows: int, size: int) -> list[dict[str, Any]]:
    """End to end through each reader against the fastest CSV reader here, all taking turns in one run."""
    from governance.compare import population_arrow

    readers = _baseline_readers()
    paths: dict[str, Callable[[], object]] = {name: (lambda read=read: read(path)) for name, read in readers.items()}
    ours = ("core", "arrow") if population_arrow.available() else ("core",)
    loads: dict[str, list[float]] = {name: [] for name in ours}

    def ours_path(reader: str) -> Callable[[], object]:
        def step() -> None:
            loads[reader].append(_end_to_end(path, policies, reader)[1])

        return step

    for reader in ours:
        paths[f"end_to_end.{reader}"] = ours_path(reader)
    times = _median_of_turns(paths, rounds)
    figures: list[dict[str, Any]] = []
    baseline = min(readers, key=lambda name: times[name]) if readers else None
    for name in readers:
        figures.append(
            {
                "name": f"compare.baseline.{name}",
                "value": round(times[name], 3),
                "unit": "s",
                "note": f"the same {size / 1e6:.0f} MB CSV read by {name} (types inferred), median of {rounds}",
            }
        )
    for reader in ours:
        total = times[f"end_to_end.{reader}"]
        figure: dict[str, Any] = {
            "name": f"compare.end_to_end.{reader}",
            "value": round(total, 3),
            "unit": "s",
            "note": f"{rows:,} rows, {reader} reader, file to summary under 8 policies "
            f"(of which reading {statistics.median(loads[reader]):.3f} s), median of {rounds}",
        }
        if baseline is not None:
            ratio = total / times[baseline]
            figure |= {
                "baseline": f"compare.baseline.{baseline}",
                "ratio": round(ratio, 2),
                "target": f"<= {READ_RATIO_TARGET:g}x the fastest CSV reader",
                "met": ratio <= READ_RATIO_TARGET,
            }
        figures.append(figure)
    return figures


def _parquet_figure(path: Path, policies: list[Policy], rounds: int) -> list[dict[str, Any]]:
    """End to end from a Parquet file of the same rows (typed columns), when pyarrow is here."""
    try:
        import pyarrow.csv
        import pyarrow.parquet
    except ImportError:
        return []
    parquet = path.with_suffix(".parquet")
    pyarrow.parquet.write_table(pyarrow.csv.read_csv(path), parquet)
    times = _median_of_turns({"parquet": lambda: _end_to_end(parquet, policies)}, rounds)
    return [
        {
            "name": "compare.end_to_end.parquet",
            "value": round(times["parquet"], 3),
            "unit": "s",
            "note": f"the same rows from Parquet ({parquet.stat().st_size / 1e6:.0f} MB), file to summary, "
            f"median of {rounds}",
        }
    ]


def run(quick: bool, rows: int = 1_000_000) -> list[dict[str, Any]]:
    """Measure; return the figures. ``quick`` takes fewer repeats, never fewer rows."""
    repeats = 3 if quick else 7
    policies = variants()
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "population.csv"
        write_population_csv(random_population(rows, seed=SEED), path)
        size = path.stat().st_size

        runs = [_end_to_end(path, policies) for _ in range(1 if quick else 3)]
        total = statistics.median(r[0] for r in runs)
        load = statistics.median(r[1] for r in runs)
        summary = runs[0][2]
        figures += [
            {
                "name": "compare.end_to_end",
                "value": round(total, 3),
                "unit": "s",
                "target": f"<= {END_TO_END_TARGET:g} s",
                "met": total <= END_TO_END_TARGET,
                "note": f"{rows:,} rows from a {size / 1e6:.0f} MB CSV under 8 policies to the summary "
                f"(median of {len(runs)}; the default reader)",
            },
            {"name": "compare.end_to_end.load", "value": round(load, 3), "unit": "s", "note": "CSV to columns"},
            {
                "name": "compare.end_to_end.evaluate_and_summarise",
                "value": round(total - load, 3),
                "unit": "s",
                "note": "8 policies, labels, deciding rules, 28 pairs with kappa",
            },
        ]
        figures += _reading_aim(path, policies, 3 if quick else 5, rows, size)
        figures += _parquet_figure(path, policies, 1 if quick else 3)

        population = load_population(path)
        arrays = [population.feature_arrays(p, AS_OF) for p in policies]
        engines = [VectorisedPolicy(compile_policy(p)) for p in policies]
        mismatches = sum(
            int((engine.evaluate(a).tiers != numpy_tiers(a, setting)).sum())
            for engine, a, setting in zip(engines, arrays, SETTINGS, strict=True)
        )

        def engine_step() -> None:
            for engine, a in zip(engines, arrays, strict=True):
                np.bincount(engine.evaluate(a).tiers, minlength=3)

        def numpy_step() -> None:
            for a, setting in zip(arrays, SETTINGS, strict=True):
                np.bincount(numpy_tiers(a, setting), minlength=3)

        times = _median_of_turns({"engine": engine_step, "numpy": numpy_step}, repeats)
        ratio = times["engine"] / times["numpy"]
        figures += [
            {
                "name": "compare.evaluation",
                "value": round(times["engine"], 4),
                "unit": "s",
                "baseline": "compare.evaluation.numpy",
                "ratio": round(ratio, 3),
                "target": f"<= {RATIO_TARGET:g}x numpy",
                "met": ratio <= RATIO_TARGET,
                "note": f"feature arrays to tier counts, 8 policies x {rows:,} rows, median of {repeats}",
            },
            {
                "name": "compare.evaluation.numpy",
                "value": round(times["numpy"], 4),
                "unit": "s",
                "note": "hand-written numpy of the same rules and thresholds",
            },
            {
                "name": "compare.evaluation.mismatches",
                "value": mismatches,
                "unit": "rows",
                "target": "0",
                "met": mismatches == 0,
                "note": "tiers of the evaluator against the hand-written numpy, every row, every policy",
            },
        ]

        shipped = [load_policy(ref, as_of=AS_OF) for ref in SHIPPED]
        shipped_total, _, _ = _end_to_end(path, shipped)
        figures.append(
            {
                "name": "compare.end_to_end.shipped",
                "value": round(shipped_total, 3),
                "unit": "s",
                "note": "same file under " + ", ".join(p.ref for p in shipped),
            }
        )

        start = time.perf_counter()
        sweep = sweep_population(population, policies[2], "compute_line", 1e22, 1e28, 25, as_of=AS_OF)
        figures.append(
            {
                "name": "compare.sweep",
                "value": round(time.perf_counter() - start, 3),
                "unit": "s",
                "note": f"25 steps of compute_line over {rows:,} rows, with exact flips "
                f"({len(sweep.flipping_rows()):,} models flip)",
            }
        )
    figures.append({"name": "compare.rows", "value": rows, "unit": "count"})
    figures.append(
        {
            "name": "compare.summary.staged_or_restricted",
            "value": sum(p["tiers"]["staged"] + p["tiers"]["restricted"] for p in summary["policies"]),
            "unit": "decisions",
            "note": "a checksum of the summary, summed over the 8 policies",
        }
    )
    return figures


def main() -> None:
    """Run from the command line and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (the row count stays)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="population size (default 1,000,000)")
    args = parser.parse_args()
    print(json.dumps(run(args.quick, args.rows), indent=2))


if __name__ == "__main__":
    main()
