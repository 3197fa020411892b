"""`governance gate`: exit 0 when every policy in force allows the requested form, 7 when one does not."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from governance.gate import BLOCKED_EXIT_CODE
from tests.helpers import invoke_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "candidates"
AS_OF = "2026-11-28"


@pytest.fixture(name="open_weights")
def _open_weights(tmp_path: Path) -> Path:
    """The frontier example asking for open weights instead of API access."""
    text = (EXAMPLES / "frontier-closed-model.yaml").read_text(encoding="utf-8")
    path = tmp_path / "frontier-open.yaml"
    path.write_text(text.replace("form: api", "form: open_weights"), encoding="utf-8")
    return path


def test_exit_code_is_seven() -> None:
    """The documented code is 7, unused by any error class."""
    assert BLOCKED_EXIT_CODE == 7


def test_passes_when_every_policy_allows() -> None:
    """An API release of the frontier example is allowed by every policy in force that applies."""
    result = invoke_cli("gate", EXAMPLES / "frontier-closed-model.yaml", "--policy", "all", "--as-of", AS_OF)
    assert result.returncode == 0, result.stdout
    assert "ok      eu-ai-act@2024.1-r3: staged allows api" in result.stdout
    assert "gate passed: Frontier Assistant asks for api" in result.stdout
    assert "BLOCKED" not in result.stdout


def test_blocks_open_weights(open_weights: Path) -> None:
    """Open weights under staged and restricted decisions: exit 7, one line per blocking policy."""
    result = invoke_cli("gate", open_weights, "--policy", "all", "--as-of", AS_OF)
    assert result.returncode == BLOCKED_EXIT_CODE
    blocked = [line for line in result.stdout.splitlines() if line.startswith("BLOCKED")]
    assert [line.split(":")[0] for line in blocked] == [
        "BLOCKED eu-ai-act@2024.1-r3",
        "BLOCKED illustrative-capability@1.0",
    ]
    assert all("decided by" in line and "to unblock:" in line for line in blocked)
    assert "decided by systemic-risk" in blocked[0]
    assert "training_flop_total at or below 1e+25 (now 4.4e+25, 4.4x)" in blocked[0]
    assert "or ask for closed, hosted or api (what staged allows)" in blocked[0]
    assert "ok      ca-sb-53@2025.1-r2: open allows open_weights" in result.stdout
    assert "gate blocked by 2 of 3" in result.stdout


def test_unknown_evidence_blocks_and_says_what_to_supply() -> None:
    """The example without cyber and autonomy evidence may not go to an API: supplying them would settle it."""
    result = invoke_cli("gate", EXAMPLES / "missing-evidence.yaml", "-p", "illustrative-capability", "--as-of", AS_OF)
    assert result.returncode == BLOCKED_EXIT_CODE
    assert "restricted does not allow api; decided by critical-capability" in result.stdout
    flat = " ".join(result.stdout.split())
    # Decision format 1 names the unknown input at its threshold; format 2 gives the not_ruled_out settle text.
    assert "evidence shows capability.cyber below 0.8 (now unknown" in flat or "evaluation results in cyber" in flat


def test_json(open_weights: Path) -> None:
    """--format json gives the verdict, the blockers with their rules, and the decisions."""
    result = invoke_cli("gate", open_weights, "-p", "eu-ai-act", "-p", "ca-sb-1047", "--as-of", AS_OF, "-f", "json")
    assert result.returncode == BLOCKED_EXIT_CODE
    verdict = json.loads(result.stdout)
    assert verdict["passed"] is False
    assert verdict["form"] == "open_weights"
    (blocked,) = verdict["blocked"]
    assert blocked["policy"] == "eu-ai-act@2024.1-r3"
    assert blocked["allowed_forms"] == ["closed", "hosted", "api"]
    assert blocked["blocking_rules"][0] | {"clears_when": None} == {
        "rule": "systemic-risk",
        "tier": "staged",
        "kind": "fired",
        "clears_when": None,
    }
    assert verdict["not_in_force"] == ["ca-sb-1047@2024.1"]
    assert len(verdict["decisions"]) == 2


def test_record_keeps_the_decisions_even_when_blocked(open_weights: Path, tmp_path: Path) -> None:
    """--record appends the gate's decisions to the ledger, then the gate still fails."""
    ledger = tmp_path / "ledger.sqlite"
    result = invoke_cli("gate", open_weights, "-p", "all", "--as-of", AS_OF, "--record", "--ledger", ledger)
    assert result.returncode == BLOCKED_EXIT_CODE
    connection = sqlite3.connect(ledger)
    try:
        assert connection.execute("SELECT count(*) FROM ledger_decisions").fetchone()[0] == 3
    finally:
        connection.close()


def test_invalid_candidate_is_exit_two(tmp_path: Path) -> None:
    """A candidate that does not validate is invalid input (2), never a pass or a block."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {name: M}\n", encoding="utf-8")
    result = invoke_cli("gate", bad, "-p", "all")
    assert result.returncode == 2
    assert "problem(s) in the candidate" in result.stderr


def test_help_documents_the_exit_code() -> None:
    """`governance gate --help` states the forms each tier allows and the exit code."""
    result = invoke_cli("gate", "--help")
    text = " ".join(result.stdout.split())
    assert "exits 7" in text
    assert "restricted allows closed and hosted" in text
