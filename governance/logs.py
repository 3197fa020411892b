"""Structured logging: one event per decision (and per ledger append), silent unless asked for.

The library never prints on its own. :func:`configure_logging` turns events on, as JSON lines
(``fmt="json"``) or readable console lines, on a stream of the caller's choice (the CLI uses stderr
with ``--log-json`` or ``GOVERNANCE_LOG=json``). While logging is off, each event call is a no-op
chosen when logging is configured, so the hot path pays nothing.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

__all__ = ["configure_logging", "get_logger", "logging_enabled"]


class _StreamLogger:
    """The end of the processor chain: writes each rendered event as a line."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream

    def msg(self, message: str) -> None:
        if self.stream is not None:
            self.stream.write(message + "\n")
            self.stream.flush()

    info = debug = warning = error = critical = msg


class _Silent:
    """The logger handed out while logging is off: every call is a no-op, and structlog is not imported."""

    def _drop(self, *args: Any, **kwargs: Any) -> None:
        return None

    info = debug = warning = error = critical = exception = msg = _drop

    def bind(self, **kwargs: Any) -> _Silent:
        return self


_SILENT_LOGGER = _Silent()
_state: dict[str, Any] = {}
_loggers: dict[str, Any] = {}


def configure_logging(
    fmt: Literal["json", "console", "off"] = "json",
    *,
    stream: TextIO | None = None,
    level: int = logging.INFO,
) -> None:
    """Turn structured events on (``json`` or ``console``) or off, writing to ``stream`` (stderr)."""
    _loggers.clear()
    if fmt == "off":
        _state.clear()
        return
    import structlog  # imported only when events are switched on: its console renderer pulls in rich

    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=True)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    _state["processors"] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        renderer,
    ]
    _state["wrapper"] = structlog.make_filtering_bound_logger(level)
    _state["sink"] = _StreamLogger(stream if stream is not None else sys.stderr)


def logging_enabled() -> bool:
    """True while events are switched on: callers skip building an event's fields otherwise."""
    return bool(_state)


def get_logger(name: str) -> Any:
    """Return a structlog logger for ``name`` under the current configuration (silent by default)."""
    logger = _loggers.get(name)
    if logger is None:
        if not _state:
            logger = _SILENT_LOGGER
        else:
            wrapper: Any = _state["wrapper"]
            logger = wrapper(_state["sink"], _state["processors"], {"logger": name})
        _loggers[name] = logger
    return logger
