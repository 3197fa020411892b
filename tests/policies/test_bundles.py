"""Every shipped policy bundle: loads, passes the static checks, is registered, cites its sources."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from governance import Candidate, PolicyKind, check_policy, decide, discover_policies, load_policy
from governance.loader import parse_policy, released_digests
from governance.tiers import Tier

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
BUNDLES = sorted(POLICIES.glob("*/*/policy.yaml"))
LIBRARY = {
    "eu-ai-act": ["2024.1", "2024.1-r2", "2024.1-r3"],
    "us-eo-14110": ["2023.1", "2023.1-r2"],
    "ca-sb-1047": ["2024.1"],
    "ca-sb-53": ["2025.1", "2025.1-r2"],
    "ny-raise": ["2025.1", "2025.1-r2"],
    "anthropic-rsp": ["1.0", "2.0", "2.2", "2.2-r2"],
    "openai-preparedness": ["1.0", "2.0"],
    "gdm-fsf": ["2.0", "2.0-r2", "3.0", "3.0-r2", "3.0-r3"],
    "meta-frontier-ai": ["1.0", "1.0-r2", "1.0-r3"],
    "illustrative-capability": ["1.0", "2.0"],
}
"""The policy library this issue ships: id -> versions."""


def _bundle_id(path: Path) -> str:
    return f"{path.parent.parent.name}@{path.parent.name}"


def _candidate(flop: float = 2e26, **capabilities: float) -> Candidate:
    return Candidate.model_validate(
        {
            "model": {"name": "M", "developer": "Example Lab", "modalities": ["text"]},
            "compute": {"training_flop": flop},
            "capabilities": capabilities,
            "release": {"form": "api"},
            "developer": {"name": "Example Lab", "annual_revenue_usd": 1e9},
        }
    )


class TestShippedBundles:
    """Each bundle file is valid, checked, registered and cites its sources."""

    def test_library_is_complete(self) -> None:
        """Every policy of the library is shipped, in every version."""
        shipped: dict[str, list[str]] = {}
        for path in BUNDLES:
            shipped.setdefault(path.parent.parent.name, []).append(path.parent.name)
        for policy_id, versions in LIBRARY.items():
            assert sorted(shipped.get(policy_id, [])) == versions

    @pytest.mark.parametrize("path", BUNDLES, ids=_bundle_id)
    def test_loads_and_passes_checks(self, path: Path) -> None:
        """The bundle parses, its folder matches id@version, and the static checks find nothing."""
        policy = parse_policy(path, released=released_digests(POLICIES))
        assert check_policy(policy) == []
        assert policy.ref == _bundle_id(path)
        assert load_policy(policy.ref).digest == policy.digest

    @pytest.mark.parametrize("path", BUNDLES, ids=_bundle_id)
    def test_released_digest_recorded(self, path: Path) -> None:
        """Every shipped bundle is listed in released.json with the digest it hashes to now."""
        released = json.loads((POLICIES / "released.json").read_text(encoding="utf-8"))
        policy = load_policy(path)
        assert released.get(policy.ref) == policy.digest

    def test_released_lists_only_shipped_bundles(self) -> None:
        """released.json names no version that is not shipped."""
        released = json.loads((POLICIES / "released.json").read_text(encoding="utf-8"))
        assert set(released) == {_bundle_id(path) for path in BUNDLES}

    @pytest.mark.parametrize("path", BUNDLES, ids=_bundle_id)
    def test_provenance(self, path: Path) -> None:
        """Every source names its section, and a real law or framework records its interpretations."""
        policy = load_policy(path)
        assert all(source.section for source in policy.sources)
        if policy.kind is not PolicyKind.ILLUSTRATIVE:
            assert policy.interpretation
            assert any("Tier mapping" in note for note in policy.interpretation)

    @pytest.mark.parametrize("path", BUNDLES, ids=_bundle_id)
    def test_lab_frameworks_state_normalisation(self, path: Path) -> None:
        """A framework over capability scores says what its score normalisation assumes, as illustrative."""
        policy = load_policy(path)
        if policy.kind is PolicyKind.FRAMEWORK:
            assert policy.jurisdiction.startswith("lab:")
            assert any("normalisation (illustrative" in note for note in policy.interpretation)


class TestVersionResolution:
    """A bare id resolves to the version in force on the date, at the exact boundary."""

    @pytest.mark.parametrize(
        ("policy_id", "day", "version"),
        [
            ("openai-preparedness", dt.date(2025, 4, 14), "1.0"),
            ("openai-preparedness", dt.date(2025, 4, 15), "2.0"),
            ("gdm-fsf", dt.date(2025, 9, 21), "2.0-r2"),
            ("gdm-fsf", dt.date(2025, 9, 22), "3.0-r3"),
            ("anthropic-rsp", dt.date(2024, 10, 14), "1.0"),
            ("anthropic-rsp", dt.date(2024, 10, 15), "2.0"),
            ("anthropic-rsp", dt.date(2025, 5, 14), "2.2-r2"),
            ("ny-raise", dt.date(2027, 1, 1), "2025.1-r2"),
            ("illustrative-capability", dt.date(2026, 11, 30), "1.0"),
            ("illustrative-capability", dt.date(2026, 12, 1), "2.0"),
        ],
    )
    def test_boundary(self, policy_id: str, day: dt.date, version: str) -> None:
        """The day a new version starts, it replaces the old one; a revision replaces what it corrects."""
        assert load_policy(policy_id, as_of=day).version == version

    def test_eo_revocation_is_exclusive(self) -> None:
        """EO 14110 is in force the day before its revocation and not on the day."""
        policy = load_policy("us-eo-14110")
        assert policy.in_force(dt.date(2025, 1, 19))
        assert not policy.in_force(dt.date(2025, 1, 20))

    def test_after_revocation_decision_says_so(self) -> None:
        """A decision after 2025-01-20 names the revocation."""
        decision = decide(_candidate(), load_policy("us-eo-14110"), as_of=dt.date(2025, 6, 1))
        assert decision.in_force is False
        assert decision.in_force_note is not None
        assert "no longer in force" in decision.in_force_note
        assert "14148" in decision.in_force_note


class TestProposal:
    """A vetoed bill is kept for comparison and is never in force."""

    @pytest.mark.parametrize("day", [dt.date(2024, 9, 29), dt.date(2025, 1, 1), dt.date(2030, 1, 1)])
    def test_never_in_force(self, day: dt.date) -> None:
        """SB 1047 is not in force on any date, including the day of the veto."""
        assert not load_policy("ca-sb-1047").in_force(day)

    def test_decision_says_proposal(self) -> None:
        """A decision under SB 1047 says it is a proposal that was never in force, and still explains."""
        decision = decide(_candidate(), load_policy("ca-sb-1047"), as_of=dt.date(2025, 1, 1))
        assert decision.in_force_note is not None
        assert "proposal" in decision.in_force_note
        assert "vetoed" in decision.in_force_note
        assert decision.labels == ["covered_model"]


class TestTierRange:
    """Each policy gives only the tiers its interpretation says it can."""

    @pytest.mark.parametrize("policy_id", ["us-eo-14110", "ca-sb-1047", "ca-sb-53", "ny-raise"])
    def test_reporting_laws_never_raise_the_tier(self, policy_id: str) -> None:
        """Transparency and reporting laws have label-only rules."""
        for entry in discover_policies():
            if entry.id == policy_id:
                assert {rule.tier for rule in entry.policy.rules} == {Tier.OPEN}

    def test_eu_never_restricts(self) -> None:
        """The EU AI Act encoding decides open or staged, never restricted."""
        policy = load_policy("eu-ai-act@2024.1")
        assert max(rule.tier for rule in policy.rules) is Tier.STAGED
        assert policy.evidence.required_domains == ()
