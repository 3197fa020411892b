"""Replay: every entry reproduces from what the ledger stores, with no access to policies/."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from governance import loader
from governance.canonical import canonical_bytes
from governance.ledger import replay as replay_module
from governance.ledger.replay import document_changes, replay_source, unified_diff
from governance.ledger.store import Ledger
from tests.ledger.builders import MemorySource, build_ledger, tamper


class TestReproduces:
    """Intact ledgers replay byte for byte, in one process or several."""

    def test_every_entry(self, sqlite_ledger: tuple[Path, Ledger]) -> None:
        """10 entries, 10 reproduced."""
        _path, ledger = sqlite_ledger
        with ledger.read() as reader:
            report = replay_source(reader)
        assert report.ok and report.entries == report.reproduced == 10

    def test_python_evaluator_and_workers(self, small_ledger_source: MemorySource) -> None:
        """The python evaluator and two worker processes give the same verdict."""
        assert replay_source(small_ledger_source, evaluator="python").ok
        report = replay_source(small_ledger_source, jobs=2)
        assert report.ok and report.entries == 24

    def test_without_the_policy_folder(
        self, sqlite_ledger: tuple[Path, Ledger], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every policy loader fails and policies/ is out of reach: replay still reproduces."""
        _path, ledger = sqlite_ledger
        data_dir = loader.data_dir

        def unavailable(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("replay must not read policies/")

        def no_policies(name: str) -> Path:
            if name == "policies":
                raise AssertionError("replay must not read policies/")
            return data_dir(name)

        for name in ("load_policy", "resolve_policies", "discover_policies", "parse_policy"):
            monkeypatch.setattr(loader, name, unavailable)
        monkeypatch.setattr(loader, "data_dir", no_policies)
        with ledger.read() as reader:
            assert replay_source(reader).ok

    def test_subprocess_with_no_policies_anywhere(self, sqlite_ledger: tuple[Path, Ledger], tmp_path: Path) -> None:
        """`governance ledger replay` run elsewhere, GOVERNANCE_POLICY_PATH pointing nowhere, loader disabled."""
        path, _ledger = sqlite_ledger
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        script = (
            "import sys, governance.loader as l\n"
            "def gone(*a, **k): raise SystemExit('policies/ was read')\n"
            "for n in ('load_policy', 'resolve_policies', 'discover_policies', 'parse_policy'):\n"
            "    setattr(l, n, gone)\n"
            "shipped = l.data_dir\n"
            "l.data_dir = lambda name: gone() if name == 'policies' else shipped(name)\n"
            "from governance.cli import main\n"
            f"main(['ledger', 'replay', '--ledger', {str(path)!r}])\n"
        )
        env = {"GOVERNANCE_POLICY_PATH": str(tmp_path / "nowhere"), "PATH": "/usr/bin:/bin"}
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        assert "10 reproduce byte for byte, 0 do not" in " ".join(result.stdout.split())


class TestMismatches:
    """Entries that do not reproduce are reported with what differs."""

    def test_changed_tier_is_diffed(self, sqlite_ledger: tuple[Path, Ledger]) -> None:
        """A decision whose stored tier was changed: /tier named, with a unified diff."""
        path, ledger = sqlite_ledger
        with ledger.read() as reader:
            row = reader.entry_at(3)
        assert row is not None
        document = json.loads(row.decision)
        new_tier = "restricted" if document["tier"] != "restricted" else "open"
        document["tier"] = new_tier
        tamper(path, "UPDATE ledger_decisions SET decision = ? WHERE seq = 3", [canonical_bytes(document)])
        with ledger.read() as reader:
            report = replay_source(reader)
        assert not report.ok and report.reproduced == 9
        (mismatch,) = report.mismatches
        assert mismatch.seq == 3 and mismatch.kind == "differs"
        assert [c.path for c in mismatch.changes] == ["/tier"]
        assert f'-  "tier": "{new_tier}"' in mismatch.diff
        with pytest.raises(Exception, match="do not reproduce"):
            report.raise_for_mismatch()

    def test_non_canonical_bytes(self, sqlite_ledger: tuple[Path, Ledger]) -> None:
        """Same content written with spaces: 'different bytes', no field change."""
        path, ledger = sqlite_ledger
        with ledger.read() as reader:
            row = reader.entry_at(0)
        assert row is not None
        spaced = json.dumps(json.loads(row.decision), indent=1, sort_keys=True).encode()
        tamper(path, "UPDATE ledger_decisions SET decision = ? WHERE seq = 0", [spaced])
        with ledger.read() as reader:
            (mismatch,) = replay_source(reader).mismatches
        assert mismatch.changes == () and "different bytes" in mismatch.detail

    def test_missing_and_broken_inputs(self, small_ledger_source: MemorySource) -> None:
        """A missing policy, an unreadable candidate and an unreadable policy are each reported, not raised."""
        source = small_ledger_source.copy()
        source.rows[1] = source.rows[1]._replace(candidate=b'{"model": 1}')
        source.rows[2] = source.rows[2]._replace(policy_digest="sha256:" + "0" * 64)
        source.rows[3] = source.rows[3]._replace(decision=b"[]")
        report = replay_source(source)
        kinds = {m.seq: m.kind for m in report.mismatches}
        assert kinds == {1: "candidate unreadable", 2: "policy missing", 3: "decision unreadable"}
        source.policy_rows[0] = source.policy_rows[0].__class__(
            *[getattr(source.policy_rows[0], f) for f in ("digest", "policy_id", "policy_version", "canon")],
            b'{"id": "x"}',
            "t",
        )
        assert all(m.kind == "policy unreadable" for m in replay_source(source).mismatches if m.seq not in (1, 2, 3))


class TestDiffs:
    """Changes are JSON Pointers; types count (1 is not 1.0 is not true)."""

    def test_paths(self) -> None:
        """Nested keys, list items, additions and removals."""
        old = {"a": {"b": [1, 2, 3]}, "c": 1, "gone": "x"}
        new = {"a": {"b": [1, 5]}, "c": 1.0, "new/key": True}
        changes = {c.path: (c.recorded, c.replayed) for c in document_changes(old, new)}
        assert changes == {
            "/a/b/1": (2, 5),
            "/a/b/2": (3, "<absent>"),
            "/c": (1, 1.0),
            "/gone": ("x", "<absent>"),
            "/new~1key": ("<absent>", True),
        }

    def test_unified_diff_is_capped(self) -> None:
        """Long diffs are cut with a note of how much more there was."""
        diff = unified_diff({str(i): i for i in range(200)}, {str(i): -i for i in range(200)}, lines=20)
        assert len(diff.splitlines()) == 21 and "more diff lines" in diff

    def test_module_never_imports_the_loader(self) -> None:
        """replay.py does not import governance.loader at all."""
        assert "governance.loader" not in Path(replay_module.__file__).read_text()


def test_bigger_batches_replay(tmp_path: Path) -> None:
    """A 40-entry ledger built in batches replays completely."""
    with build_ledger(tmp_path / "l.sqlite", 40, batch=10) as ledger, ledger.read() as reader:
        report = replay_source(reader)
    assert report.ok and report.entries == 40
