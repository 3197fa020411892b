"""The test suite itself: it runs from a clone alone, and finds the PostgreSQL server on its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import LOCAL_POSTGRES, POSTGRES_ENV, REALDATA, ROOT, find_postgres


class TestRealFiles:
    """The real files the tests read live in the repository, each with its source and licence."""

    def test_inside_the_repository(self) -> None:
        """No test reads a folder a clone does not have (the shared real-data folder beside it)."""
        assert REALDATA.resolve().is_relative_to(ROOT)
        for path in (ROOT / "tests").rglob("*.py"):
            if path == Path(__file__):
                continue
            assert "shared/realdata" not in path.read_text(encoding="utf-8").replace('" / "', "/"), path

    def test_every_file_has_a_source_and_licence(self) -> None:
        """Each data file is named in tests/data/README.md, and each licence it cites is there."""
        readme = (REALDATA / "README.md").read_text(encoding="utf-8")
        rows = [line for line in readme.splitlines() if line.startswith("| `")]
        named = {name for row in rows for name in re.findall(r"`([^`]+)`", row.split("|")[1])}
        for licence in {name for row in rows for name in re.findall(r"`([\w./-]+/LICENSE[\w.]+)`", row)}:
            assert (REALDATA / licence).is_file(), licence
        for path in REALDATA.rglob("*"):
            relative = path.relative_to(REALDATA).as_posix()
            if path.is_dir() or path.name == "README.md" or path.name.startswith("LICENSE"):
                continue
            assert any(relative == n or (("*" in n) and path.match(n)) for n in named), relative


class TestPostgres:
    """The suite finds the local server without GOVERNANCE_TEST_POSTGRES_URL."""

    def test_found_without_the_variable(self, postgres_url: str) -> None:
        """With the variable unset the local server is used when it answers (it answers wherever this runs)."""
        url, how = find_postgres({})
        assert (url, how) == (LOCAL_POSTGRES, "the local server")

    def test_a_silent_server_is_a_reason(self) -> None:
        """A URL that does not answer: the variable's is an error; the local default would be a skip reason."""
        with pytest.raises(RuntimeError, match=f"{POSTGRES_ENV}=.*does not answer"):
            find_postgres({POSTGRES_ENV: "postgresql+psycopg://postgres@127.0.0.1:1/test"})
