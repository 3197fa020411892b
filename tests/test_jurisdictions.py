"""Which policies apply to a candidate, and what ``--policy all`` resolves to."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from governance import Candidate, PolicyNotFoundError, resolve_policies
from governance.jurisdictions import applies_to, developer_is_lab, jurisdiction_covers
from tests.helpers import make_policy

RULE = [{"id": "r", "tier": "open", "when": {"all": [{"feature": "training_flop", "op": ">", "value": 1.0}]}}]


def _candidate(jurisdictions: list[str], trained_by: str = "Example Lab", **extra: Any) -> Candidate:
    return Candidate.model_validate(
        {
            "model": {"name": "M", "developer": trained_by},
            "compute": {"training_flop": 1e24},
            "release": {"form": "api", "jurisdictions": jurisdictions},
            **extra,
        }
    )


class TestJurisdictionCovers:
    """A place covers itself and the places inside it, not its parent or siblings."""

    @pytest.mark.parametrize(
        ("policy", "release", "expected"),
        [
            ("US", "US", True),
            ("US", "US-CA", True),
            ("us", "US-ny", True),
            ("US-CA", "US", False),
            ("US-CA", "US-NY", False),
            ("US-CA", "US-CA", True),
            ("EU", "US", False),
            ("US", "USA", False),
        ],
    )
    def test_cover(self, policy: str, release: str, expected: bool) -> None:
        """Matching is by whole segments and ignores case."""
        assert jurisdiction_covers(policy, release) is expected


class TestDeveloperIsLab:
    """A lab's name words must begin the developer's name."""

    @pytest.mark.parametrize(
        ("lab", "developer", "expected"),
        [
            ("anthropic", "Anthropic", True),
            ("anthropic", "Anthropic PBC", True),
            ("openai", "OpenAI", True),
            ("google-deepmind", "Google DeepMind", True),
            ("google-deepmind", "Google", False),
            ("meta", "Meta Platforms, Inc.", True),
            ("meta", "Metamorph Labs", False),
            ("meta", "", False),
        ],
    )
    def test_match(self, lab: str, developer: str, expected: bool) -> None:
        """Whole words, in order, from the start."""
        assert developer_is_lab(lab, developer) is expected


class TestAppliesTo:
    """The three kinds of jurisdiction."""

    def test_none_applies_everywhere(self) -> None:
        """An illustrative policy (jurisdiction none) applies to every candidate."""
        assert applies_to(make_policy(RULE), _candidate([]))

    def test_place(self) -> None:
        """A federal policy applies to a Californian release; a Californian one not to a federal listing."""
        federal = make_policy(RULE, jurisdiction="US")
        california = make_policy(RULE, jurisdiction="US-CA")
        assert applies_to(federal, _candidate(["US-CA"]))
        assert not applies_to(california, _candidate(["US"]))
        assert applies_to(california, _candidate(["EU", "US-CA"]))

    def test_lab_by_developer(self) -> None:
        """A lab framework applies to the lab's own models, named in model or developer."""
        rsp = make_policy(RULE, jurisdiction="lab:anthropic")
        assert applies_to(rsp, _candidate([], trained_by="Anthropic"))
        assert applies_to(rsp, _candidate([], trained_by="Frontier Red Team", developer={"name": "Anthropic PBC"}))
        assert not applies_to(rsp, _candidate(["EU", "US"], trained_by="OpenAI"))

    def test_lab_by_listing(self) -> None:
        """Listing lab:<name> or lab:* brings in another lab's framework for comparison."""
        rsp = make_policy(RULE, jurisdiction="lab:anthropic")
        assert applies_to(rsp, _candidate(["lab:anthropic"], trained_by="OpenAI"))
        assert applies_to(rsp, _candidate(["lab:*"], trained_by="OpenAI"))
        assert not applies_to(rsp, _candidate(["lab:meta"], trained_by="OpenAI"))

    def test_lab_listing_is_not_a_place(self) -> None:
        """A lab listing never matches a place policy."""
        assert not applies_to(make_policy(RULE, jurisdiction="LAB"), _candidate(["lab:meta"]))


class TestResolveAll:
    """``all`` with a candidate: policies in force that apply to it."""

    def test_frontier_in_california_2026(self) -> None:
        """EU, California and the illustrative policy apply; the vetoed and revoked ones do not."""
        refs = [
            p.ref for p in resolve_policies(["all"], as_of=dt.date(2026, 6, 1), candidate=_candidate(["EU", "US-CA"]))
        ]
        assert refs == ["ca-sb-53@2025.1-r2", "eu-ai-act@2024.1-r3", "illustrative-capability@1.0"]

    def test_us_2024(self) -> None:
        """In mid-2024 a US release falls under EO 14110 only: nothing else in the library is in force yet."""
        refs = [p.ref for p in resolve_policies(["all"], as_of=dt.date(2024, 6, 1), candidate=_candidate(["EU", "US"]))]
        assert refs == ["us-eo-14110@2023.1-r2"]

    def test_lab_developer(self) -> None:
        """An OpenAI model gets the Preparedness Framework version in force on the date."""
        candidate = _candidate(["US"], trained_by="OpenAI")
        refs = [p.ref for p in resolve_policies(["all"], as_of=dt.date(2024, 6, 1), candidate=candidate)]
        assert "openai-preparedness@1.0" in refs
        refs = [p.ref for p in resolve_policies(["all"], as_of=dt.date(2025, 6, 1), candidate=candidate)]
        assert "openai-preparedness@2.0" in refs
        assert not any(ref.startswith(("anthropic", "gdm", "meta")) for ref in refs)

    def test_every_lab(self) -> None:
        """lab:* brings in every lab framework in force."""
        candidate = _candidate(["lab:*"])
        refs = {p.id for p in resolve_policies(["all"], as_of=dt.date(2025, 6, 1), candidate=candidate)}
        assert {"anthropic-rsp", "openai-preparedness", "gdm-fsf", "meta-frontier-ai"} <= refs

    def test_without_candidate_unchanged(self) -> None:
        """Without a candidate, all is every policy id (as before), in force or not."""
        ids = [p.id for p in resolve_policies(["all"], as_of=dt.date(2024, 6, 1))]
        assert "ca-sb-1047" in ids
        assert "ny-raise" in ids

    def test_nothing_applies(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """When no policy applies, the error names the date, the candidate and its jurisdictions."""
        monkeypatch.setattr("governance.jurisdictions.applies_to", lambda policy, candidate: False)
        with pytest.raises(
            PolicyNotFoundError, match=r"no policy in force on 2026-06-01 applies to 'M' \(jurisdictions: EU"
        ):
            resolve_policies(["all"], as_of=dt.date(2026, 6, 1), candidate=_candidate(["EU"]))
