"""Cold start, memory per kept decision and the garbage collector's share, as same-run ratios.

Usage::

    python benchmarks/startup.py [--quick]

``benchmarks/run.py`` imports :func:`run`. Figures (``{name, value, unit}`` plus optional ``target``,
``met``, ``baseline``, ``ratio``, ``note``):

- ``startup.*``: wall time of a fresh process, the commands taking turns, median of the repeats:
  ``python -c "import pydantic, yaml"`` (the baseline: what any pydantic and YAML tool pays),
  ``import governance``, ``governance --help`` and ``governance decide FILE --policy eu-ai-act --format
  json`` on a shipped example, with the package's bytecode compiled (as an installed package has it).
  Aims (issue 12): decide at most 4x the baseline, ``--help`` at most 3x. ``*.no_bytecode``: the same
  from a copy of the package without bytecode, compiled on every start (``-B``; as round two measured).
- ``memory.kept_decision.*``: bytes allocated per decision kept in a list (tracemalloc), the candidates
  dropped, for ``illustrative-capability@1.0``: as ``decide`` returns it, after its canonical bytes,
  and after a whole-model dump (every typed field built). Aim: at most 5 KB.
- ``gc.share.*``: CPU time of deciding (with canonical bytes) and keeping 4,000 decisions, with the
  collector on, on with the inputs frozen (what ``governance decide`` does), against the collector off.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import gc
import json
import shutil
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
if str(ROOT) not in sys.path:  # run as ``python benchmarks/startup.py`` from a source tree
    sys.path.insert(0, str(ROOT))

from benchmarks.edge_candidates import illustrative_documents
from governance import Candidate, decide, load_policy

__all__ = ["run"]

AS_OF = dt.date(2026, 1, 1)
EXAMPLE = ROOT / "examples" / "candidates" / "frontier-closed-model.yaml"
DECIDE_TARGET = 4.0
HELP_TARGET = 3.0
KEPT_TARGET = 5 * 1024


def _commands() -> dict[str, list[str]]:
    python = sys.executable
    decide = ["decide", str(EXAMPLE), "--policy", "eu-ai-act", "--format", "json"]
    return {
        "startup.import_pydantic_yaml": [python, "-c", "import pydantic, yaml"],
        "startup.import_governance": [python, "-c", "import governance"],
        "startup.help": [python, "-m", "governance", "--help"],
        "startup.decide": [python, "-m", "governance", *decide],
        "startup.help.no_bytecode": [python, "-B", "-m", "governance", "--help"],
        "startup.decide.no_bytecode": [python, "-B", "-m", "governance", *decide],
    }


def _source_copy(folder: Path) -> Path:
    """A copy of the package without bytecode (the data folders linked), for the ``no_bytecode`` runs."""
    shutil.copytree(ROOT / "governance", folder / "governance", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("policies", "evaluations", "examples"):
        (folder / name).symlink_to(ROOT / name)
    return folder


def _startup(repeats: int) -> list[dict[str, Any]]:
    # An installed package has its bytecode compiled (pip does it); a source tree run with
    # PYTHONDONTWRITEBYTECODE=1 (as here) would compile every module on every start. The main figures
    # run the source tree with its bytecode compiled first; the ``no_bytecode`` ones run a copy
    # without any, compiled on every start as the earlier rounds measured.
    compileall.compile_dir(ROOT / "governance", quiet=1)
    with tempfile.TemporaryDirectory(prefix="governance-startup-") as name:
        return _startup_in(repeats, _source_copy(Path(name)))


def _startup_in(repeats: int, source_copy: Path) -> list[dict[str, Any]]:
    commands = _commands()
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, command in commands.items():
            cwd = source_copy if name.endswith(".no_bytecode") else ROOT
            start = time.perf_counter()
            result = subprocess.run(command, capture_output=True, cwd=cwd, check=False)
            samples[name].append(time.perf_counter() - start)
            if result.returncode != 0:
                raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr[-400:]!r}")
    base = statistics.median(samples["startup.import_pydantic_yaml"])
    figures: list[dict[str, Any]] = []
    targets = {"startup.decide": DECIDE_TARGET, "startup.help": HELP_TARGET}
    for name, values in samples.items():
        seconds = statistics.median(values)
        figure: dict[str, Any] = {"name": name, "value": round(seconds * 1000, 1), "unit": "ms"}
        figure["note"] = " ".join(Path(part).name if "/" in part else part for part in commands[name][1:])
        if name != "startup.import_pydantic_yaml":
            figure["baseline"] = "startup.import_pydantic_yaml"
            figure["ratio"] = round(seconds / base, 3)
        if name in targets:
            figure["target"] = f"<= {targets[name]:g}x the baseline"
            figure["met"] = seconds / base <= targets[name]
        figures.append(figure)
    return figures


def _kept(mode: str, count: int) -> float:
    policy = load_policy("illustrative-capability@1.0")
    candidates = [Candidate.model_validate(d) for d in illustrative_documents(count, 7)]
    for candidate in candidates[:20]:
        decide(candidate, policy, as_of=AS_OF)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    kept = []
    for candidate in candidates:
        decision = decide(candidate, policy, as_of=AS_OF)
        if mode == "bytes":
            decision.canonical_json()
        elif mode == "dump":
            decision.model_dump()
        kept.append(decision)
    del candidates
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return used / count


def _gc_share(count: int) -> dict[str, float]:
    policy = load_policy("illustrative-capability@1.0")
    documents = illustrative_documents(count, 7)
    times: dict[str, list[float]] = {"on": [], "frozen": [], "off": []}
    for _ in range(2):
        for mode in times:
            candidates = [Candidate.model_validate(d) for d in documents]
            kept = []
            gc.collect()
            if mode == "off":
                gc.disable()
            elif mode == "frozen":
                gc.freeze()
            start = time.process_time()
            for candidate in candidates:
                decision = decide(candidate, policy, as_of=AS_OF)
                decision.canonical_json()
                kept.append(decision)
            times[mode].append(time.process_time() - start)
            gc.enable()
            gc.unfreeze()
            del kept, candidates
    return {mode: min(values) for mode, values in times.items()}


def run(quick: bool) -> list[dict[str, Any]]:
    """Measure; return the figures."""
    figures = _startup(5 if quick else 11)
    count = 1_000 if quick else 3_000
    for mode, note in (
        ("plain", "as decide returns it"),
        ("bytes", "after canonical_json()"),
        ("dump", "after model_dump(): every typed field built"),
    ):
        per = _kept(mode, count)
        figures.append(
            {
                "name": f"memory.kept_decision.{mode}",
                "value": round(per),
                "unit": "bytes",
                "target": f"<= {KEPT_TARGET:,}",
                "met": per <= KEPT_TARGET,
                "note": f"{note}; illustrative-capability@1.0, {count:,} kept, candidates dropped",
            }
        )
    share = _gc_share(1_000 if quick else 4_000)
    for mode in ("on", "frozen"):
        figures.append(
            {
                "name": f"gc.share.{mode}",
                "value": round(100 * (share[mode] / share["off"] - 1), 1),
                "unit": "%",
                "note": "extra CPU over the collector off, deciding and keeping decisions"
                + ("; inputs frozen as governance decide does" if mode == "frozen" else ""),
            }
        )
    return figures


def main() -> int:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and decisions")
    args = parser.parse_args()
    print(json.dumps(run(args.quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
