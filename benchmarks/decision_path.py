"""The decision path on a noisy machine: same-run ratios from thread CPU time, and a stage profile.

Usage::

    python benchmarks/decision_path.py compare [ROOT] [--passes N]  # readable, full vs Cedar, durable_rules
    python benchmarks/decision_path.py stages [--passes N]          # each stage, as a fraction of Cedar

``compare`` imports ``governance`` from ROOT (a source tree, e.g. ``git archive COMMIT | tar -x -C DIR``;
default: this one), so that one commit can be set beside another, each in its own process. Both modes
run the bench-3rule candidates of ``benchmarks/run.py`` in chunks of 50, the paths taking turns chunk
by chunk, and time them with ``time.thread_time_ns``: CPU time of this thread, which waiting for a core
on a shared machine does not inflate. A figure is the 10th percentile of its chunk samples.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHUNK = 50
COUNT = 1_500


def _quantile(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10)[0]


def _turns(paths: dict[str, Callable[[int], object]], passes: int, prepare: Callable[[], None]) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(passes):
        prepare()
        gc.collect()
        gc.freeze()
        for start in range(0, COUNT, CHUNK):
            for name, path in paths.items():
                begin = time.thread_time_ns()
                for index in range(start, start + CHUNK):
                    path(index)
                samples[name].append((time.thread_time_ns() - begin) / CHUNK / 1000)
        gc.unfreeze()
    return {name: _quantile(values) for name, values in samples.items()}


def compare(root: Path, passes: int) -> str:
    """Readable and full decision, Cedar and bare durable_rules, and their ratios (one line)."""
    sys.path.insert(0, str(root))
    from benchmarks import peers
    from benchmarks.edge_candidates import bench3_documents
    from benchmarks.run import BENCH_POLICY, _fresh, _full, _readable
    from governance import load_policy

    bench = load_policy(BENCH_POLICY)
    documents = bench3_documents(COUNT, 20240801)
    cedar, durable = peers.CedarPeer(), peers.DurableAssertPeer()
    shared = _fresh(documents)
    fresh: dict[str, list[Any]] = {}
    readable, full = _readable(bench), _full(bench, "durable_rules")

    def prepare() -> None:
        fresh["readable"], fresh["full"] = _fresh(documents), _fresh(documents)

    paths: dict[str, Callable[[int], object]] = {
        "readable": lambda i: readable(fresh["readable"][i]),
        "full": lambda i: full(fresh["full"][i]),
        "cedar": lambda i: cedar.decide(shared[i]),
        "durable_rules": lambda i: durable.decide(shared[i]),
    }
    t = _turns(paths, passes, prepare)
    return (
        f"{root}: "
        + " ".join(f"{name}={value:.1f}us" for name, value in t.items())
        + f" | readable/cedar={t['readable'] / t['cedar']:.2f} readable/durable_rules="
        f"{t['readable'] / t['durable_rules']:.2f} full/durable_rules={t['full'] / t['durable_rules']:.2f}"
        f" full/cedar={t['full'] / t['cedar']:.2f}"
    )


def stages(passes: int) -> list[str]:
    """Each stage of the decision timed alone, in microseconds and as a fraction of Cedar."""
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    from benchmarks import peers
    from benchmarks.edge_candidates import bench3_documents
    from benchmarks.run import AS_OF, BENCH_POLICY, _fresh
    from governance import compile_policy, decide, explain, extract_features, load_policy
    from governance.canonical import canonical_bytes, sha256_hex

    bench = load_policy(BENCH_POLICY)
    compiled = compile_policy(bench)
    documents = bench3_documents(COUNT, 20240801)
    candidates = _fresh(documents)
    features = [extract_features(c, bench, AS_OF, None, names=compiled.needed) for c in candidates]
    evaluations = [compiled.evaluate_durable(f.values) for f in features]
    aggregates = [compiled.aggregate(e, f.values) for e, f in zip(evaluations, features, strict=True)]
    whole = [decide(c, bench, as_of=AS_OF).document() for c in candidates]
    encoded = [canonical_bytes(document) for document in whole]
    cedar, durable = peers.CedarPeer(), peers.DurableAssertPeer()
    fresh: dict[str, list[Any]] = {}

    def prepare() -> None:
        fresh["digest"] = _fresh(documents)
        fresh["pending"] = [
            decide(c, bench, as_of=AS_OF).__pydantic_private__["_pending"]  # type: ignore[index]
            for c in candidates
        ]

    def readable(i: int) -> object:
        decision = decide(candidates[i], bench, as_of=AS_OF)
        return decision.tier, decision.reasons, decision.not_ruled_out

    paths: dict[str, Callable[[int], object]] = {
        "cedar.is_authorized": lambda i: cedar.decide(candidates[i]),
        "durable_rules.assert_retract": lambda i: durable.decide(candidates[i]),
        "features": lambda i: extract_features(candidates[i], bench, AS_OF, None, names=compiled.needed),
        "durable_rules evaluate (ours)": lambda i: compiled.evaluate_durable(features[i].values),
        "aggregate": lambda i: compiled.aggregate(evaluations[i], features[i].values),
        "decide to the record": lambda i: decide(candidates[i], bench, as_of=AS_OF),
        "decide, read tier/reasons/not_ruled_out": readable,
        "reasons (templates)": lambda i: explain.reasons_of(compiled, evaluations[i].fired, features[i].values, True),
        "nearest thresholds": lambda i: explain.nearest_thresholds(compiled, features[i].values, aggregates[i].tier),
        "missing evidence + intervals": lambda i: (
            explain.missing_evidence(compiled, features[i]),
            explain.interval_resolutions(compiled, features[i]),
        ),
        "whole document from the record": lambda i: fresh["pending"][i].document(),
        "canonical JSON of the document": lambda i: canonical_bytes(whole[i]),
        "candidate digest (fresh candidate)": lambda i: fresh["digest"][i].digest,
        "SHA-256 of the decision bytes": lambda i: sha256_hex(encoded[i]),
    }
    t = _turns(paths, passes, prepare)
    base = t["cedar.is_authorized"]
    return [f"{name:42s} {value:8.2f} us  {value / base:5.2f} x Cedar" for name, value in t.items()]


def main() -> int:
    """Run one mode and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("mode", choices=("compare", "stages"))
    parser.add_argument("root", nargs="?", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    if args.mode == "compare":
        print(compare(args.root.resolve(), args.passes))
    else:
        print("\n".join(stages(args.passes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
