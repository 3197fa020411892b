"""Shared fixtures: paths to shipped data and real files, the PostgreSQL URL, and a quiet logger."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from governance.logs import configure_logging

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT.parent / "shared" / "realdata"
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
    """The shared real-data folder; tests that need it skip with the reason when it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real-data folder {REALDATA} is absent (it is laid beside the clone in CI)")
    return REALDATA


@pytest.fixture(name="postgres_url")
def _postgres_url() -> str:
    """The PostgreSQL URL from GOVERNANCE_TEST_POSTGRES_URL; tests skip when it is unset."""
    url = os.environ.get("GOVERNANCE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("GOVERNANCE_TEST_POSTGRES_URL is unset; .ci/run sets it to the local PostgreSQL server")
    return url
