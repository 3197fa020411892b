"""The population of published evidence: cited cells, band-invariant readings, evidence apart from missing evidence."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from governance import load_policy
from governance.compare.comparison import Comparison, compare_population
from governance.compare.population_io import load_population
from tests.helpers import invoke_cli

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "examples" / "populations" / "published-evidence.csv"
AS_OF = dt.date(2025, 9, 1)
FRAMEWORKS = ("anthropic-rsp", "openai-preparedness", "gdm-fsf")
BELOW_HALF = 0.49999999999999994
"""The largest double below 0.5: the conservative reading of "below the threshold at 0.5"."""


def _rows() -> list[dict[str, str]]:
    with PUBLISHED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _compare(path: Path, refs: tuple[str, ...] = FRAMEWORKS) -> Comparison:
    policies = [load_policy(ref, as_of=AS_OF) for ref in refs]
    return compare_population(load_population(path), policies, as_of=AS_OF)


EVERY_FRAMEWORK = (
    "anthropic-rsp@2.0",
    "anthropic-rsp@2.2-r2",
    "openai-preparedness@1.0",
    "openai-preparedness@2.0",
    "gdm-fsf@2.0-r2",
    "gdm-fsf@3.0-r3",
    "meta-frontier-ai@1.0-r3",
)
"""The capability frameworks' current encodings (and the versions before them)."""


def test_every_row_is_cited() -> None:
    """Each row says what was published, where, whether it is confirmed, and how it was read."""
    rows = _rows()
    assert len(rows) == 6
    for row in rows:
        assert row["evidence_kind"] in {"determination", "benchmark"}
        assert row["evidence"] and row["source"] and row["note"], row["name"]
        assert row["confirmed"] in {"yes", "single source"}, row["name"]
        values = [float(row[c]) for c in row if c.startswith("cap_") and row[c]]
        assert values and all(0.0 <= v <= 1.0 for v in values), row["name"]
    assert BELOW_HALF == 0.5 - 2**-54


# Cells read at the lower edge of the band a determination places them in: any value in the band must
# decide the same under every shipped capability framework, or the reading would be choosing the outcome.
BANDS = {
    ("Claude Opus 4", "cap_bio"): (0.5, 0.79),
    ("Claude Opus 4", "cap_chem"): (0.5, 0.79),
    ("Claude Opus 4", "cap_nuclear"): (0.5, 0.79),
    ("ChatGPT agent", "cap_bio"): (0.5, 0.79),
    ("ChatGPT agent", "cap_chem"): (0.5, 0.79),
    ("Gemini 2.5 Pro", "cap_cyber"): (0.4, BELOW_HALF),
}


@pytest.mark.parametrize("edge", [0, 1], ids=["low", "high"])
def test_readings_are_band_invariant(tmp_path: Path, edge: int) -> None:
    """Moving a determination's cell to either edge of its band changes no tier and no fired rule."""
    rows = _rows()
    for row in rows:
        for (name, column), band in BANDS.items():
            if row["name"] == name:
                row[column] = repr(band[edge])
    moved = tmp_path / "moved.csv"
    with moved.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    shipped, changed = _compare(PUBLISHED, EVERY_FRAMEWORK), _compare(moved, EVERY_FRAMEWORK)
    for ref in (outcome.ref for outcome in shipped.outcomes):
        a, b = shipped.outcome(ref), changed.outcome(ref)
        for index in range(len(rows)):
            assert a.tier(index) == b.tier(index), (ref, rows[index]["name"])
            assert a.fired_rules(index) == b.fired_rules(index), (ref, rows[index]["name"])


def test_decisions_on_evidence_apart_from_missing_evidence() -> None:
    """The comparison says which decisions follow from the published evidence and which from its absence."""
    comparison = _compare(PUBLISHED)
    names = [row["name"] for row in _rows()]

    def basis(model: str, ref: str) -> tuple[str, str]:
        outcome = comparison.outcome(ref)
        index = names.index(model)
        return outcome.tier(index).value, outcome.basis(index)

    assert basis("Claude Opus 4", "anthropic-rsp@2.2-r2") == ("restricted", "evidence")
    assert basis("ChatGPT agent", "openai-preparedness@2.0") == ("restricted", "evidence")
    assert basis("OpenAI o3", "openai-preparedness@2.0") == ("open", "evidence")
    assert basis("OpenAI o3", "anthropic-rsp@2.2-r2") == ("restricted", "missing evidence")
    assert basis("Claude Sonnet 4", "anthropic-rsp@2.2-r2") == ("restricted", "missing evidence")
    assert basis("Gemini 2.5 Pro", "gdm-fsf@2.0-r2") == ("restricted", "missing evidence")
    assert "alert_cyber" in comparison.outcome("gdm-fsf@2.0-r2").labels_of(names.index("Gemini 2.5 Pro"))


def test_the_documented_command() -> None:
    """The command the population README gives runs and shows the missing-evidence column."""
    args = ["compare", "--population", PUBLISHED, "--as-of", AS_OF.isoformat()]
    for ref in FRAMEWORKS:
        args += ["--policy", ref]
    result = invoke_cli(*args)
    assert result.returncode == 0, result.stderr
    assert "on missing evidence" in result.stdout
    assert "cbrn-3 (not ruled out)" in result.stdout
