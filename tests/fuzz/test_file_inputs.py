"""Fuzzing the file readers: any bytes end in a value or a documented error, never a traceback.

Each entry point that reads a file gets random bytes and structure-aware mutations of a real seed
file (lines duplicated, dropped or cut; values replaced by the hostile ones the hardening issue
found). The property: the reader returns, or raises a :class:`~governance.exceptions.GovernanceError`
(which the CLI turns into a message and its exit code). The budget is Hypothesis's profile (short
in CI); ``HYPOTHESIS_PROFILE=long`` runs more.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance import GovernanceError, load_candidate
from governance._yaml import load_document
from governance.compare.population_io import load_population
from governance.evidence.openness import load_mot_record, openness_report
from governance.evidence.runs import read_runs
from governance.evidence.suites import load_suite
from governance.loader import data_dir, parse_policy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BUDGET = int(os.environ.get("GOVERNANCE_FUZZ_EXAMPLES", "150"))

HOSTILE = [
    "true",
    "no",
    ".nan",
    "-.inf",
    "1e400",
    "1" + "0" * 400,
    "0001-01-01",
    "2026-02-30",
    "&a x",
    "*a",
    "!!binary aGk=",
    "!!set {a, b}",
    "!!python/object:os.system x",
    "[" * 100,
    "{" * 100,
    '"\x1b[2J\u202e"',
    "~",
    "''",
    "- - -",
    ": :",
    "\t",
    "0x1F",
    "1_000",
    "2026-01-01T25:00:00",
]

_fuzz = settings(
    max_examples=BUDGET,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@st.composite
def _mutated(draw: st.DrawFn, seed: str) -> bytes:
    """A seed text with a few line-level mutations and hostile values put in."""
    lines = seed.splitlines(keepends=True) or ["\n"]
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["duplicate", "drop", "cut", "value", "insert", "indent"]))
        line = lines[index]
        if action == "duplicate":
            lines.insert(index, line)
        elif action == "drop" and len(lines) > 1:
            del lines[index]
        elif action == "cut":
            lines[index] = line[: draw(st.integers(0, len(line)))]
        elif action == "value":
            head, sep, _ = line.partition(": ")
            value = draw(st.sampled_from(HOSTILE))
            lines[index] = f"{head}{sep or ': '}{value}\n"
        elif action == "insert":
            lines.insert(index, draw(st.text(max_size=20)) + "\n")
        else:
            lines[index] = "  " + line
    return "".join(lines).encode("utf-8", errors="surrogatepass")


def _inputs(seed: Path) -> st.SearchStrategy[bytes]:
    text = seed.read_text(encoding="utf-8")
    return st.one_of(st.binary(max_size=400), _mutated(text))


def _survives(read: Callable[[Path], Any], data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        with contextlib.suppress(GovernanceError):
            read(path)


CANDIDATE = EXAMPLES / "candidates" / "frontier-closed-model.yaml"
POLICY = data_dir("policies") / "eu-ai-act" / "2024.1" / "policy.yaml"
OPENNESS = ROOT / "tests" / "data" / "openness" / "models" / "OLMo-7B.yml"


class TestReaders:
    """Every reader of a file ends in a value or a GovernanceError."""

    @_fuzz
    @given(data=_inputs(CANDIDATE), suffix=st.sampled_from([".yaml", ".json"]))
    def test_candidate(self, data: bytes, suffix: str) -> None:
        """Candidates, YAML or JSON."""
        _survives(load_candidate, data, suffix)

    @_fuzz
    @given(data=_inputs(POLICY))
    def test_policy(self, data: bytes) -> None:
        """Policy bundles."""

        def read(path: Path) -> Any:
            return parse_policy(path)

        _survives(read, data, ".yaml")

    @_fuzz
    @given(data=st.binary(max_size=400) | _mutated("name,training_flop,openness,release\nA,1e25,api,2024-01\n"))
    def test_population_csv(self, data: bytes) -> None:
        """CSV populations."""
        _survives(load_population, data, ".csv")

    @_fuzz
    @given(data=_inputs(CANDIDATE), suffix=st.sampled_from([".yaml", ".json"]))
    def test_population_list(self, data: bytes, suffix: str) -> None:
        """YAML/JSON populations."""
        _survives(load_population, data, suffix)

    @_fuzz
    @given(data=_inputs(data_dir("evaluations") / "cybench" / "suite.yaml"))
    def test_suite(self, data: bytes) -> None:
        """Evaluation suites."""
        _survives(load_suite, data, ".yaml")

    @_fuzz
    @given(data=st.binary(max_size=400) | _mutated('{"results": {"wmdp_bio": {"acc,none": 0.5}}, "configs": {}}\n'))
    def test_evidence_log(self, data: bytes) -> None:
        """lm-evaluation-harness and Inspect JSON logs."""
        _survives(read_runs, data, ".json")

    @_fuzz
    @given(data=_inputs(OPENNESS), suffix=st.sampled_from([".yml", ".json"]))
    def test_openness_record(self, data: bytes, suffix: str) -> None:
        """Model Openness Tool records, read and classified."""

        def read(path: Path) -> Any:
            return openness_report(load_mot_record(path))

        _survives(read, data, suffix)

    @_fuzz
    @given(data=st.binary(max_size=400))
    def test_generic_document(self, data: bytes) -> None:
        """The shared reader, on bytes alone."""

        def read(path: Path) -> Any:
            return load_document(path)

        _survives(read, data, ".yaml")


@pytest.mark.parametrize("value", HOSTILE)
def test_every_hostile_value_in_every_field(value: str, tmp_path: Path) -> None:
    """Each hostile value, put in place of each value of the seed candidate in turn, is read or refused cleanly."""
    lines = CANDIDATE.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        head, sep, _ = line.partition(": ")
        if not sep or head.lstrip().startswith("#"):
            continue
        mutated = [*lines[:index], f"{head}: {value}\n", *lines[index + 1 :]]
        path = tmp_path / f"c{index}.yaml"
        path.write_text("".join(mutated), encoding="utf-8", errors="surrogatepass")
        with contextlib.suppress(GovernanceError):
            load_candidate(path)
