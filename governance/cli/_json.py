"""The JSON the command line prints: ``json.dumps(..., indent=2, sort_keys=True, ensure_ascii=False)``, fast.

The standard library writes indented JSON with its pure-Python encoder (the C encoder does not indent):
about a millisecond for a decision document. :func:`indented_json` gives the same text from orjson,
which indents and sorts keys in C. The two differ only where orjson writes a number differently (a
float below 1e-4 in magnitude: orjson ``0.00001``, Python ``1e-05``; NaN and the infinities, which
orjson writes as ``null``). The standard library's C encoder (which does not indent) first checks
that the value is finite JSON, unless the caller vouches for it (decision documents); the lines of
orjson's text whose value is a small float (``0.00001``, ``1e-7``) are rewritten with Python's text
for the same float (found with ``bytes.find``; a regular expression over each line cost more than
orjson itself). Anything else (NaN, a key that is not a string, an integer beyond 64 bits, a
lone surrogate, a type the standard library refuses) falls back to the standard library, so the
text is always the standard library's. A property test checks this over generated documents.
"""

from __future__ import annotations

import json
import re
from typing import IO, Any

import orjson

__all__ = ["JsonArrayWriter", "indented_json"]

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
_check = json.JSONEncoder(allow_nan=False, check_circular=False, ensure_ascii=False).encode
_SMALL_FLOAT = re.compile(rb"-?(?:0\.0000[0-9]+|[0-9](?:\.[0-9]+)?e-[0-9]+),?")
"""orjson's text for a float below 1e-4 in magnitude (``0.00001``, ``1e-7``), and the comma after it."""


def _python_floats(text: bytes) -> bytes:
    """Rewrite every value of orjson's indented text that is a small float as Python writes it.

    A value is the rest of its line after the last space (``"key": 0.00001,``, or an array item), so
    a number inside a string (which ends with a quote on the same line) is never taken for one.
    """
    spans: dict[int, int] = {}
    for marker in (b"0.0000", b"e-"):
        at = text.find(marker)
        while at != -1:
            start = max(text.rfind(b" ", 0, at), text.rfind(b"\n", 0, at)) + 1
            end = text.find(b"\n", at)
            end = len(text) if end == -1 else end
            if _SMALL_FLOAT.fullmatch(text, start, end):
                spans[start] = end
            at = text.find(marker, at + 1)
    if not spans:
        return text
    parts: list[bytes] = []
    last = 0
    for start in sorted(spans):
        end = spans[start]
        comma = text.endswith(b",", start, end)
        number = text[start : end - 1 if comma else end]
        parts += [text[last:start], repr(float(number)).encode(), b"," if comma else b""]
        last = end
    parts.append(text[last:])
    return b"".join(parts)


def indented_json(document: Any, *, finite: bool = False) -> str:
    """Exactly ``json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)``.

    ``finite``: the caller knows that ``document`` holds only JSON values and no NaN or infinity (a
    decision document, which has a canonical JSON form): the standard library's check is skipped.
    """
    try:
        if not finite:
            _check(document)  # refuses NaN, the infinities and what the standard library cannot write
        text = orjson.dumps(document, option=_OPTIONS)
        text = _python_floats(text)
        return text.decode("utf-8")
    except (ValueError, TypeError, RecursionError):  # orjson.JSONEncodeError is a TypeError
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)


class JsonArrayWriter:
    """Write a JSON array one item at a time, as :func:`indented_json` writes the whole list, then a newline.

    Use as a context manager: the closing bracket is written when the block ends without an error
    (an error leaves the output visibly incomplete).
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._count = 0

    def write(self, item: Any, *, finite: bool = False) -> None:
        """Write one item of the array (``finite`` as for :func:`indented_json`)."""
        text = indented_json(item, finite=finite).replace("\n", "\n  ")  # a JSON string holds no raw newline
        self._stream.write(("[\n  " if self._count == 0 else ",\n  ") + text)
        self._count += 1

    def __enter__(self) -> JsonArrayWriter:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            self._stream.write("\n]\n" if self._count else "[]\n")
