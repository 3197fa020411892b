"""The policy library from the command line: policy diff, policy show with sources, decide --policy all."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from governance import discover_policies
from tests.helpers import invoke_cli, invoke_main

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = ROOT / "tests" / "cases" / "candidates"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process with the arguments, with a wide terminal."""
    return invoke_cli(*args, env={"COLUMNS": "200"})


class TestPolicyDiff:
    """governance policy diff A B."""

    def test_table(self) -> None:
        """The table names both versions and lists the changed rules and thresholds."""
        result = run("policy", "diff", "openai-preparedness@1.0", "openai-preparedness@2.0")
        assert result.returncode == 0, result.stderr
        assert "openai-preparedness@1.0" in result.stdout
        assert "openai-preparedness@2.0" in result.stdout
        assert "post-mitigation-high" in result.stdout
        assert "removed" in result.stdout
        assert "medium" in result.stdout

    def test_json(self) -> None:
        """--format json prints the identities and every change."""
        result = run("policy", "diff", "gdm-fsf@2.0", "gdm-fsf@3.0", "--format", "json")
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert document["before"]["version"] == "2.0"
        assert document["after"]["version"] == "3.0"
        added = {c["item"] for c in document["changes"] if c["section"] == "rules" and c["change"] == "added"}
        assert "ccl-harmful-manipulation" in added

    def test_bare_ids_resolve_on_date(self) -> None:
        """Bare ids resolve with --as-of, so one id on two dates compares its versions."""
        result = run(
            "policy",
            "diff",
            "illustrative-capability@1.0",
            "illustrative-capability",
            "--as-of",
            "2027-01-01",
            "-f",
            "json",
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["after"]["version"] == "2.0"

    def test_identical(self) -> None:
        """A version compared with itself is reported identical."""
        result = run("policy", "diff", "eu-ai-act@2024.1", "eu-ai-act@2024.1")
        assert result.returncode == 0
        assert "identical" in result.stdout

    def test_unknown_version(self) -> None:
        """An unknown version exits 3 with a message naming the versions that exist."""
        result = run("policy", "diff", "eu-ai-act@2024.1", "eu-ai-act@1999.1")
        assert result.returncode == 3
        assert "eu-ai-act has no version '1999.1'" in result.stderr
        assert "Traceback" not in result.stderr


class TestPolicyShow:
    """governance policy show prints the sources with each rule."""

    def test_sources_and_params(self) -> None:
        """Each rule's source article is printed, parameter names survive, and the sources are listed."""
        result = run("policy", "show", "eu-ai-act@2024.1")
        assert result.returncode == 0, result.stderr
        assert "Art. 51(1)-(2)" in result.stdout
        assert "[systemic_risk_compute]" in result.stdout
        assert "Annex XIII" in result.stdout
        assert "within 14 days" in result.stdout
        assert "by 2027-08-02" in result.stdout


class TestDecideAll:
    """governance decide --policy all picks the policies in force for the candidate."""

    def test_jurisdictions_and_dates(self) -> None:
        """GPT-4 (EU, US, US-CA) in mid-2026: the EU Act and SB 53, and OpenAI's framework v2."""
        result = run("decide", str(CANDIDATES / "gpt-4.yaml"), "-p", "all", "--as-of", "2026-06-01", "-f", "json")
        assert result.returncode == 0, result.stderr
        refs = {f"{d['policy']['id']}@{d['policy']['version']}": d for d in json.loads(result.stdout)}
        assert set(refs) == {
            "ca-sb-53@2025.1-r2",
            "eu-ai-act@2024.1-r3",
            "illustrative-capability@1.0",
            "openai-preparedness@2.0",
        }
        assert "systemic_risk" in refs["eu-ai-act@2024.1-r3"]["labels"]
        assert "frontier_model" not in refs["ca-sb-53@2025.1-r2"]["labels"]
        assert all(d["in_force"] for d in refs.values())

    def test_says_what_it_left_out(self) -> None:
        """Every shipped policy is either decided or named on stderr with why it was left out."""
        result = run("decide", str(CANDIDATES / "gpt-4.yaml"), "-p", "all", "--as-of", "2026-06-01", "-f", "json")
        assert result.returncode == 0, result.stderr
        decided = {d["policy"]["id"] for d in json.loads(result.stdout)}
        note = result.stderr
        assert "--policy all left out 6 policy version(s) for 'GPT-4' on 2026-06-01:" in note
        left_out = {line.split("@")[0].strip() for line in note.splitlines()[1:]}
        assert decided | left_out == {entry.id for entry in discover_policies()}
        assert not decided & left_out
        assert "ca-sb-1047@2024.1: a proposal, never in force" in note
        assert "ny-raise@2025.1: not in force yet (from 2027-01-01)" in note
        assert "us-eo-14110@2023.1-r2: no longer in force (ended 2025-01-20)" in note
        assert "gdm-fsf@3.0-r3: not applicable: the framework of google-deepmind, and the developer is OpenAI" in note

    def test_left_out_by_place(self) -> None:
        """A release listed only in the US leaves the EU Act out, saying where it applies."""
        result = run("decide", str(CANDIDATES / "olmo-7b.yaml"), "-p", "all", "--as-of", "2026-06-01", "-f", "json")
        assert result.returncode == 0, result.stderr
        assert "not applicable: applies in" in result.stderr

    def test_before_the_library_applies(self) -> None:
        """In mid-2024 OLMo 7B (EU, US) falls under EO 14110 only."""
        result = run("decide", str(CANDIDATES / "olmo-7b.yaml"), "-p", "all", "--as-of", "2024-06-01", "-f", "json")
        assert result.returncode == 0, result.stderr
        decisions = json.loads(result.stdout)
        assert [d["policy"]["id"] for d in decisions] == ["us-eo-14110"]
        assert decisions[0]["labels"] == []

    def test_pinned_out_of_force_says_so(self) -> None:
        """A pinned policy outside its dates is still decided, and the table says it is not in force."""
        result = run("decide", str(CANDIDATES / "gpt-4.yaml"), "-p", "us-eo-14110", "--as-of", "2025-06-01")
        assert result.returncode == 0, result.stderr
        assert "NOT IN FORCE" in result.stdout
        assert "revoked" in result.stdout


class TestProposalDates:
    """A proposal is never in force, and `policy show` says just that."""

    def test_vetoed_bill(self, capsys: pytest.CaptureFixture[str]) -> None:
        """ca-sb-1047 (vetoed) is shown as never in force, not "in force from ... to no end date"."""
        result = invoke_main("policy", "show", "ca-sb-1047", capsys=capsys)
        assert result.returncode == 0, result.stderr
        assert "never in force" in result.stdout
        assert "to no end date" not in result.stdout
