"""The comparison commands as a user runs them: compare, sweep, ageing, population, policy diff --regions."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

from tests.helpers import invoke_cli

ROOT = Path(__file__).resolve().parents[2]
NOTABLE = ROOT / "examples" / "populations" / "notable-models.csv"
MESSY = ROOT / "tests" / "compare" / "data" / "messy.csv"
BOUNDARY = ROOT / "tests" / "compare" / "data" / "boundary.csv"
FIXTURES = ROOT / "tests" / "compare" / "policies"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process with the arguments."""
    return invoke_cli(*args)


class TestCompare:
    """governance compare over a population."""

    def test_table(self) -> None:
        """Counts per tier, agreement, disagreements with deciding rules, and unknown compute."""
        result = run(
            "compare", "--population", str(NOTABLE), "--policy", "eu-ai-act", "--policy", "ca-sb-53",
            "--as-of", "2026-11-28",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        out = result.stdout
        assert "27 models" in out
        assert "tiers per policy" in out
        assert "Cohen's kappa" in out
        assert "systemic-risk" in out
        assert "unknown training compute" in out
        assert "Grok 3" in out

    def test_json(self) -> None:
        """JSON carries every model with its tier, labels and deciding rule per policy."""
        result = run(
            "compare", "--population", str(NOTABLE), "--policy", "eu-ai-act", "--policy",
            str(FIXTURES / "raw-line-inclusive" / "1.0"), "--as-of", "2026-11-28", "--format", "json",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert len(document["models"]) == 27
        inflection = next(m for m in document["models"] if m["name"] == "Inflection-2")
        # "~10^25" read as [9.5e24, 1.5e25): its upper bound is above the line under both operators.
        assert inflection["policies"]["eu-ai-act@2024.1-r3"]["tier"] == "staged"
        assert inflection["policies"]["raw-line-inclusive@1.0"]["tier"] == "staged"
        assert document["unknown_compute"]["count"] == 1

    def test_csv(self) -> None:
        """CSV: one row per model, three columns per policy, the source columns kept."""
        result = run(
            "compare", "--population", str(MESSY), "--policy", "illustrative-capability@1.0",
            "--as-of", "2026-11-28", "--format", "csv",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert len(rows) == 7
        assert rows[0]["name"] == "Alpha Model (line 2)"
        assert rows[2]["training_flop"] == "unknown"
        assert {"illustrative-capability@1.0 tier", "Source note"} <= set(rows[0])

    def test_report(self, tmp_path: Path) -> None:
        """--out writes one self-contained HTML file and says where."""
        out = tmp_path / "report.html"
        result = run(
            "compare", "--population", str(NOTABLE), "--policy", "eu-ai-act", "--policy",
            "illustrative-capability@1.0", "--as-of", "2026-11-28", "--out", str(out), "--limit", "3",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert f"report written to {out}" in result.stderr
        text = out.read_text(encoding="utf-8")
        assert text.startswith("<!doctype html>")
        assert "default-src 'none'" in text
        assert text.count('class="chart-svg"') >= 6

    def test_errors(self, tmp_path: Path) -> None:
        """A bad population exits 2 naming the line; an unknown policy exits 3; no traceback."""
        bad = tmp_path / "bad.csv"
        bad.write_text("name,training_flop\nA,lots\n")
        result = run("compare", "--population", str(bad), "--policy", "eu-ai-act")
        assert result.returncode == 2
        assert f"{bad}:2" in result.stderr
        assert "Traceback" not in result.stderr
        result = run("compare", "--population", str(NOTABLE), "--policy", "no-such-policy")
        assert result.returncode == 3
        assert "no policy with id" in result.stderr


class TestSweep:
    """governance sweep."""

    def test_table_and_json(self) -> None:
        """Counts per step and flips; JSON has the values, counts and flips."""
        args = [
            "sweep", "--policy", "eu-ai-act", "--param", "systemic_risk_compute=1e24..1e26", "--steps", "5",
            "--population", str(BOUNDARY), "--as-of", "2026-11-28",
        ]  # fmt: skip
        table = run(*args)
        assert table.returncode == 0, table.stderr
        assert "flips" in table.stdout
        assert "At the line" in table.stdout
        document = json.loads(run(*args, "--format", "json").stdout)
        assert document["values"] == [1e24, 3.16227766017e24, 1e25, 3.16227766017e25, 1e26]
        assert document["scale"] == "log"
        assert sum(document["tiers"]["staged"]) > 0
        flip = next(f for f in document["flips"] if f["model"] == "At the line")
        assert flip == {"model": "At the line", "value": 1e25, "from": "staged", "to": "open", "inclusive": False}

    def test_csv(self) -> None:
        """CSV: one row per step."""
        result = run(
            "sweep", "--policy", "illustrative-capability@1.0", "--param", "elevated=0..1", "--steps", "3",
            "--population", str(MESSY), "--as-of", "2026-11-28", "--format", "csv",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        rows = list(csv.reader(io.StringIO(result.stdout)))
        assert rows[0][:4] == ["elevated", "open", "staged", "restricted"]
        assert len(rows) == 4

    def test_bad_param(self) -> None:
        """An unknown threshold exits 2 and lists the policy's thresholds."""
        result = run("sweep", "--policy", "eu-ai-act", "--param", "nope=1..2", "--population", str(NOTABLE))
        assert result.returncode == 2
        assert "systemic_risk_compute" in result.stderr


class TestAgeing:
    """governance ageing."""

    def test_table(self) -> None:
        """The tenfold date, the band, and counts per year."""
        result = run(
            "ageing", "--policy", "illustrative-capability@1.0", "--population", str(NOTABLE),
            "--as-of", "2026-11-28",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "falls tenfold by 2026-10-19" in result.stdout
        assert "models caught by each year's line" in result.stdout

    def test_json_fixed_line(self) -> None:
        """A fixed line with the default halving time (8 months, Ho et al. 2024)."""
        result = run(
            "ageing", "--policy", "eu-ai-act", "--param", "systemic_risk_compute", "--population", str(NOTABLE),
            "--years", "2024..2028", "--format", "json",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert document["years"] == [2024, 2025, 2026, 2027, 2028]
        assert document["central"]["halving_months"] == 8.0
        assert document["policy_adjusts_for_efficiency"] is False

    def test_several_thresholds(self) -> None:
        """A policy with several compute lines needs --param; the message lists them."""
        result = run("ageing", "--policy", "eu-ai-act", "--population", str(NOTABLE))
        assert result.returncode == 2
        assert "systemic_risk_compute" in result.stderr


class TestPopulation:
    """governance population generate | show."""

    def test_generate_grid_and_show(self, tmp_path: Path) -> None:
        """A grid is the product of its axes; show reads it back."""
        out = tmp_path / "grid.csv"
        result = run(
            "population", "generate", "--grid", "training_flop=1e22..1e27:6", "--grid", "capability=0..1:3",
            "--grid", "openness=api,open-weight", "--out", str(out),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "36 models written" in result.stderr
        shown = run("population", "show", str(out), "--format", "json", "--limit", "2")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["rows"] == 36

    def test_generate_random(self, tmp_path: Path) -> None:
        """The same seed gives the same file."""
        first, second = tmp_path / "a.csv", tmp_path / "b.csv"
        for path in (first, second):
            result = run("population", "generate", "--random", "500", "--seed", "4", "--out", str(path))
            assert result.returncode == 0, result.stderr
        assert first.read_bytes() == second.read_bytes()

    def test_show_messy(self) -> None:
        """show reports duplicates and shared names with their lines."""
        result = run("population", "show", str(MESSY))
        assert result.returncode == 0, result.stderr
        assert "duplicate: 'Alpha Model' at line(s) 5 repeats line 2" in result.stdout
        assert "byte-order mark" in result.stdout

    def test_generate_refusals(self, tmp_path: Path) -> None:
        """Neither or both of --grid and --random, or a bad axis, exit 2."""
        assert run("population", "generate", "--out", str(tmp_path / "x.csv")).returncode == 2
        result = run("population", "generate", "--grid", "colour=1..2:2", "--out", str(tmp_path / "x.csv"))
        assert result.returncode == 2
        assert "unknown axis" in result.stderr


class TestRegionDiff:
    """governance policy diff --regions."""

    def test_table(self) -> None:
        """Regions with their conditions and a witness each."""
        result = run(
            "policy", "diff", "--regions", str(FIXTURES / "raw-line" / "1.0"),
            str(FIXTURES / "raw-line-inclusive" / "1.0"), "--as-of", "2026-11-28",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "1 region(s) where the tiers differ" in result.stdout
        assert "witness: training FLOP 1e+25" in result.stdout

    def test_json(self) -> None:
        """JSON lists each region's tiers, box and witness document."""
        result = run(
            "policy", "diff", "--regions", "eu-ai-act", "ca-sb-53", "--as-of", "2026-11-28", "--format", "json",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert document["regions"]
        assert all(region["witness"] for region in document["regions"])

    def test_text_diff_unchanged(self) -> None:
        """Without --regions the command is still the textual version diff."""
        result = run("policy", "diff", "illustrative-capability@1.0", "illustrative-capability@2.0")
        assert result.returncode == 0, result.stderr
        assert "change(s)" in result.stdout or "identical" in result.stdout
