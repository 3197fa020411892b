"""Writing outputs: never over something unasked, never through a link or onto a device, never half."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from governance import InputError, OutputError
from governance._files import open_output, write_output
from governance._text import spreadsheet_row, spreadsheet_safe
from governance.compare.population_io import load_population
from tests.helpers import ROOT, invoke_main

POPULATION = "name,training_flop,openness\nA,1e26,open_weights\nB,1e20,api\n"


def _population(tmp_path: Path, text: str = POPULATION) -> Path:
    path = tmp_path / "p.csv"
    path.write_text(text, encoding="utf-8")
    return path


class TestTargets:
    """What is at the name decides whether the output may go there."""

    def test_existing_file_needs_force(self, tmp_path: Path) -> None:
        """An existing file is kept unless --force is given."""
        target = tmp_path / "out.txt"
        target.write_text("precious")
        with pytest.raises(InputError, match="already there; pass --force"):
            write_output(target, "new")
        assert target.read_text() == "precious"
        write_output(target, "new", force=True)
        assert target.read_text() == "new"

    def test_symlink_refused_even_with_force(self, tmp_path: Path) -> None:
        """A link is never written through or replaced: the ledger it points at stays whole."""
        ledger = tmp_path / "governance-ledger.sqlite"
        ledger.write_bytes(b"SQLite format 3\x00")
        link = tmp_path / "report.html"
        link.symlink_to(ledger)
        for force in (False, True):
            with pytest.raises(InputError, match="symbolic link"):
                write_output(link, "<html>", force=force)
        assert ledger.read_bytes() == b"SQLite format 3\x00"
        assert link.is_symlink()

    def test_dangling_symlink_refused(self, tmp_path: Path) -> None:
        """A link to nothing yet is refused too (it would create a file elsewhere)."""
        link = tmp_path / "out.txt"
        link.symlink_to(tmp_path / "elsewhere.txt")
        with pytest.raises(InputError, match="symbolic link"):
            write_output(link, "x", force=True)
        assert not (tmp_path / "elsewhere.txt").exists()

    def test_device_refused(self) -> None:
        """A device is not replaced by a file, even with --force."""
        with pytest.raises(InputError, match="not a regular file"):
            write_output(Path(os.devnull), "x", force=True)

    def test_folder_refused(self, tmp_path: Path) -> None:
        """A folder is named as such."""
        with pytest.raises(InputError, match="is a folder"):
            write_output(tmp_path, "x", force=True)

    def test_failed_write_leaves_nothing(self, tmp_path: Path) -> None:
        """An error while writing leaves no file under the name, and no temporary file beside it."""
        target = tmp_path / "out.bin"

        def interrupted() -> None:
            with open_output(target) as stream:
                stream.write(b"half")
                raise RuntimeError

        with pytest.raises(RuntimeError):
            interrupted()
        assert list(tmp_path.iterdir()) == []

    @pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
    def test_full_disk_is_an_output_error(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """A write that fails for lack of space raises OutputError (exit code 8) naming the file."""

        def full(*_: object) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "fsync", full)
        with pytest.raises(OutputError, match=r"out\.txt: cannot be written \(No space left on device\)"):
            write_output(tmp_path / "out.txt", "x")
        assert OutputError.exit_code == 8
        assert list(tmp_path.iterdir()) == []


class TestCommands:
    """Every command that writes a file behaves alike."""

    def test_compare_out_refuses_the_ledger(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`compare --out governance-ledger.sqlite` no longer replaces a ledger with HTML."""
        ledger = tmp_path / "governance-ledger.sqlite"
        ledger.write_bytes(b"SQLite format 3\x00ledger")
        args = ("compare", "--population", _population(tmp_path), "--policy", "eu-ai-act", "--out", ledger)
        result = invoke_main(*args, capsys=capsys)
        assert result.returncode == 2
        assert "already there; pass --force" in result.stderr
        assert ledger.read_bytes() == b"SQLite format 3\x00ledger"

    def test_compare_report_to_stdout(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`--out -` streams the report alone, so that it can be piped."""
        args = ("compare", "--population", _population(tmp_path), "--policy", "eu-ai-act", "--out", "-")
        result = invoke_main(*args, capsys=capsys)
        assert result.returncode == 0, result.stderr
        assert result.stdout.lstrip().lower().startswith("<!doctype html>")

    def test_generate_needs_force(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`population generate --out` keeps an existing file unless --force is given."""
        out = tmp_path / "grid.csv"
        out.write_text("mine\n")
        args = ("population", "generate", "--grid", "training_flop=1e24..1e26:3", "--out", out)
        refused = invoke_main(*args, capsys=capsys)
        assert refused.returncode == 2
        assert out.read_text() == "mine\n"
        forced = invoke_main(*args, "--force", capsys=capsys)
        assert forced.returncode == 0, forced.stderr
        assert len(load_population(out)) == 3


class TestStreams:
    """Standard output: a closed pipe is the normal end; a full one is a clear error with exit code 8."""

    def test_closed_pipe(self) -> None:
        """`governance policy list | head -0`: no traceback, exit 0."""
        process = subprocess.Popen(
            [sys.executable, "-m", "governance", "policy", "list"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # the reader goes away before the first line
        error = process.stderr.read().decode()
        process.stderr.close()
        assert process.wait(timeout=120) == 0, error
        assert error == ""

    @pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
    def test_full_device(self) -> None:
        """`governance policy list > /dev/full`: a message and exit 8."""
        with Path("/dev/full").open("w") as full:
            result = subprocess.run(
                [sys.executable, "-m", "governance", "policy", "list", "--format", "json"],
                cwd=ROOT,
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                check=False,
                timeout=120,
            )
        assert result.returncode == 8
        assert "No space left on device" in result.stderr
        assert "Traceback" not in result.stderr


class TestSpreadsheets:
    """CSV cells a spreadsheet would run as formulas are neutralised (OWASP CSV injection)."""

    @pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"])
    def test_formulas_get_an_apostrophe(self, cell: str) -> None:
        """Every trigger character is neutralised."""
        assert spreadsheet_safe(cell) == "'" + cell

    @pytest.mark.parametrize("cell", ["-1.5", "+3", "-inf", "Model", "", "a=b"])
    def test_plain_cells_unchanged(self, cell: str) -> None:
        """Numbers (even negative) and ordinary text are left alone."""
        assert spreadsheet_safe(cell) == cell
        assert spreadsheet_row([cell, 1.5]) == [cell, 1.5]

    def test_compare_csv(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A population name that is a formula comes out of `compare --format csv` as text."""
        path = _population(tmp_path, "name,training_flop,openness\n\"=cmd|' /C calc'!A0\",1e26,api\n")
        result = invoke_main("compare", "--population", path, "--policy", "eu-ai-act", "--format", "csv", capsys=capsys)
        assert result.returncode == 0, result.stderr
        rows = list(csv.reader(io.StringIO(result.stdout)))
        assert rows[1][0] == "'=cmd|' /C calc'!A0"
