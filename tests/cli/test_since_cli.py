"""`governance decide CANDIDATE --since PREVIOUS`: what moved since an earlier decision of the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import invoke_cli

ROOT = Path(__file__).resolve().parents[2]
FRONTIER = ROOT / "examples" / "candidates" / "frontier-closed-model.yaml"
AS_OF = "2026-06-01"


@pytest.fixture(name="earlier")
def _earlier(tmp_path: Path) -> Path:
    """The frontier example at an earlier checkpoint: 8e24 FLOP, under the EU's line."""
    text = FRONTIER.read_text(encoding="utf-8")
    old = text.replace("training_flop: {estimate: 2.1e25, lower: 8.2e24, upper: 4.4e25}", "training_flop: 8.0e+24")
    assert old != text
    path = tmp_path / "earlier.yaml"
    path.write_text(old, encoding="utf-8")
    return path


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def test_since_decide_json(earlier: Path, tmp_path: Path) -> None:
    """Against `decide --format json` output: the EU tier rises, with the rule, label and threshold crossed."""
    previous = tmp_path / "previous.json"
    result = invoke_cli(
        "decide", earlier, "-p", "eu-ai-act", "-p", "illustrative-capability", "--as-of", AS_OF, "-f", "json"
    )
    previous.write_text(result.stdout, encoding="utf-8")
    now = invoke_cli(
        "decide", FRONTIER, "-p", "eu-ai-act", "-p", "illustrative-capability", "--as-of", AS_OF, "--since", previous
    )
    assert now.returncode == 0, now.stderr
    lines = _lines(now.stdout)
    assert "Frontier Assistant under eu-ai-act@2024.1-r3, since the decision of 2026-06-01:" in lines
    assert "tier: open -> staged" in lines
    assert "rules fired, new: systemic-risk" in lines
    assert "labels, new: systemic_risk" in lines
    assert "threshold: training_flop_total crossed > 1e+25 (8e+24 -> 4.4e+25)" in lines
    assert "tier: staged (unchanged)" in lines  # the illustrative policy
    assert "tier: staged" in now.stdout  # the decision panels are shown too


def test_since_ledger_entry(earlier: Path, tmp_path: Path) -> None:
    """Against a recorded decision, as `ledger show --format json` prints it."""
    ledger = tmp_path / "ledger.sqlite"
    recorded = invoke_cli("decide", earlier, "-p", "eu-ai-act", "--as-of", AS_OF, "--record", "--ledger", ledger)
    assert recorded.returncode == 0, recorded.stderr
    entry = tmp_path / "entry.json"
    entry.write_text(invoke_cli("ledger", "show", "0", "--ledger", ledger, "-f", "json").stdout, encoding="utf-8")
    result = invoke_cli("decide", FRONTIER, "-p", "eu-ai-act", "--as-of", AS_OF, "--since", entry, "-f", "json")
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert [d["tier"] for d in output["decisions"]] == ["staged"]
    (change,) = output["changes"]
    assert change["tier"] == {"before": "open", "after": "staged"}
    assert change["obligations"]["added"] and not change["obligations"]["removed"]
    assert change["crossings"][0]["feature"] == "training_flop_total"


def test_since_gate_verdict(tmp_path: Path) -> None:
    """Against a gate verdict (`gate --format json`), which carries its decisions."""
    verdict = tmp_path / "gate.json"
    verdict.write_text(invoke_cli("gate", FRONTIER, "-p", "eu-ai-act", "--as-of", AS_OF, "-f", "json").stdout)
    result = invoke_cli("decide", FRONTIER, "-p", "eu-ai-act", "--as-of", AS_OF, "--since", verdict)
    assert result.returncode == 0, result.stderr
    assert "nothing else moved" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"tier": 3}', "expected a decision document"),
        ("[]", "holds no decision"),
        ("not json", "not valid JSON"),
        (
            '{"tier": "open", "policy": {"id": "eu-ai-act"}, "model": {"name": "x"}, "reasons": [{"atoms": [{}]}]}',
            "the earlier decision is malformed",
        ),
        ('{"tier": "open", "policy": {"id": "ny-raise"}, "model": {"name": "x"}}', "no earlier decision under"),
    ],
    ids=["not a decision", "empty", "not json", "malformed atoms", "other policy"],
)
def test_bad_previous_is_invalid_input(content: str, message: str, tmp_path: Path) -> None:
    """A file that is not an earlier decision is refused with exit 2 and a reason, never a traceback."""
    previous = tmp_path / "previous.json"
    previous.write_text(content, encoding="utf-8")
    result = invoke_cli("decide", FRONTIER, "-p", "eu-ai-act", "--as-of", AS_OF, "--since", previous)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
