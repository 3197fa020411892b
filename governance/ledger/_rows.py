"""Columns read back from a ledger database, checked for the type governance wrote.

A row changed behind governance's back can hold anything SQLite accepts: text where bytes were
written, a real number as a sequence number, NULL in a column the schema declares NOT NULL (after
the table was rebuilt), bytes that are not UTF-8. Readers take every column through these
functions, so that such a row ends in a :class:`~governance.exceptions.DamagedRowError` naming the
ledger, the row and the column (exit code 6), never in a traceback.
"""

from __future__ import annotations

import json
from typing import Any

from governance.exceptions import DamagedRowError

__all__ = ["as_blob", "as_int", "as_text", "describe", "parse_document", "shown"]


def describe(value: object) -> str:
    """What a stored value is, in SQL's words, for messages (never the value itself when it is long)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return f"the integer {int(value)}"
    if isinstance(value, float):
        return f"the real number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return f"the text {shown!r}"
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)  # SQLite hands text over undecoded here: say what it reads as
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return f"{len(data)} bytes"
        return describe(text) if text.isprintable() and len(data) <= 40 else f"{len(data)} bytes"
    return f"a {type(value).__name__}"


def _refuse(where: str, column: str, value: object, expected: str) -> DamagedRowError:
    return DamagedRowError(f"{where}: column {column} holds {describe(value)}, not {expected}")


def as_int(value: object, where: str, column: str) -> int:
    """An INTEGER column's value (a boolean, a real number, text or NULL is refused)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _refuse(where, column, value, "an integer")


def as_blob(value: object, where: str, column: str, *, text: bool = False) -> bytes:
    """A BLOB column's bytes (a number or NULL is refused: ``bytes(42)`` would be 42 zero bytes).

    With ``text``, a TEXT value stands for its UTF-8 bytes: a document column rewritten as TEXT
    holds the same bytes, which is what verification hashes too. Hashes and signatures must be BLOBs.
    """
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if text and isinstance(value, str):
        return value.encode("utf-8", errors="surrogateescape")
    raise _refuse(where, column, value, "bytes (a BLOB)")


def shown(value: object) -> str:
    """A key column's value for a message: an integer as it is, anything else as :func:`describe` says."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) or (isinstance(value, str) and len(value) <= 80):
        return repr(value)
    return describe(value).removeprefix("the text ")


def as_text(value: object, where: str, column: str) -> str:
    """A TEXT column's string (raw bytes must be UTF-8; a number or NULL is refused)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise DamagedRowError(f"{where}: column {column} holds {len(data)} bytes that are not UTF-8 text") from None
    raise _refuse(where, column, value, "text")


def parse_document(data: bytes, where: str, column: str) -> dict[str, Any]:
    """A stored JSON document (a UTF-8 canonical JSON object), parsed; anything else is refused with its place."""
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise DamagedRowError(f"{where}: column {column} is not UTF-8") from None
    except ValueError as exc:
        raise DamagedRowError(f"{where}: column {column} is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise DamagedRowError(f"{where}: column {column} is JSON but not an object")
    return document
