"""What every command shares: the version, input limits, and text from files made safe for a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance import __version__
from tests.helpers import invoke_main

HIDDEN = ("\x1b", "\u202e", "\x9b", "\x07")


class TestVersion:
    """Auditors are told to install the engine version a decision names."""

    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        """``governance --version`` prints the engine version and exits 0."""
        result = invoke_main("--version", capsys=capsys)
        assert result.returncode == 0
        assert result.stdout == f"governance {__version__}\n"


class TestTerminalSafety:
    """A name holding escape sequences or bidirectional overrides never reaches the terminal as such."""

    def test_compare_table(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Population names (which no schema checks) are shown with the hidden characters replaced."""
        path = tmp_path / "p.csv"
        path.write_text(
            'name,training_flop,openness\n"Evil\x1b[2J\u202e\x9b\x07x",1e26,open_weights\n', encoding="utf-8"
        )
        result = invoke_main("compare", "--population", path, "--policy", "eu-ai-act", capsys=capsys)
        assert result.returncode == 0, result.stderr
        assert "Evil\ufffd[2J\ufffd\ufffd\ufffdx" in result.stdout
        assert not any(char in result.stdout + result.stderr for char in HIDDEN)

    def test_error_messages(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An error quoting a file's name or content is cleaned too."""
        path = tmp_path / "c\x1b[31m.yaml"
        result = invoke_main("decide", path, "--policy", "eu-ai-act", capsys=capsys)
        assert result.returncode == 2
        assert "no such file" in result.stderr
        assert "\x1b" not in result.stderr
