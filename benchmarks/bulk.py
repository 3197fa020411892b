"""Bulk ``governance decide``: 1,000 candidate files in one call, against parsing and deciding them in-process.

Usage::

    python benchmarks/bulk.py [--quick]

``benchmarks/run.py`` imports :func:`run`. It writes 1,000 varied candidate files (the shipped examples,
renamed, and seeded edge-heavy candidates from ``benchmarks/edge_candidates.py``; YAML and JSON), then
measures CPU time (user + system; the machine is shared, and CPU time is what other processes disturb
least), the runs taking turns, median of the repeats:

- ``bulk.baseline``: for each file, read it, parse it with libyaml's C loader (``yaml.CSafeLoader``),
  validate it as a ``Candidate`` and ``decide`` it under the policy: the in-process decision time plus
  C-loader parsing. No output is written.
- ``bulk.cli.in_process``: ``governance decide FILES --policy eu-ai-act --as-of 2026-01-01 --format json``
  through :func:`governance.cli.main` in this process, standard output to a file. Aim (issue 12): at
  most 1.5x the baseline.
- ``bulk.cli.fresh_process``: the same command in a fresh ``python -m governance`` (cold start included).
- ``bulk.rss_per_decision``: the peak resident set of a fresh process deciding every file, less that of
  one deciding one file, per decision. Aim: at most 5 KB per decision.
- ``bulk.traced_peak_per_decision``: the most memory Python held at once (tracemalloc) during the
  in-process command for every file, less for 10 files, per decision. Same aim.

The output of both runs is checked: one JSON array with a decision document per file.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as ``python benchmarks/bulk.py`` from a source tree
    sys.path.insert(0, str(ROOT))

import yaml

from benchmarks.edge_candidates import bench3_documents, illustrative_documents
from governance import Candidate, decide, load_policy

__all__ = ["run", "write_candidates"]

FILES = 1_000
POLICY = "eu-ai-act"
AS_OF = dt.date(2026, 1, 1)
RATIO_TARGET = 1.5
RSS_TARGET = 5 * 1024

_CHILD = (
    "import resource, sys\n"
    "from governance.cli import main\n"
    "code = 0\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "sys.stderr.write(f'\\nmaxrss={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')\n"
    "sys.exit(code)\n"
)


def write_candidates(folder: Path, count: int = FILES, *, seed: int = 20240801) -> list[Path]:
    """Write ``count`` candidate files: a quarter shipped examples (renamed), the rest edge candidates."""
    examples = [
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        for path in sorted((ROOT / "examples" / "candidates").glob("*.yaml"))
    ]
    edge = illustrative_documents(count, seed) + bench3_documents(count, seed + 1)
    paths: list[Path] = []
    for index in range(count):
        if index % 4 == 0:
            document = json.loads(json.dumps(examples[(index // 4) % len(examples)], default=str))
            document["model"]["name"] = f"{document['model']['name']} #{index}"
        else:
            document = edge[index]
        if index % 10 == 9:
            path = folder / f"candidate-{index:05d}.json"
            path.write_text(json.dumps(document, indent=1), encoding="utf-8")
        else:
            path = folder / f"candidate-{index:05d}.yaml"
            path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths


def _baseline(paths: list[Path]) -> float:
    policy = load_policy(POLICY)
    start = time.process_time()
    for path in paths:
        document = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        decide(Candidate.model_validate(document), policy, as_of=AS_OF)
    return time.process_time() - start


def _arguments(paths: list[Path]) -> list[str]:
    return ["decide", *map(str, paths), "--policy", POLICY, "--as-of", AS_OF.isoformat(), "--format", "json"]


def _in_process(paths: list[Path], out: Path) -> float:
    from governance.cli import main

    with out.open("w", encoding="utf-8") as stream:
        start = time.process_time()
        with contextlib.redirect_stdout(stream), contextlib.suppress(SystemExit):
            main(_arguments(paths))
        return time.process_time() - start


def _traced_peak(paths: list[Path], out: Path) -> int:
    """The most memory Python held at once (tracemalloc) while the command ran in this process."""
    from governance.cli import main

    with out.open("w", encoding="utf-8") as stream, contextlib.redirect_stdout(stream):
        tracemalloc.start()
        with contextlib.suppress(SystemExit):
            main(_arguments(paths))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def _fresh(paths: list[Path], out: Path) -> tuple[float, int]:
    with out.open("wb") as stream:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run(
            [sys.executable, "-c", _CHILD, *_arguments(paths)], stdout=stream, stderr=subprocess.PIPE, cwd=ROOT
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        elapsed = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if result.returncode != 0:
        raise RuntimeError(f"governance decide failed ({result.returncode}): {result.stderr[-600:]!r}")
    rss = int(result.stderr.decode().rsplit("maxrss=", 1)[1].split()[0])  # KiB on Linux
    return elapsed, rss * 1024


def _check(out: Path, count: int) -> None:
    documents = json.loads(out.read_text(encoding="utf-8"))
    if len(documents) != count or any("tier" not in d for d in documents):
        raise RuntimeError(f"expected {count} decision documents in {out}, found {len(documents)}")


def run(quick: bool) -> list[dict[str, Any]]:
    """Measure; return the figures."""
    repeats = 3 if quick else 7
    with tempfile.TemporaryDirectory(prefix="governance-bulk-") as name:
        folder = Path(name)
        paths = write_candidates(folder)
        out = folder / "out.json"
        _baseline(paths[:20])  # warm: the policy compiled, the validators built
        _in_process(paths[:20], out)
        samples: dict[str, list[float]] = {"baseline": [], "in_process": [], "fresh": []}
        rss_all: list[int] = []
        rss_one: list[int] = []
        for _ in range(repeats):
            samples["baseline"].append(_baseline(paths))
            samples["in_process"].append(_in_process(paths, out))
            _check(out, len(paths))
            seconds, rss = _fresh(paths, out)
            _check(out, len(paths))
            samples["fresh"].append(seconds)
            rss_all.append(rss)
            rss_one.append(_fresh(paths[:1], out)[1])
        few = 10
        traced = (_traced_peak(paths, out) - _traced_peak(paths[:few], out)) / (len(paths) - few)
    base = statistics.median(samples["baseline"])
    in_process = statistics.median(samples["in_process"])
    fresh = statistics.median(samples["fresh"])
    per_decision = (statistics.median(rss_all) - statistics.median(rss_one)) / (len(paths) - 1)
    files = f"{len(paths):,} files (YAML and JSON) under {POLICY}"
    return [
        {
            "name": "bulk.baseline",
            "value": round(base * 1000, 1),
            "unit": "ms",
            "note": f"{files}: read, yaml.CSafeLoader, Candidate.model_validate, decide; in-process",
        },
        {
            "name": "bulk.cli.in_process",
            "value": round(in_process * 1000, 1),
            "unit": "ms",
            "baseline": "bulk.baseline",
            "ratio": round(in_process / base, 3),
            "target": f"<= {RATIO_TARGET:g}x the baseline",
            "met": in_process / base <= RATIO_TARGET,
            "note": f"governance decide {files} --format json via cli.main(), output to a file",
        },
        {
            "name": "bulk.cli.fresh_process",
            "value": round(fresh * 1000, 1),
            "unit": "ms",
            "baseline": "bulk.baseline",
            "ratio": round(fresh / base, 3),
            "note": "the same command in a fresh python -m governance (its cold start included)",
        },
        {
            "name": "bulk.rss_per_decision",
            "value": round(per_decision),
            "unit": "bytes",
            "target": f"<= {RSS_TARGET:,}",
            "met": per_decision <= RSS_TARGET,
            "note": f"peak RSS of the fresh process deciding {len(paths):,} files less one deciding 1, per decision",
        },
        {
            "name": "bulk.traced_peak_per_decision",
            "value": round(traced),
            "unit": "bytes",
            "target": f"<= {RSS_TARGET:,}",
            "met": traced <= RSS_TARGET,
            "note": f"tracemalloc peak of the in-process command for {len(paths):,} files less for {few}, per "
            "decision (the loaded candidates included)",
        },
    ]


def main() -> int:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    print(json.dumps(run(args.quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
