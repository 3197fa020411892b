"""Comparisons and sweeps in notebooks: escaped HTML, and data frames when pandas or polars is installed."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from governance import compare_population, decide, load_policy
from governance.compare.comparison import Comparison
from governance.compare.population import Population
from governance.compare.sweep import sweep_population
from tests.compare.support import AS_OF, fixture_policy
from tests.test_html import HOSTILE, assert_self_contained


def _comparison() -> Comparison:
    population = Population.from_columns(
        [HOSTILE, "small", "unknown compute", "huge"],
        training_flop=[3e25, 1e22, float("nan"), 2e26],
        capabilities={"bio": [0.2, 0.1, float("nan"), 0.9]},
    )
    policies = [load_policy("eu-ai-act", as_of=AS_OF), load_policy("illustrative-capability@1.0")]
    return compare_population(population, policies, as_of=AS_OF)


class TestComparisonHtml:
    """Comparison._repr_html_."""

    def test_escaped_and_self_contained(self) -> None:
        """The hostile model name appears escaped in the disagreement table; nothing loads."""
        html = _comparison()._repr_html_()
        assert_self_contained(html)
        assert "&lt;script&gt;" in html
        assert "tiers per policy" in html and "agreement" in html


class TestSweepHtml:
    """Sweep._repr_html_."""

    def test_counts_and_flips(self) -> None:
        """Counts per tier at each value and the first flips, with nothing that loads."""
        population = Population.from_columns(["a", "b", "c"], training_flop=[1e24, 5e25, 3e26])
        sweep = sweep_population(population, fixture_policy("raw-line"), "line", 1e23, 1e27, 9, as_of=AS_OF)
        html = sweep._repr_html_()
        assert_self_contained(html)
        assert "models per tier at each value" in html
        assert html.count("<tr>") >= 9 + 3


class TestFrames:
    """Comparison.columns, to_pandas and to_polars."""

    def test_columns_match_decide(self) -> None:
        """One row per model and policy, each equal to what decide gives that model."""
        comparison = _comparison()
        columns = comparison.columns()
        assert len(columns["model"]) == 4 * 2
        for k in range(len(columns["model"])):
            outcome = comparison.outcome(columns["policy"][k])
            row = columns["row"][k]
            assert columns["tier"][k] == outcome.tier(row).value
            assert columns["decided_by"][k] == outcome.decided_by(row)
            assert columns["labels"][k] == "; ".join(outcome.labels_of(row))
        assert columns["model"][0] == HOSTILE

    def test_pandas(self) -> None:
        """to_pandas gives the columns with an ordered tier category."""
        pandas = pytest.importorskip("pandas")
        frame = _comparison().to_pandas()
        assert isinstance(frame, pandas.DataFrame)
        assert list(frame.columns) == ["model", "row", "policy", "in_force", "tier", "decided_by", "labels", "basis"]
        assert frame["tier"].cat.ordered
        assert frame.groupby("policy", observed=True)["tier"].max().to_dict()["eu-ai-act@2024.1-r3"] == "staged"

    def test_polars(self) -> None:
        """to_polars gives the same rows, tier as an enum in tier order."""
        polars = pytest.importorskip("polars")
        comparison = _comparison()
        frame = comparison.to_polars()
        assert isinstance(frame, polars.DataFrame)
        assert frame.height == 8
        assert frame["tier"].to_list() == comparison.columns()["tier"]
        assert frame["tier"].dtype == polars.Enum(["open", "staged", "restricted"])

    @pytest.mark.parametrize(("method", "package"), [("to_pandas", "pandas"), ("to_polars", "polars")])
    def test_clear_error_when_absent(self, method: str, package: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without the package, the error names it and how to install it."""
        monkeypatch.setitem(sys.modules, package, None)
        with pytest.raises(ImportError, match=f"needs {package}; it is not installed: pip install {package}"):
            getattr(_comparison(), method)()


def test_decide_agrees_on_one_row() -> None:
    """The frame's tier for a model equals decide's for the same candidate (spot check through the facade)."""
    population = Population.from_columns(["m"], training_flop=[3e25])
    policy = load_policy("eu-ai-act", as_of=AS_OF)
    frame_tier = compare_population(population, [policy], as_of=AS_OF).columns()["tier"][0]
    assert frame_tier == decide(population.candidate(0), policy, as_of=AS_OF).tier.value


def test_policymaker_walkthrough_runs_and_its_figures_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """The notebook cells in docs/policymaker.md run as written and give the figures the page states."""
    pytest.importorskip("pandas")
    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "policymaker.md").read_text(encoding="utf-8")
    section = page.split("## In a notebook", 1)[1].split("\n## ", 1)[0]
    cells = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(cells) == 5
    monkeypatch.chdir(root)
    namespace: dict[str, Any] = {}
    for cell in cells:
        exec(compile(cell, "policymaker.md", "exec"), namespace)
    assert len(namespace["population"]) == 27
    counts = namespace["frame"].pivot_table(
        index="policy", columns="tier", values="model", aggfunc="count", observed=False
    )
    assert counts.loc["eu-ai-act@2024.1-r3"].tolist() == [19, 8, 0]
    assert "eu-ai-act@2024.1-r3            19       8           0" in section
    sweep = namespace["sweep"]
    assert len(sweep.flipping_rows()) == 17
    assert sweep.tier_counts[[0, 4, -1], 1].tolist() == [19, 8, 2]
