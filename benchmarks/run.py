"""Benchmarks: the engine beside durable_rules, Cedar, Rego, plain Python and numpy, in one run.

Usage::

    python benchmarks/run.py [--quick] [--json FILE] [--markdown FILE] [--candidates N] [--population N]
                             [--repeats N] [--seed N] [--no-extras]

Everything is measured in the same process on the same seeded, edge-heavy candidates and the same
policy (``benchmarks/policies/bench-3rule/1.0``), and every engine's answer is compared with ours on
every candidate. Each of ``--repeats`` passes runs every engine over all candidates in chunks of 500,
the engines taking turns after each chunk so that noise on a shared machine falls on all of them
alike; a timing is the median of its per-chunk samples (``range``: their 10th and 90th percentiles).
Ratios are taken against baselines measured in the same run. The figures are printed as a table and as a JSON list of
``{name, value, unit}`` objects (optional keys: ``baseline``, ``ratio``, ``range``, ``target``,
``met``, ``note``). The exit status is 1 when any engine disagrees with ours, or when an extra
benchmark module fails. ``docs/performance.md`` explains each figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as ``python benchmarks/run.py`` from a source tree
    sys.path.insert(0, str(ROOT))

import numpy as np
from rich.console import Console
from rich.table import Table

from benchmarks import peers
from benchmarks.edge_candidates import (
    bench3_arrays,
    bench3_documents,
    illustrative_arrays,
    illustrative_documents,
)
from governance import Candidate, Decision, Policy, compile_policy, decide, extract_features, load_policy
from governance.canonical import canonical_bytes
from governance.vectorised import VectorisedPolicy, feature_arrays

__all__ = ["Figure", "Sizes", "main", "measure"]

BENCH_POLICY = HERE / "policies" / "bench-3rule" / "1.0" / "policy.yaml"
AS_OF = dt.date(2026, 1, 1)
"""The decision date of every benchmark decision (both policies are in force on it)."""
EXTRAS = ("ledger", "compare", "startup", "bulk")
"""Other benchmark modules (``benchmarks/<name>.py`` exposing ``run(quick: bool) -> list[dict]``)."""
US = "us/decision"
RATE = "decisions/s"
CHUNK = 500
"""Candidates per timed sample; the engines take turns after each chunk (also Cedar's batch size)."""
VECTORISED_TARGET = 10_000_000.0
DURABLE_TARGET = 1.5
_TIERS = ("open", "staged", "restricted")


@dataclass(frozen=True)
class Sizes:
    """How much to run: candidates per engine, vectorised population, timed passes."""

    candidates: int
    population: int
    repeats: int

    @classmethod
    def default(cls, quick: bool) -> Sizes:
        """1,500 candidates x 3 passes with ``--quick``, else 10,000 x 5; always 1,000,000 for numpy."""
        return cls(1_500, 1_000_000, 3) if quick else cls(10_000, 1_000_000, 5)


@dataclass
class Figure:
    """One reported number."""

    name: str
    value: float
    unit: str
    baseline: str | None = None
    ratio: float | None = None
    range: tuple[float, float] | None = None
    target: str | None = None
    met: bool | None = None
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The figure as a JSON object, without the optional keys that are unset."""
        out: dict[str, Any] = {"name": self.name, "value": self.value, "unit": self.unit}
        for key in ("baseline", "ratio", "range", "target", "met", "note"):
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass
class Timings:
    """Samples of every timed path: microseconds per decision per chunk, or seconds per population."""

    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        """Record one sample of ``name``."""
        self.samples.setdefault(name, []).append(value)

    def median(self, name: str) -> float:
        """The median sample of ``name``."""
        return statistics.median(self.samples[name])

    def spread(self, name: str) -> tuple[float, float]:
        """The 10th and 90th percentiles of the samples of ``name`` (min and max when there are few)."""
        samples = self.samples[name]
        if len(samples) < 10:
            return min(samples), max(samples)
        deciles = statistics.quantiles(samples, n=10)
        return deciles[0], deciles[-1]


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _chunk_us(fn: Callable[[Any], object], chunk: Sequence[Any], *, whole: bool) -> float:
    """Microseconds per decision for ``fn`` over ``chunk``: one call per item, or one for all (``whole``)."""
    start = time.perf_counter_ns()
    if whole:
        fn(chunk)
    else:
        for item in chunk:
            fn(item)
    return (time.perf_counter_ns() - start) / len(chunk) / 1000.0


def _ours(decision: Decision) -> peers.Outcome:
    # The peers read an unknown input as the largest double: their matches are the rules that fired or
    # are not ruled out, which is what raises our tier.
    waiting = decision.not_ruled_out or ()
    return decision.tier.value, tuple(sorted([reason.rule for reason in decision.reasons] + [w.rule for w in waiting]))


def _fresh(documents: Sequence[dict[str, Any]]) -> list[Candidate]:
    """Newly validated candidates: nothing (such as the digest) cached from an earlier pass."""
    return [Candidate.model_validate(d) for d in documents]


def _full(policy: Policy, evaluator: Literal["durable_rules", "python"]) -> Callable[[Candidate], str]:
    """Our decision with its canonical bytes and both digests (the candidate's is inside the bytes)."""

    def run(candidate: Candidate) -> str:
        decision = decide(candidate, policy, as_of=AS_OF, evaluator=evaluator)
        decision.canonical_json()
        return decision.digest

    return run


def _readable(policy: Policy) -> Callable[[Candidate], object]:
    """Our decision, read as Cedar's answer is read: the tier, the fired and not-ruled-out rules, the reasons."""

    def run(candidate: Candidate) -> object:
        decision = decide(candidate, policy, as_of=AS_OF)
        return decision.tier, decision.reasons, decision.not_ruled_out

    return run


def _count(expected: Sequence[peers.Outcome], got: Sequence[peers.Outcome], *, tier_only: bool = False) -> int:
    if tier_only:
        return sum(e[0] != g[0] for e, g in zip(expected, got, strict=True))
    return sum(e != g for e, g in zip(expected, got, strict=True))


def _vectorised_outcomes(policy: Policy, candidates: Sequence[Candidate]) -> list[peers.Outcome]:
    result = VectorisedPolicy(compile_policy(policy)).evaluate(feature_arrays(candidates, policy, AS_OF))
    return [
        (_TIERS[int(result.tiers[i])], tuple(sorted(result.fired_rules(i) + result.not_ruled_out_rules(i))))
        for i in range(len(candidates))
    ]


_TRAP_NOTES = {
    "log10_compute": ("candidates a log10(FLOP) encoding would decide differently"),
    "rounded_bio": ("candidates round(bio * 1000) >= 800 would decide differently"),
    "exponent_repr": ("candidates with a number durable_rules' JSON parser rejects (1e+25, 1e-05)"),
}


def _exponent_without_point(value: float) -> bool:
    mantissa, exponent, _ = repr(value).partition("e")
    return bool(exponent) and "." not in mantissa


def _trap_counts(candidates: Sequence[Candidate]) -> dict[str, int]:
    """How many candidates would catch out each naive encoding: the candidate set has teeth."""
    counts = dict.fromkeys(_TRAP_NOTES, 0)
    for candidate in candidates:
        flop = candidate.compute.training_flop
        bio = candidate.capabilities.get("bio")
        numbers = [v for v in (flop, bio) if isinstance(v, float)]
        if isinstance(flop, float) and any(
            (math.log10(flop) >= math.log10(line)) != (flop >= line) for line in (1.0e25, 1.0e26)
        ):
            counts["log10_compute"] += 1
        if isinstance(bio, float) and (round(bio * 1000) >= 800) != (bio >= 0.8):
            counts["rounded_bio"] += 1
        if any(_exponent_without_point(v) for v in numbers):
            counts["exponent_repr"] += 1
    return counts


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    packages = ", ".join(
        f"{name} {version(name)}" for name in ("durable_rules", "cedarpy", "regopy", "numpy", "pydantic")
    )
    return (
        f"{model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}; "
        f"CPython {platform.python_version()}; {packages}"
    )


def measure(sizes: Sizes, *, seed: int = 20240801) -> tuple[list[Figure], int]:
    """Run every benchmark of this module; return the figures and the number of disagreements."""
    bench = load_policy(BENCH_POLICY)
    peers.check_bench_policy(bench)
    illustrative = load_policy("illustrative-capability@1.0")
    n = sizes.candidates

    _log(f"generating {n:,} edge-heavy candidates per policy (seed {seed})")
    bench_docs = bench3_documents(n, seed)
    illus_docs = illustrative_documents(n, seed + 1)
    bench_candidates = _fresh(bench_docs)
    illus_candidates = _fresh(illus_docs)

    plain = peers.plain_python
    durable_assert = peers.DurableAssertPeer()
    durable_post = peers.DurablePostPeer()
    cedar = peers.CedarPeer()
    rego = peers.RegoPeer()
    compiled = compile_policy(bench)

    # -- agreement: every engine on every candidate, against our decision ----------------------
    _log("checking that every engine agrees with ours on every candidate")
    ours_docs = [decide(c, bench, as_of=AS_OF) for c in bench_candidates]
    expected = [_ours(d) for d in ours_docs]
    python_docs = [decide(c, bench, as_of=AS_OF, evaluator="python") for c in _fresh(bench_docs)]
    illus_ours = [decide(c, illustrative, as_of=AS_OF) for c in illus_candidates]
    illus_python = [decide(c, illustrative, as_of=AS_OF, evaluator="python") for c in _fresh(illus_docs)]
    batches = [bench_candidates[i : i + CHUNK] for i in range(0, n, CHUNK)]
    fatal = {
        "plain_python": _count(expected, [plain(c) for c in bench_candidates]),
        "cedar.is_authorized": _count(expected, [cedar.decide(c) for c in bench_candidates]),
        "cedar.is_authorized_batch": _count(expected, [o for b in batches for o in cedar.decide_batch(b)]),
        "rego.query_bundle": _count(expected, [rego.decide(c) for c in bench_candidates]),
        "decide.bench3.python": sum(
            a.canonical_json() != b.canonical_json() for a, b in zip(ours_docs, python_docs, strict=True)
        ),
        "decide.illustrative.python": sum(
            a.canonical_json() != b.canonical_json() for a, b in zip(illus_ours, illus_python, strict=True)
        ),
        "vectorised.bench3": _count(expected, _vectorised_outcomes(bench, bench_candidates)),
        "vectorised.illustrative": _count(
            [_ours(d) for d in illus_ours], _vectorised_outcomes(illustrative, illus_candidates)
        ),
    }
    baseline_checks = {
        "durable_rules.assert_retract": _count(expected, [durable_assert.decide(c) for c in bench_candidates]),
        "durable_rules.post": _count(expected, [durable_post.decide(c) for c in bench_candidates], tier_only=True),
    }
    for label, outcomes in (("bench-3rule", expected), ("illustrative-capability", [_ours(d) for d in illus_ours])):
        _log(f"{label} tiers: " + ", ".join(f"{t} {sum(o[0] == t for o in outcomes):,}" for t in _TIERS))
    _log(f"disagreements: {fatal | baseline_checks}")

    traps = _trap_counts(bench_candidates)

    # -- timing: the engines take turns, chunk by chunk ---------------------------------------
    values = [extract_features(c, bench, AS_OF).values for c in bench_candidates]
    paths: list[tuple[str, Callable[[Any], object], Callable[[], Sequence[Any]], bool]] = [
        ("decide.bench3.durable_rules", _full(bench, "durable_rules"), lambda: _fresh(bench_docs), False),
        ("decide.bench3.readable", _readable(bench), lambda: _fresh(bench_docs), False),
        ("decide.bench3.python", _full(bench, "python"), lambda: _fresh(bench_docs), False),
        ("decide.illustrative.durable_rules", _full(illustrative, "durable_rules"), lambda: _fresh(illus_docs), False),
        ("decide.illustrative.python", _full(illustrative, "python"), lambda: _fresh(illus_docs), False),
        ("stage.validate", Candidate.model_validate, lambda: bench_docs, False),
        ("stage.candidate_digest", lambda c: c.digest, lambda: _fresh(bench_docs), False),
        ("stage.features", lambda c: extract_features(c, bench, AS_OF), lambda: bench_candidates, False),
        ("stage.fire_durable", compiled.evaluate_durable, lambda: values, False),
        ("stage.fire_python", compiled.evaluate_scalar, lambda: values, False),
        ("stage.canonical_json", lambda d: canonical_bytes(d.document()), lambda: ours_docs, False),
        ("durable_rules.assert_retract", durable_assert.decide, lambda: bench_candidates, False),
        ("durable_rules.post", durable_post.decide, lambda: bench_candidates, False),
        ("plain_python", plain, lambda: bench_candidates, False),
        ("cedar.is_authorized", cedar.decide, lambda: bench_candidates, False),
        ("cedar.is_authorized_json", cedar.decide_json, lambda: bench_candidates, False),
        ("cedar.is_authorized_batch", cedar.decide_batch, lambda: bench_candidates, True),
        ("rego.query_bundle", rego.decide, lambda: bench_candidates, False),
    ]
    timings = Timings()
    for repeat in range(sizes.repeats):
        _log(f"timing pass {repeat + 1}/{sizes.repeats}")
        prepared = [prepare() for _, _, prepare, _ in paths]
        gc.collect()
        gc.freeze()  # the prepared inputs are not the engines' garbage: keep them out of every collection
        for turn, start in enumerate(range(0, n, CHUNK)):
            order = list(range(len(paths)))
            order = order[turn % len(order) :] + order[: turn % len(order)]
            for index in order:
                name, fn, _, whole = paths[index]
                chunk = prepared[index][start : start + CHUNK]
                timings.add(name, _chunk_us(fn, chunk, whole=whole))
        gc.unfreeze()
        del prepared

    # -- vectorised, from arrays ---------------------------------------------------------------
    size = sizes.population
    _log(f"vectorised evaluator on {size:,} candidates from arrays")
    arrays = bench3_arrays(size, seed)
    illus_arrays = illustrative_arrays(size, seed + 1)
    bench_vector = VectorisedPolicy(compiled)
    illus_vector = VectorisedPolicy(compile_policy(illustrative))
    numpy_disagree = int(
        np.count_nonzero(
            bench_vector.evaluate(arrays).tiers != peers.numpy_tiers(arrays["training_flop"], arrays["capability.bio"])
        )
    )
    fatal["numpy_hand.bench3"] = numpy_disagree
    vector_paths: list[tuple[str, Callable[[], object]]] = [
        ("vectorised.bench3", lambda: bench_vector.evaluate(arrays)),
        ("numpy_hand.bench3", lambda: peers.numpy_tiers(arrays["training_flop"], arrays["capability.bio"])),
        ("vectorised.illustrative", lambda: illus_vector.evaluate(illus_arrays)),
    ]
    for _ in range(max(sizes.repeats, 5)):
        for name, run in vector_paths:
            gc.collect()
            start = time.perf_counter_ns()
            run()
            timings.add(name, (time.perf_counter_ns() - start) / 1e9)

    return _figures(sizes, timings, fatal, baseline_checks, traps), sum(fatal.values())


def _figures(
    sizes: Sizes, t: Timings, fatal: dict[str, int], checks: dict[str, int], traps: dict[str, int]
) -> list[Figure]:
    def timed(name: str, baseline: str | None = None, note: str | None = None) -> Figure:
        value = t.median(name)
        low, high = t.spread(name)
        figure = Figure(name, round(value, 3), US, range=(round(low, 3), round(high, 3)), note=note)
        if baseline is not None:
            figure.baseline = baseline
            figure.ratio = round(value / t.median(baseline), 3)
        return figure

    def rate(name: str, baseline: str | None = None) -> Figure:
        seconds = t.median(name)
        slowest, fastest = t.spread(name)
        figure = Figure(
            name,
            round(sizes.population / seconds),
            RATE,
            range=(round(sizes.population / fastest), round(sizes.population / slowest)),
            note=f"{seconds * 1000:.2f} ms per {sizes.population:,} from arrays",
        )
        if baseline is not None:
            figure.baseline = baseline
            figure.ratio = round(t.median(baseline) / seconds, 3)
        return figure

    ours = t.median("decide.bench3.durable_rules")
    figures = [
        timed(
            "decide.bench3.durable_rules",
            "durable_rules.assert_retract",
            "full decision, validated Candidate to canonical JSON and both digests",
        ),
        timed(
            "decide.bench3.readable",
            "cedar.is_authorized",
            "decide, then read tier, reasons and not-ruled-out rules (no bytes asked for)",
        ),
        timed(
            "decide.bench3.python",
            "decide.bench3.durable_rules",
            "same document, Python predicates instead of durable_rules",
        ),
        timed(
            "decide.illustrative.durable_rules",
            "decide.bench3.durable_rules",
            "shipped illustrative-capability@1.0: 8 rules, 7 domains",
        ),
        timed("decide.illustrative.python", "decide.illustrative.durable_rules"),
        timed("stage.validate", note="pydantic: candidate dict to Candidate"),
        timed("stage.candidate_digest", note="canonical JSON + SHA-256 of the candidate"),
        timed("stage.features", note="extract_features (every catalogue feature)"),
        timed("stage.fire_durable", note="our durable_rules call: assert, collect, retract"),
        timed("stage.fire_python", note="compiled Python predicates"),
        timed("stage.canonical_json", note="canonical JSON of a decision document"),
        timed("durable_rules.assert_retract", note="stock Host, durable.lang rules; the baseline"),
        timed("durable_rules.post", "durable_rules.assert_retract", "stock Host, one rule per event; tier only"),
        timed("plain_python", "decide.bench3.durable_rules", "hand-written function"),
        timed("cedar.is_authorized", "decide.bench3.durable_rules", "pre-parsed PolicySet, dict EUIDs, Long inputs"),
        timed("cedar.is_authorized_json", "cedar.is_authorized", "is_authorized, read, response written by json.dumps"),
        timed("cedar.is_authorized_batch", "decide.bench3.durable_rules", f"batches of {CHUNK:,}"),
        timed("rego.query_bundle", "decide.bench3.durable_rules", "built bundle, integer Input"),
        rate("vectorised.bench3", "numpy_hand.bench3"),
        rate("numpy_hand.bench3"),
        rate("vectorised.illustrative"),
    ]
    durable_ratio = ours / t.median("durable_rules.assert_retract")
    cedar_ratio = ours / t.median("cedar.is_authorized")
    rego_ratio = ours / t.median("rego.query_bundle")
    vector_rate = sizes.population / t.median("vectorised.bench3")
    readable = t.median("decide.bench3.readable")
    readable_cedar = readable / t.median("cedar.is_authorized")
    readable_durable = readable / t.median("durable_rules.assert_retract")
    bytes_cedar = ours / t.median("cedar.is_authorized_json")
    figures += [
        Figure(
            "aim.readable_vs_cedar",
            round(readable_cedar, 3),
            "x",
            target="< 1",
            met=readable_cedar < 1,
            note="decide to a readable Decision / Cedar is_authorized",
        ),
        Figure(
            "aim.readable_vs_durable_rules",
            round(readable_durable, 3),
            "x",
            target=f"<= {DURABLE_TARGET}",
            met=readable_durable <= DURABLE_TARGET,
            note="decide to a readable Decision / bare durable_rules assert+retract",
        ),
        Figure(
            "aim.bytes_vs_cedar_json",
            round(bytes_cedar, 3),
            "x",
            target="<= 1",
            met=bytes_cedar <= 1,
            note="decision with canonical bytes and both digests / Cedar is_authorized + json.dumps",
        ),
        Figure(
            "aim.decide_vs_durable_rules",
            round(durable_ratio, 3),
            "x",
            target=f"<= {DURABLE_TARGET}",
            met=durable_ratio <= DURABLE_TARGET,
            note="full decision / bare durable_rules assert+retract",
        ),
        Figure(
            "aim.decide_vs_cedar",
            round(cedar_ratio, 3),
            "x",
            target="< 1",
            met=cedar_ratio < 1,
            note="full decision / Cedar is_authorized",
        ),
        Figure(
            "aim.decide_vs_rego",
            round(rego_ratio, 3),
            "x",
            target="< 1",
            met=rego_ratio < 1,
            note="full decision / Rego query_bundle",
        ),
        Figure(
            "aim.vectorised_rate",
            round(vector_rate),
            RATE,
            target=f">= {VECTORISED_TARGET:,.0f}",
            met=vector_rate >= VECTORISED_TARGET,
            note="bench-3rule, from arrays",
        ),
    ]
    for name, count in fatal.items():
        figures.append(Figure(f"disagreements.{name}", count, "count", target="0", met=count == 0))
    for name, count in checks.items():
        figures.append(
            Figure(f"disagreements.{name}", count, "count", note="stock durable_rules baseline; reported, not fatal")
        )
    for name, note in _TRAP_NOTES.items():
        figures.append(Figure(f"traps.{name}", traps[name], "count", note=note))
    total = sum(fatal.values())
    figures.append(Figure("disagreements", total, "count", target="0", met=total == 0, note="sum of the fatal counts"))
    figures += [
        Figure("size.candidates", sizes.candidates, "count", note="per policy, each engine"),
        Figure("size.population", sizes.population, "count", note="vectorised arrays"),
        Figure("size.repeats", sizes.repeats, "count", note="timed passes over every candidate"),
    ]
    return figures


def run_extras(quick: bool) -> tuple[list[Figure], list[str]]:
    """Run the other benchmark modules that exist; return their figures and notes on what was skipped.

    Each module runs in a fresh interpreter: this process keeps the stock durable_rules Host alive,
    whose timer threads would change how those modules run (the ledger's replay workers, for one,
    are forked only from a process without other threads).
    """
    figures: list[Figure] = []
    notes: list[str] = []
    for name in EXTRAS:
        if not (HERE / f"{name}.py").is_file():
            notes.append(f"benchmarks/{name}.py is absent: skipped")
            continue
        _log(f"running benchmarks/{name}.py in its own interpreter")
        with tempfile.TemporaryDirectory(prefix="governance-bench-") as folder:
            out = Path(folder) / "figures.json"
            code = (
                "import json, sys\n"
                f"from benchmarks import {name} as module\n"
                f"json.dump(module.run({quick!r}), open(sys.argv[1], 'w', encoding='utf-8'))\n"
            )
            result = subprocess.run([sys.executable, "-c", code, str(out)], cwd=HERE.parent, check=False)
            if result.returncode != 0 or not out.is_file():
                notes.append(f"benchmarks/{name}.py failed (exit {result.returncode}); see its output above")
                continue
            items = json.loads(out.read_text(encoding="utf-8"))
        for item in items:
            known = {k: item[k] for k in ("baseline", "ratio", "range", "target", "met", "note") if k in item}
            if "range" in known:
                known["range"] = tuple(known["range"])
            figures.append(Figure(str(item["name"]), item["value"], str(item["unit"]), **known))
    return figures, notes


def _format(value: float, unit: str) -> str:
    if unit == RATE:
        return f"{value:,.0f}"
    if unit == "count":
        return f"{int(value):,}"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:,.3f}" if isinstance(value, float) else str(value)


def render(figures: Sequence[Figure], notes: Sequence[str], machine: str, console: Console) -> None:
    """Print the figures as a readable table."""
    table = Table(title="governance benchmarks", caption=machine, show_lines=False)
    for column in ("figure", "median", "unit", "range", "vs baseline", "aim", "note"):
        table.add_column(column, justify="right" if column in ("median", "vs baseline") else "left")
    for f in figures:
        spread = f"{_format(f.range[0], f.unit)} - {_format(f.range[1], f.unit)}" if f.range else ""
        versus = f"{f.ratio:.2f}x {f.baseline}" if f.ratio is not None else ""
        aim = "" if f.met is None else f"{'met' if f.met else 'MISSED'} ({f.target})"
        table.add_row(f.name, _format(f.value, f.unit), f.unit, spread, versus, aim, f.note or "")
    console.print(table)
    for note in notes:
        console.print(f"note: {note}")


def markdown(figures: Sequence[Figure]) -> str:
    """The figures as a Markdown table (for ``docs/performance.md``)."""
    lines = ["| figure | median | unit | p10 - p90 | vs baseline | aim | note |", "|---|--:|---|---|--:|---|---|"]
    for f in figures:
        spread = f"{_format(f.range[0], f.unit)} - {_format(f.range[1], f.unit)}" if f.range else ""
        versus = f"{f.ratio:.2f}x `{f.baseline}`" if f.ratio is not None else ""
        aim = "" if f.met is None else f"{'met' if f.met else '**missed**'} ({f.target})"
        lines.append(
            f"| `{f.name}` | {_format(f.value, f.unit)} | {f.unit} | {spread} | {versus} | {aim} | {f.note or ''} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run, print the table and the JSON list; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer candidates and passes (under a minute)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the JSON list of figures to FILE")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the figures as a Markdown table")
    parser.add_argument("--candidates", type=int, help="candidates per policy (overrides the mode's size)")
    parser.add_argument("--population", type=int, help="vectorised population size (default 1,000,000)")
    parser.add_argument(
        "--repeats", type=int, help="timed passes over every candidate (timings are medians of per-chunk samples)"
    )
    parser.add_argument("--seed", type=int, default=20240801, help="random seed of the candidates")
    parser.add_argument(
        "--no-extras", action="store_true", help="skip benchmarks/ledger.py, compare.py, startup.py and bulk.py"
    )
    args = parser.parse_args(argv)
    default = Sizes.default(args.quick)
    sizes = Sizes(
        candidates=default.candidates if args.candidates is None else args.candidates,
        population=default.population if args.population is None else args.population,
        repeats=default.repeats if args.repeats is None else args.repeats,
    )
    for label, value in (
        ("--candidates", sizes.candidates),
        ("--population", sizes.population),
        ("--repeats", sizes.repeats),
    ):
        if value < 1:
            parser.error(f"{label} must be at least 1, got {value}")

    started = time.perf_counter()
    figures, disagreements = measure(sizes, seed=args.seed)
    notes: list[str] = []
    if args.no_extras:
        notes.append("extra benchmark modules skipped (--no-extras)")
    else:
        extra, notes = run_extras(args.quick)
        figures += extra
    machine = _machine()
    notes.append(
        f"total time {time.perf_counter() - started:.1f} s; command: python benchmarks/run.py "
        + " ".join(sys.argv[1:] if argv is None else argv)
    )
    render(figures, notes, machine, Console(width=200))
    payload = [f.as_json() for f in figures]
    print(json.dumps(payload))
    for option, path, text in (
        ("--json", args.json, json.dumps(payload, indent=2) + "\n"),
        ("--markdown", args.markdown, markdown(figures)),
    ):
        if path is None:
            continue
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"error: cannot write {option} {path}: {exc.strerror}", file=sys.stderr)
            return 2
    failed = [n for n in notes if " failed: " in n]
    if disagreements:
        print(f"error: {disagreements} disagreement(s) with our decisions (see disagreements.*)", file=sys.stderr)
    return 1 if disagreements or failed else 0


if __name__ == "__main__":
    sys.exit(main())
