"""Text that came from a file: refused at validation when it hides characters, cleaned before display.

A name holding an escape sequence can repaint a terminal (hide a tier, rewrite a line); a
bidirectional override can make ``restricted`` read as something else. Identifiers (model and
developer names, versions, benchmarks, jurisdictions...) refuse them at validation; anything else
that reaches the terminal from a file has them replaced by U+FFFD first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["display", "refuse_hidden", "refuse_hidden_in_text", "spreadsheet_row", "spreadsheet_safe"]

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_LINES = "\u2028\u2029"
_HIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}{_LINES}]")
"""Control characters (C0, DEL, C1), bidirectional marks, embeddings, overrides and isolates, line separators."""
_HIDDEN_IN_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_LINES}]")
"""The same, except tab and line feed, which free text may hold."""


def _refuse(pattern: re.Pattern[str], value: str) -> str:
    match = pattern.search(value)
    if match is not None:
        raise ValueError(
            f"contains the control or bidirectional character U+{ord(match.group()):04X} "
            f"at position {match.start() + 1}; remove it"
        )
    return value


def refuse_hidden(value: str) -> str:
    """Return ``value``, or raise ``ValueError`` if it holds a control or bidirectional character."""
    return _refuse(_HIDDEN, value)


def refuse_hidden_in_text(value: str) -> str:
    """Like :func:`refuse_hidden`, but free text may hold tabs and line feeds."""
    return _refuse(_HIDDEN_IN_TEXT, value)


def display(text: str) -> str:
    """``text`` with every control or bidirectional character except tab and line feed replaced by U+FFFD."""
    return _HIDDEN_IN_TEXT.sub("\ufffd", text)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell that a spreadsheet shows as text instead of running it as a formula.

    Following OWASP's CSV-injection guidance, a cell that starts with ``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return gets a leading apostrophe, unless it is a plain number (``-1.5``).
    """
    if cell.startswith(_FORMULA_STARTS) and not _is_number(cell):
        return "'" + cell
    return cell


def spreadsheet_row(cells: Iterable[object]) -> list[object]:
    """:func:`spreadsheet_safe` applied to every text cell of a row."""
    return [spreadsheet_safe(cell) if isinstance(cell, str) and cell[:1] in _FORMULA_STARTS else cell for cell in cells]
