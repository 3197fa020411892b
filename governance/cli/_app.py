"""The Typer application and the helpers every command shares."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import Any

import typer
from rich.console import Console

from governance.exceptions import InputError
from governance.logs import configure_logging

__all__ = ["app", "console", "console_error", "console_note", "parse_date", "print_json"]

app = typer.Typer(
    name="governance",
    help="Decide how an AI model may be released (open, staged or restricted) under versioned threshold policies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Piped output (scripts, CI logs) gets a fixed, generous width instead of rich's 80 columns.
console = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 140)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def console_error(message: str) -> None:
    """Print an error message on stderr."""
    _err.print(f"error: {message}", markup=False)


def console_note(message: str) -> None:
    """Print a note on stderr (keeps stdout clean for JSON output)."""
    _err.print(message, markup=False)


def parse_date(value: str | None, option: str = "--as-of") -> dt.date | None:
    """Parse an ISO date option, or raise InputError naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{option}: {value!r} is not a date; expected YYYY-MM-DD") from exc


def print_json(document: Any) -> None:
    """Write a JSON document to stdout (sorted keys, two-space indent, UTF-8)."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


@app.callback()
def _root(
    log_json: bool = typer.Option(False, "--log-json", help="Write structured JSON log events to stderr."),
) -> None:
    """Decide how an AI model may be released under versioned threshold policies."""
    if log_json or os.environ.get("GOVERNANCE_LOG") == "json":
        configure_logging("json", stream=sys.stderr)
