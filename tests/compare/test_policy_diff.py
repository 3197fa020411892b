"""What changed between two policy versions."""

from __future__ import annotations

import json
import math
from typing import Any

from governance import load_policy
from governance.compare.policy_diff import SECTIONS, Change, condition_text, diff_policies
from tests.helpers import make_policy

RULES: list[dict[str, Any]] = [
    {
        "id": "big",
        "tier": "staged",
        "when": {"all": [{"feature": "training_flop", "op": ">", "param": "line"}]},
        "labels": ["big"],
        "obligations": ["report"],
    },
    {
        "id": "bio",
        "tier": "restricted",
        "when": {"all": [{"feature": "capability.bio", "op": ">=", "value": 0.8}]},
    },
]
BASE: dict[str, Any] = {
    "parameters": {"thresholds": {"line": 1e25}},
    "obligations": [{"id": "report", "text": "Report.", "source": "s", "due_within_days": 14}],
}


def _find(changes: tuple[Change, ...], section: str, item: str | None = None, field: str | None = None) -> Change:
    matches = [c for c in changes if c.section == section and c.item == item and c.field == field]
    assert len(matches) == 1, (section, item, field, changes)
    return matches[0]


class TestIdentical:
    """The same document has no changes."""

    def test_same_policy(self) -> None:
        """A policy compared with itself is identical and lists nothing."""
        policy = make_policy(RULES, **BASE)
        diff = diff_policies(policy, policy)
        assert diff.identical
        assert diff.changes == ()
        assert diff.document()["identical"] is True


class TestChanges:
    """Each kind of change is reported in its section."""

    def test_threshold_change_shows_on_parameter_and_rule(self) -> None:
        """A changed parameter appears in thresholds and in the condition of every rule reading it."""
        before = make_policy(RULES, **BASE)
        after = make_policy(RULES, **{**BASE, "parameters": {"thresholds": {"line": 1e26}}}, version="2.0")
        diff = diff_policies(before, after)
        assert _find(diff.changes, "thresholds", "line", "value") == Change(
            "thresholds", "changed", "line", "value", 1e25, 1e26
        )
        when = _find(diff.changes, "rules", "big", "when")
        assert when.before == "training_flop > 1e+25 [line]"
        assert when.after == "training_flop > 1e+26 [line]"
        assert _find(diff.changes, "metadata", None, "version").after == "2.0"

    def test_rule_added_removed_and_changed(self) -> None:
        """Rules are matched by id: a new one is added, a missing one removed, a retiered one changed."""
        new_rules = [
            {**RULES[0], "tier": "restricted", "labels": ["big", "frontier"], "obligations": []},
            {
                "id": "cyber",
                "tier": "staged",
                "when": {"all": [{"feature": "capability.cyber", "op": ">=", "value": 0.5}]},
            },
        ]
        diff = diff_policies(make_policy(RULES, **BASE), make_policy(new_rules, **BASE))
        assert _find(diff.changes, "rules", "bio").change == "removed"
        added = _find(diff.changes, "rules", "cyber")
        assert added.change == "added"
        assert added.after["when"] == "capability.cyber >= 0.5"
        tier = _find(diff.changes, "rules", "big", "tier")
        assert (tier.before, tier.after) == ("staged", "restricted")
        labels = _find(diff.changes, "rules", "big", "labels")
        assert (labels.before, labels.after) == (["big"], ["big", "frontier"])
        assert _find(diff.changes, "rules", "big", "obligations").after == []

    def test_obligations_sources_and_dates(self) -> None:
        """Obligation deadlines, source sections and effective dates are compared field by field."""
        after = make_policy(
            RULES,
            parameters=BASE["parameters"],
            obligations=[{"id": "report", "text": "Report.", "source": "s", "due_within_days": 15}],
            effective={"from": "2020-01-01", "to": "2025-01-20"},
            sources=[{"id": "s", "title": "Test source", "section": "§2"}],
        )
        diff = diff_policies(make_policy(RULES, **BASE), after)
        due = _find(diff.changes, "obligations", "report", "due_within_days")
        assert (due.before, due.after) == (14, 15)
        assert _find(diff.changes, "effective", None, "to") == Change(
            "effective", "added", None, "to", None, "2025-01-20"
        )
        assert _find(diff.changes, "sources", "s", "section").after == "§2"

    def test_interpretation_and_conflicts(self) -> None:
        """Interpretation notes and label conflicts are listed as added or removed items."""
        before = make_policy(RULES, **BASE, interpretation=["old note"])
        after = make_policy(RULES, **BASE, interpretation=["new note"], label_conflicts=[["big", "small"]])
        diff = diff_policies(before, after)
        interpretation = diff.in_section("interpretation")
        assert [(c.change, c.before, c.after) for c in interpretation] == [
            ("removed", "old note", None),
            ("added", None, "new note"),
        ]
        assert diff.in_section("label_conflicts") == [Change("label_conflicts", "added", after=["big", "small"])]

    def test_sections_in_order(self) -> None:
        """Changes come section by section in the documented order."""
        before = load_policy("openai-preparedness@1.0")
        after = load_policy("openai-preparedness@2.0")
        order = [SECTIONS.index(c.section) for c in diff_policies(before, after).changes]
        assert order == sorted(order)


