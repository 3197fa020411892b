"""Revision 2 of the law and framework bundles: each correction checked where a decision case cannot see it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from governance import decide, load_policy
from governance.candidate import Candidate


def _frontier(revenue: float | None) -> Candidate:
    document: dict[str, Any] = {
        "model": {"name": "M", "developer": "Example Lab", "modalities": ["text"]},
        "compute": {"training_flop": 2e26},
        "release": {"form": "api", "jurisdictions": ["US-NY", "US-CA"]},
    }
    if revenue is not None:
        document["developer"] = {"name": "Example Lab", "annual_revenue_usd": revenue}
    return Candidate.model_validate(document)


def _obligations(candidate: Candidate, ref: str, day: dt.date) -> set[str]:
    decision = decide(candidate, load_policy(ref), as_of=day)
    return {item["id"] for item in decision.document()["obligations"]}


class TestNewYorkRevision:
    """GBL §§ 1421, 1422 and 1428 as enacted."""

    def test_incident_reporting_binds_every_frontier_developer(self) -> None:
        """§ 1422(3)(a) and (b) and § 1421's transparency report reach a developer below $500M."""
        got = _obligations(_frontier(4e8), "ny-raise@2025.1-r2", dt.date(2027, 6, 1))
        assert got == {"transparency-report", "safety-incident-report", "imminent-risk-disclosure"}

    def test_released_version_attached_incidents_to_large_developers_only(self) -> None:
        """The released 2025.1 encoding, kept for replay, had no duty for a small frontier developer."""
        assert _obligations(_frontier(4e8), "ny-raise@2025.1", dt.date(2027, 6, 1)) == set()

    def test_large_developer_files_and_reports_quarterly(self) -> None:
        """§ 1421(1) framework, § 1422(2) quarterly summaries, § 1428 disclosure statement and fee."""
        got = _obligations(_frontier(2e9), "ny-raise@2025.1-r2", dt.date(2027, 6, 1))
        assert {"frontier-ai-framework", "internal-use-summary", "disclosure-statement"} <= got


class TestCaliforniaRevision:
    """SB 53's duties cited to BPC § 22757.12(c) and (d)."""

    @pytest.mark.parametrize(
        ("obligation", "source"),
        [("transparency-report", "bpc-22757-12"), ("oes-internal-use-summary", "bpc-22757-12")],
    )
    def test_duty_cites_the_code(self, obligation: str, source: str) -> None:
        """Each duty's source is the section of the code, not a secondary summary."""
        policy = load_policy("ca-sb-53@2025.1-r2")
        assert next(o for o in policy.obligations if o.id == obligation).source == source
        assert not any("single secondary source" in o.text for o in policy.obligations)


class TestExecutiveOrderRevision:
    """EO 14110 Sec. 4.2(a): the duty ran from Commerce's requirement, due within 90 days."""

    def test_decision_states_the_gap(self) -> None:
        """The obligation every decision carries names the 90-day date."""
        decision = decide(_frontier(2e9), load_policy("us-eo-14110@2023.1-r2"), as_of=dt.date(2023, 11, 15))
        texts = [item["text"] for item in decision.document()["obligations"]]
        assert any("2024-01-28" in text for text in texts)


class TestCannotRuleOut:
    """Only the RSP says that what cannot be ruled out is reached, and only where its words are quoted."""

    def test_rsp_cbrn3_declares_it_with_a_cited_quote(self) -> None:
        """CBRN-3 in the corrected v2.2 treats "not ruled out" as crossed, citing a source of the bundle."""
        policy = load_policy("anthropic-rsp@2.2-r2")
        declared = {rule.id: rule.cannot_rule_out for rule in policy.rules if rule.cannot_rule_out is not None}
        assert set(declared) == {"cbrn-3"}
        assert declared["cbrn-3"].source in {source.id for source in policy.sources}
        assert "ruling out ASL-3 risks is not possible" in declared["cbrn-3"].quote

    @pytest.mark.parametrize(
        "ref",
        [
            "gdm-fsf@2.0-r2",
            "gdm-fsf@3.0-r2",
            "gdm-fsf@3.0-r3",
            "meta-frontier-ai@1.0-r2",
            "meta-frontier-ai@1.0-r3",
            "anthropic-rsp@1.0",
            "anthropic-rsp@2.0",
        ],
    )
    def test_other_frameworks_do_not(self, ref: str) -> None:
        """No other framework's reachable text makes missing evidence a finding."""
        assert all(rule.cannot_rule_out is None for rule in load_policy(ref).rules)

    @pytest.mark.parametrize(
        ("revision", "previous"),
        [("gdm-fsf@3.0-r3", "gdm-fsf@3.0-r2"), ("meta-frontier-ai@1.0-r3", "meta-frontier-ai@1.0-r2")],
    )
    def test_currency_revisions_keep_the_rules(self, revision: str, previous: str) -> None:
        """The -r3 revisions add only the currency date: rules, parameters and evidence are revision 2's."""
        new, old = load_policy(revision).document(), load_policy(previous).document()
        assert new["effective"]["unconfirmed_after"] is not None
        for key in ("rules", "parameters", "evidence", "obligations", "plan"):
            assert new.get(key) == old.get(key), key
