"""What several commands share: output formats, the evaluator choice, and the common options.

Command modules import these from here, never from one another, so each command module depends only on
``_app``, ``_options`` and ``render``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import typer

__all__ = ["EvaluatorName", "OutputFormat", "TableFormat", "as_of_option", "ledger_option"]


class OutputFormat(StrEnum):
    """How decisions and reports are printed."""

    TABLE = "table"
    JSON = "json"


class TableFormat(StrEnum):
    """How comparison results are printed."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class EvaluatorName(StrEnum):
    """Which evaluator decides."""

    DURABLE_RULES = "durable_rules"
    PYTHON = "python"


def as_of_option(help: str = "Decide as of this date (YYYY-MM-DD); default today.") -> Any:
    """``--as-of DATE``."""
    return typer.Option(None, "--as-of", help=help)


def ledger_option(help: str = "Ledger: SQLite file or postgresql:// URL (default $GOVERNANCE_LEDGER).") -> Any:
    """``--ledger URL``."""
    return typer.Option(None, "--ledger", help=help)
