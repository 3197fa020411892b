"""The benchmark script as it is run: a tiny quick run, its JSON figures, and the peer encodings."""

from __future__ import annotations

import importlib
import json
import math
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from governance import Policy, load_policy

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "run.py"
BENCH_POLICY = ROOT / "benchmarks" / "policies" / "bench-3rule" / "1.0" / "policy.yaml"
REQUIRED = (
    "decide.bench3.durable_rules",
    "decide.bench3.python",
    "decide.illustrative.durable_rules",
    "durable_rules.assert_retract",
    "durable_rules.post",
    "plain_python",
    "cedar.is_authorized",
    "cedar.is_authorized_batch",
    "rego.query_bundle",
    "vectorised.bench3",
    "numpy_hand.bench3",
    "aim.readable_vs_cedar",
    "aim.readable_vs_durable_rules",
    "aim.bytes_vs_cedar_json",
    "aim.decide_vs_durable_rules",
    "aim.decide_vs_cedar",
    "aim.decide_vs_rego",
    "aim.vectorised_rate",
    "disagreements",
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python benchmarks/run.py`` with the arguments, from the repository root."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )


@pytest.fixture(scope="module", name="quick")
def _quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """One tiny quick run (60 candidates, 5,000 in the population, one pass), with its JSON file."""
    out = tmp_path_factory.mktemp("bench") / "figures.json"
    result = run(
        "--quick", "--candidates", "60", "--population", "5000", "--repeats", "1", "--no-extras", "--json", str(out)
    )
    assert result.returncode == 0, result.stderr
    return result, json.loads(out.read_text(encoding="utf-8"))


class TestQuickRun:
    """A tiny quick run reports every figure, and every engine agrees with ours."""

    def test_shape(self, quick: tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]) -> None:
        """The JSON is a list of {name, value, unit} objects with only the documented optional keys."""
        _, figures = quick
        assert isinstance(figures, list)
        allowed = {"name", "value", "unit", "baseline", "ratio", "range", "target", "met", "note"}
        for figure in figures:
            assert {"name", "value", "unit"} <= set(figure) <= allowed, figure
            assert isinstance(figure["name"], str)
            assert isinstance(figure["unit"], str)
            assert isinstance(figure["value"], int | float)
            assert math.isfinite(figure["value"])
            if "ratio" in figure:
                assert figure["baseline"] in {f["name"] for f in figures}

    def test_required_figures(self, quick: tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]) -> None:
        """Every figure the issue asks for is there, with a positive value for timings and rates."""
        _, figures = quick
        by_name = {f["name"]: f for f in figures}
        for name in REQUIRED:
            assert name in by_name, name
        for figure in figures:
            if figure["unit"] in ("us/decision", "decisions/s"):
                assert figure["value"] > 0, figure
        assert by_name["size.candidates"]["value"] == 60
        assert by_name["size.population"]["value"] == 5000

    def test_no_disagreements(self, quick: tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]) -> None:
        """Every engine gave our tier and fired rules on every candidate."""
        _, figures = quick
        counts = {f["name"]: f["value"] for f in figures if f["name"].startswith("disagreements")}
        assert counts["disagreements"] == 0
        assert all(value == 0 for value in counts.values()), counts
        assert len(counts) >= 10

    def test_stdout(self, quick: tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]) -> None:
        """stdout holds the table and, on its last line, the same JSON list as the file."""
        result, figures = quick
        assert "governance benchmarks" in result.stdout
        assert json.loads(result.stdout.strip().splitlines()[-1]) == figures


class TestArguments:
    """Bad sizes are refused with a message naming the option."""

    def test_zero_candidates(self) -> None:
        """--candidates 0 exits 2 and says what was expected."""
        result = run("--candidates", "0", "--no-extras")
        assert result.returncode == 2
        assert "--candidates must be at least 1" in result.stderr


@pytest.fixture(name="peers")
def _peers(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """``benchmarks.peers``, imported from the source tree."""
    monkeypatch.syspath_prepend(str(ROOT))
    return importlib.import_module("benchmarks.peers")


class TestEncodings:
    """The integer encodings the peers read keep the order and the thresholds of the doubles."""

    def test_bits_order(self, peers: ModuleType) -> None:
        """Bit patterns of neighbouring doubles, up to inf, are strictly increasing."""
        values = [
            0.0,
            5e-324,
            0.8,
            math.nextafter(1e25, 0),
            1e25,
            math.nextafter(1e25, math.inf),
            1e26,
            1e308,
            math.inf,
        ]
        bits = [peers.double_bits(v) for v in values]
        assert bits == sorted(bits)
        assert len(set(bits)) == len(bits)

    def test_e4_threshold(self, peers: ModuleType) -> None:
        """floor(x * 10**4) is 8000 at 0.8 and 7999 one double below; unknown is above every score."""
        assert peers.e4_floor(0.8) == 8000
        assert peers.e4_floor(math.nextafter(0.8, 0)) == 7999
        assert peers.e4_floor(1e-05) == 0
        assert peers.e4_floor(math.inf) > peers.e4_floor(1.0)

    def test_policy_guard(self, peers: ModuleType) -> None:
        """A bench policy whose threshold changed is refused, since the peers would disagree by design."""
        policy = load_policy(BENCH_POLICY)
        peers.check_bench_policy(policy)
        document = policy.document()
        rules = [dict(r) for r in document["rules"]]
        rules[2] = {**rules[2], "when": {"all": [{"feature": "capability.bio", "op": ">=", "value": 0.7}]}}
        changed = Policy.model_validate({**document, "rules": rules})
        with pytest.raises(ValueError, match="no longer matches"):
            peers.check_bench_policy(changed)
