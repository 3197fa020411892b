"""What moved between two decisions of one model: tier, rules, labels, obligations, thresholds crossed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from governance import decide
from governance.decision_diff import diff_decisions
from tests.helpers import COMPUTE_RULES, make_candidate, make_policy

AS_OF = dt.date(2026, 11, 28)
POLICY = make_policy(COMPUTE_RULES)


def _document(flop: Any, bio: float | None = 0.1) -> dict[str, Any]:
    capabilities = {} if bio is None else {"bio": bio}
    return dict(decide(make_candidate(flop, capabilities=capabilities), POLICY, as_of=AS_OF).document())


class TestDiff:
    """diff_decisions on documents the engine made."""

    def test_crossing_a_threshold(self) -> None:
        """8e24 -> 3e25 FLOP: open -> staged, the rule and its label are new, compute crossed >= 1e25."""
        diff = diff_decisions(_document(8e24), _document(3e25))
        assert (diff.tier_before, diff.tier_after) == ("open", "staged")
        assert diff.rules == (("over-1e25",), ())
        assert diff.labels == (("big",), ())
        (crossing,) = diff.crossings
        assert (crossing.feature, crossing.op, crossing.threshold) == ("training_flop", ">=", 1e25)
        assert (crossing.before, crossing.after) == ("below", "above")
        assert "  threshold: training_flop crossed >= 1e+25 (8e+24 -> 3e+25)" in diff.lines()
        assert not diff.unchanged

    def test_leaving_a_threshold(self) -> None:
        """The reverse: the rule and label are gone, compute left the threshold."""
        diff = diff_decisions(_document(3e25), _document(8e24))
        assert diff.rules == ((), ("over-1e25",))
        assert diff.labels == ((), ("big",))
        assert [(c.before, c.after) for c in diff.crossings] == [("above", "below")]
        assert "  threshold: training_flop left >= 1e+25 (3e+25 -> 8e+24)" in diff.lines()

    def test_exactly_at_the_threshold(self) -> None:
        """The double just below 1e25 to 1e25 itself crosses `>= 1e25`; nothing is rounded."""
        below = 9.999999999999999e24
        diff = diff_decisions(_document(below), _document(1e25))
        assert [(c.threshold, c.before, c.after) for c in diff.crossings] == [(1e25, "below", "above")]

    def test_unknown_becomes_known(self) -> None:
        """Evidence arrives: unknown bio (read as above every line) becomes 0.1, below them all."""
        diff = diff_decisions(_document(3e25, bio=None), _document(3e25, bio=0.1))
        assert (diff.tier_before, diff.tier_after) == ("restricted", "staged")
        assert diff.missing_evidence == ((), ("capability.bio",))
        assert [(c.feature, c.before, c.after) for c in diff.crossings] == [("capability.bio", "unknown", "below")]
        assert any("capability.bio became known: below >= 0.8" in line for line in diff.lines())

    def test_unchanged(self) -> None:
        """The same decision twice: nothing moved, and it says so."""
        diff = diff_decisions(_document(3e25), _document(3e25))
        assert diff.unchanged
        assert diff.lines()[-1] == "  nothing else moved"

    def test_moved_without_crossing(self) -> None:
        """Compute that grows without crossing a line is shown as moved, not as a crossing."""
        diff = diff_decisions(_document(2e25), _document(3e25))
        assert diff.unchanged and not diff.crossings
        assert [(m.feature, m.before, m.after) for m in diff.moves] == [("training_flop", 2e25, 3e25)]

    def test_not_ruled_out_entries(self) -> None:
        """Decision format 2 lists not_ruled_out rules; a rule that is settled shows as gone."""
        before = _document(3e25)
        before["not_ruled_out"] = [{"rule": "bio", "tier": "restricted", "atoms": [], "settle": "supply bio"}]
        diff = diff_decisions(before, _document(3e25))
        assert diff.not_ruled_out == ((), ("bio",))
        assert "  rules not ruled out, gone: bio" in diff.lines()

    def test_policy_version_and_model(self) -> None:
        """A new policy version and another model name are reported."""
        before = _document(3e25)
        before["policy"] = {**before["policy"], "version": "0.9"}
        before["model"] = {"name": "Old name", "developer": "Lab"}
        diff = diff_decisions(before, _document(3e25))
        assert "  policy: test-policy@0.9 -> test-policy@1.0" in diff.lines()
        assert "  note: the earlier decision is for 'Old name'" in diff.lines()
        assert diff.document()["policy"] == {"before": "test-policy@0.9", "after": "test-policy@1.0"}
