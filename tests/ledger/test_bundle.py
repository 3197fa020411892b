"""Audit bundles: exported whole, verified and replayed from the file alone; damage is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from governance.exceptions import InputError, VerificationError
from governance.ledger.bundle import Bundle, export_bundle
from governance.ledger.replay import replay_source
from governance.ledger.store import Ledger
from governance.ledger.verify import FaultKind, verify_source
from tests.ledger.builders import KEY, OTHER_KEY, build_ledger


@pytest.fixture(name="bundle")
def _bundle(tmp_path: Path) -> tuple[Path, str]:
    """A bundle of a 12-entry ledger (batches of 3), the ledger itself deleted: (path, origin)."""
    ledger_path = tmp_path / "ledger.sqlite"
    with build_ledger(ledger_path, 12, batch=3) as ledger, ledger.read() as reader:
        summary = export_bundle(reader, tmp_path / "audit.jsonl")
        origin = ledger.origin
    for leftover in tmp_path.glob("ledger.sqlite*"):
        leftover.unlink()
    assert summary.entries == 12 and summary.checkpoints == 4 and summary.keys == 1
    return summary.path, origin


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


class TestRoundTrip:
    """A bundle holds everything: it verifies and replays with no ledger and no policies."""

    def test_verify_offline(self, bundle: tuple[Path, str]) -> None:
        """Same entries, root and checkpoints as the ledger; the real key verifies it."""
        path, origin = bundle
        opened = Bundle.open(path)
        assert opened.origin == origin and opened.entry_count() == 12
        report = verify_source(opened, trusted_keys=[KEY.verifier()])
        assert report.ok and report.entries == 12 and report.checkpoints == 4

    def test_replay_offline(self, bundle: tuple[Path, str]) -> None:
        """Every entry reproduces from the policy versions inside the bundle."""
        report = replay_source(Bundle.open(bundle[0]))
        assert report.ok and report.entries == 12

    def test_lines_are_canonical_records(self, bundle: tuple[Path, str]) -> None:
        """Header first, end last, types in order, each line canonical JSON."""
        from governance.canonical import canonical_bytes

        lines = _lines(bundle[0])
        records = [json.loads(line) for line in lines]
        assert [r["type"] for r in records][:2] == ["header", "key"]
        assert records[-1]["type"] == "end"
        assert [r["type"] for r in records].count("entry") == 12
        for line, record in zip(lines, records, strict=True):
            assert line == canonical_bytes(record) + b"\n"

    def test_export_refuses_to_overwrite(self, tmp_path: Path) -> None:
        """An existing file is kept unless --force."""
        target = tmp_path / "b.jsonl"
        target.write_text("keep me")
        with build_ledger(tmp_path / "l.sqlite", 2) as ledger, ledger.read() as reader:
            with pytest.raises(InputError, match="already there"):
                export_bundle(reader, target)
            assert target.read_text() == "keep me"
            export_bundle(reader, target, overwrite=True)
        assert Bundle.open(target).entry_count() == 2


class TestDamage:
    """Truncated, damaged, edited or foreign bundles are refused with a clear message."""

    @pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
    def test_truncated_mid_line(self, bundle: tuple[Path, str], keep: float) -> None:
        """Cut anywhere: the bundle is reported truncated or damaged."""
        path = bundle[0]
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])
        with pytest.raises(VerificationError, match="truncated|damaged"):
            verify_source(Bundle.open(path))

    def test_truncated_at_a_line_boundary(self, bundle: tuple[Path, str]) -> None:
        """Whole entries and the end record dropped: 'no end record'."""
        path = bundle[0]
        path.write_bytes(b"".join(_lines(path)[:-4]))
        with pytest.raises(VerificationError, match="truncated"):
            verify_source(Bundle.open(path))

    def test_not_a_bundle(self, tmp_path: Path) -> None:
        """Any other file is an input error, not a verification failure."""
        other = tmp_path / "x.jsonl"
        other.write_text('{"hello": 1}\n')
        with pytest.raises(InputError, match="not an audit bundle"):
            Bundle.open(other)
        with pytest.raises(InputError, match="no such bundle"):
            Bundle.open(tmp_path / "absent.jsonl")

    def test_edited_entry(self, bundle: tuple[Path, str]) -> None:
        """A decision edited inside the bundle: altered, naming that entry."""
        path = bundle[0]
        lines = _lines(path)
        index = next(i for i, line in enumerate(lines) if b'"seq":5,' in line)
        record = json.loads(lines[index])
        record["decision"]["tier"] = "open" if record["decision"]["tier"] != "open" else "restricted"
        lines[index] = json.dumps(record).encode() + b"\n"
        path.write_bytes(b"".join(lines))
        report = verify_source(Bundle.open(path))
        assert report.fault is not None
        assert report.fault.kind is FaultKind.ALTERED and report.fault.seq == 5

    @pytest.mark.parametrize(
        ("edit", "kind", "seq"), [("swap", "reordered", 4), ("drop", "missing", 4), ("copy", "inserted", 5)]
    )
    def test_moved_lines(self, bundle: tuple[Path, str], edit: str, kind: str, seq: int) -> None:
        """Entry lines swapped, dropped or duplicated are found and classified."""
        path = bundle[0]
        lines = _lines(path)
        index = next(i for i, line in enumerate(lines) if b'"seq":4,' in line)
        if edit == "swap":
            lines[index], lines[index + 1] = lines[index + 1], lines[index]
        elif edit == "drop":
            del lines[index]
        else:
            lines.insert(index + 1, lines[index])
        path.write_bytes(b"".join(lines))
        report = verify_source(Bundle.open(path))
        assert report.fault is not None
        assert report.fault.kind.value == kind and report.fault.seq == seq

    def test_bundle_of_another_ledger(self, bundle: tuple[Path, str], tmp_path: Path) -> None:
        """Checked against this ledger's key, another ledger's bundle fails on its first checkpoint."""
        other_path = tmp_path / "other.sqlite"
        with build_ledger(other_path, 3, key=OTHER_KEY) as other, other.read() as reader:
            foreign = export_bundle(reader, tmp_path / "foreign.jsonl")
        report = verify_source(Bundle.open(foreign.path), trusted_keys=[KEY.verifier()])
        assert report.fault is not None and report.fault.kind is FaultKind.BAD_SIGNATURE
        assert Bundle.open(foreign.path).origin != bundle[1]

    def test_header_counts_must_match(self, bundle: tuple[Path, str]) -> None:
        """A header announcing a different number of checkpoints is refused."""
        path = bundle[0]
        lines = _lines(path)
        header = json.loads(lines[0])
        header["counts"]["checkpoints"] += 1
        lines[0] = json.dumps(header).encode() + b"\n"
        path.write_bytes(b"".join(lines))
        with pytest.raises(VerificationError, match="announces"):
            Bundle.open(path)


def test_ledger_unchanged_by_export(tmp_path: Path) -> None:
    """Exporting reads only: the ledger verifies the same afterwards and still accepts appends."""
    path = tmp_path / "l.sqlite"
    with build_ledger(path, 3) as ledger, ledger.read() as reader:
        before = verify_source(reader).root
        export_bundle(reader, tmp_path / "b.jsonl")
    with Ledger.open(path) as again, again.read() as reader:
        assert verify_source(reader).root == before
