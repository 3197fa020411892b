"""What-if: recorded decisions re-decided under another policy version, tier changes listed."""

from __future__ import annotations

from pathlib import Path

from governance import load_policy
from governance.ledger.whatif import what_if
from tests.ledger.builders import build_ledger


class TestWhatIf:
    """Lowering a threshold makes some recorded decisions stricter; the same version changes nothing."""

    def test_same_version_changes_nothing(self, tmp_path: Path) -> None:
        """Re-deciding under the recorded version reproduces every tier."""
        with build_ledger(tmp_path / "l.sqlite", 12, batch=12) as ledger, ledger.read() as reader:
            report = what_if(reader, load_policy("illustrative-capability@1.0"))
        assert report.considered == 12 and report.changes == [] and report.skipped == []

    def test_lower_threshold_is_stricter(self, tmp_path: Path) -> None:
        """With 'elevated' at 0.05, every change is stricter and the transitions are counted."""
        stricter = load_policy("illustrative-capability@1.0").with_thresholds(elevated=0.05)
        with build_ledger(tmp_path / "l.sqlite", 12, batch=12) as ledger, ledger.read() as reader:
            report = what_if(reader, stricter)
        assert report.considered == 12 and report.changes
        assert all(change.direction == "stricter" for change in report.changes)
        assert sum(report.transitions().values()) == len(report.changes)
        document = report.document()
        assert document["changed"] == len(report.changes) and document["digest"] == stricter.digest

    def test_other_policy_ids_are_left_out_unless_asked(self, tmp_path: Path) -> None:
        """Entries recorded under another policy id are only considered with all_policies."""
        other = load_policy("illustrative-capability@1.0").model_copy(update={"id": "another-policy"})
        with build_ledger(tmp_path / "l.sqlite", 4, batch=4) as ledger, ledger.read() as reader:
            assert what_if(reader, other).considered == 0
            assert what_if(reader, other, all_policies=True).considered == 4
