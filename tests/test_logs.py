"""Structured logging: silent by default, one JSON event per decision when turned on."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from governance import decide
from governance.logs import configure_logging
from tests.helpers import COMPUTE_RULES, make_candidate, make_policy

POLICY = make_policy(COMPUTE_RULES, id="log-tests")


class TestLogging:
    """Decision events."""

    def test_silent_by_default(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Nothing is printed unless logging was configured."""
        decide(make_candidate(2e25), POLICY, as_of=dt.date(2026, 1, 1))
        captured = capsys.readouterr()
        assert (captured.out, captured.err) == ("", "")

    def test_one_json_event_per_decision(self) -> None:
        """Each decision writes exactly one JSON line naming candidate, policy, tier and rules."""
        stream = io.StringIO()
        configure_logging("json", stream=stream)
        decide(make_candidate(2e25, capabilities={"bio": 0.1}), POLICY, as_of=dt.date(2026, 1, 1))
        decide(make_candidate(1e20, capabilities={"bio": 0.1}), POLICY, as_of=dt.date(2026, 1, 1))
        events = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert [e["event"] for e in events] == ["decision", "decision"]
        assert events[0]["tier"] == "staged"
        assert events[0]["policy"] == "log-tests@1.0"
        assert events[0]["rules"] == ["over-1e25"]
        assert events[1]["tier"] == "open"
        assert events[0]["level"] == "info"
        assert "timestamp" in events[0]

    def test_turned_off_again(self) -> None:
        """configure_logging('off') silences events again."""
        stream = io.StringIO()
        configure_logging("json", stream=stream)
        configure_logging("off")
        decide(make_candidate(2e25), POLICY, as_of=dt.date(2026, 1, 1))
        assert stream.getvalue() == ""