class TestShippedVersions:
    """The diffs between shipped versions say what the versions' own notes say changed."""

    def test_openai_v1_to_v2(self) -> None:
        """v2 drops Medium and the v1 rules, adds High and Critical, and narrows the required domains."""
        diff = diff_policies(load_policy("openai-preparedness@1.0"), load_policy("openai-preparedness@2.0"))
        removed = {c.item for c in diff.in_section("rules") if c.change == "removed"}
        added = {c.item for c in diff.in_section("rules") if c.change == "added"}
        assert removed == {"post-mitigation-high", "post-mitigation-critical", "overall-medium", "overall-low"}
        assert added == {"high", "critical", "below-high", "research-category-watch"}
        assert _find(diff.changes, "thresholds", "medium", "value").change == "removed"
        domains = _find(diff.changes, "evidence", None, "required_domains")
        assert "persuasion" in domains.before
        assert "persuasion" not in domains.after

    def test_illustrative_1_to_2(self) -> None:
        """2.0 adds the compute floor, the aged-line label, and changes the frontier-compute condition."""
        diff = diff_policies(load_policy("illustrative-capability@1.0"), load_policy("illustrative-capability@2.0"))
        assert _find(diff.changes, "thresholds", "compute_floor", "value").after == 1e23
        assert _find(diff.changes, "rules", "compute-line-aged").change == "added"
        when = _find(diff.changes, "rules", "frontier-compute", "when")
        assert "compute_floor" in when.after
        assert "compute_floor" not in when.before

    def test_gdm_2_to_3(self) -> None:
        """v3.0 adds the harmful manipulation CCL and persuasion to the required domains."""
        diff = diff_policies(load_policy("gdm-fsf@2.0"), load_policy("gdm-fsf@3.0"))
        added = {c.item for c in diff.in_section("rules") if c.change == "added"}
        assert {"ccl-harmful-manipulation", "alert-harmful-manipulation"} <= added

    def test_document_is_json(self) -> None:
        """The diff document serialises to JSON with both identities."""
        diff = diff_policies(load_policy("gdm-fsf@2.0"), load_policy("gdm-fsf@3.0"))
        document = json.loads(json.dumps(diff.document()))
        assert document["before"]["version"] == "2.0"
        assert document["after"]["version"] == "3.0"
        assert document["identical"] is False
        assert len(document["changes"]) == len(diff.changes)


class TestConditionText:
    """Conditions are rendered with exact thresholds."""

    def test_exact_float(self) -> None:
        """The next double above 1e25 is not rounded to 1e25."""
        policy = make_policy(
            [
                {
                    "id": "r",
                    "tier": "open",
                    "when": {"all": [{"feature": "training_flop", "op": ">", "value": math.nextafter(1e25, math.inf)}]},
                }
            ]
        )
        assert condition_text(policy.rules[0].when, policy) == "training_flop > 1.0000000000000003e+25"
