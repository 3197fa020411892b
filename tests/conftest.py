"""Shared fixtures: paths to shipped data and real files, the PostgreSQL server, and a quiet logger."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from governance.logs import configure_logging

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT / "tests" / "data"
"""Real files made by other people's tools, kept in the repository with their sources and licences."""
EXAMPLES = ROOT / "examples"
AS_OF = dt.date(2026, 11, 28)
"""The fixed decision date the tests use, so that results never depend on the day they run."""

settings.register_profile(
    "ci", max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True)
def _quiet_logs() -> Iterator[None]:
    """Every test starts and ends with structured logging off."""
    configure_logging("off")
    yield
    configure_logging("off")


@pytest.fixture(name="realdata")
def _realdata() -> Path:
    """The real files in tests/data (see its README for each file's source and licence)."""
    return REALDATA


POSTGRES_ENV = "GOVERNANCE_TEST_POSTGRES_URL"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
"""The server the README's prerequisites describe: local, trust authentication, database ``test``."""


def _answers(url: str) -> str | None:
    """None when a PostgreSQL server at ``url`` accepts a connection, else why not (one line)."""
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(dsn, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        return " ".join(str(exc).split()) or type(exc).__name__
    return None


def find_postgres(environ: Mapping[str, str]) -> tuple[str | None, str]:
    """The PostgreSQL URL the tests use and how it was found, or None and why there is none.

    GOVERNANCE_TEST_POSTGRES_URL when set (it must answer), else :data:`LOCAL_POSTGRES` when a
    server answers there.
    """
    given = environ.get(POSTGRES_ENV)
    if given:
        problem = _answers(given)
        if problem is not None:
            raise RuntimeError(f"{POSTGRES_ENV}={given} does not answer: {problem}")
        return given, f"from {POSTGRES_ENV}"
    problem = _answers(LOCAL_POSTGRES)
    if problem is not None:
        return None, f"no PostgreSQL server answers at {LOCAL_POSTGRES} ({problem}); set {POSTGRES_ENV} to one"
    return LOCAL_POSTGRES, "the local server"


@pytest.fixture(scope="session", name="postgres_url")
def _postgres_url() -> str:
    """The PostgreSQL server for the tests (see :func:`find_postgres`); they skip, saying why, without one.

    A URL given in the variable that does not answer fails the run instead: it was asked for.
    """
    try:
        url, how = find_postgres(os.environ)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    if url is None:
        pytest.skip(how)
    return url
