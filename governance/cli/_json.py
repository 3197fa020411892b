"""The JSON the command line prints: ``json.dumps(..., indent=2, sort_keys=True, ensure_ascii=False)``, fast.

The standard library writes indented JSON with its pure-Python encoder (the C encoder does not indent):
about a millisecond for a decision document. :func:`indented_json` gives the same text from orjson,
which indents and sorts keys in C. The two differ only where orjson writes a number differently (a
float below 1e-4 in magnitude: orjson ``0.00001``, Python ``1e-05``; NaN and the infinities, which
orjson writes as ``null``). The standard library's C encoder (which does not indent) first checks
that the value is finite JSON; when orjson's text holds ``0.0000``, the small floats are handed to
orjson as fragments of Python's own text (also when it holds a negative exponent: ``1e-7`` for
Python's ``1e-07``). Anything else (NaN, a key that is not a string, an integer
beyond 64 bits, a lone surrogate, a type the standard library refuses) falls back to the standard
library, so the text is always the standard library's. A property test checks this over generated
documents.
"""

from __future__ import annotations

import json
import math
import re
from typing import IO, Any

import orjson

__all__ = ["JsonArrayWriter", "indented_json"]

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
_NEGATIVE_EXPONENT = re.compile(rb"[0-9]e-[0-9]")
_check = json.JSONEncoder(allow_nan=False, sort_keys=True).encode
_SMALL = 1e-4
_NON_FINITE = {math.inf: b"Infinity", -math.inf: b"-Infinity"}


class _FallbackError(Exception):
    """The value holds something orjson would write differently from the standard library."""


def _differs(number: float) -> bool:
    """Whether orjson writes this float differently: below 1e-4 in magnitude (not zero), NaN or infinite."""
    return number != 0.0 and not (_SMALL <= abs(number) < math.inf)


def _needs_fragments(value: Any) -> bool:
    """Whether ``value`` holds a float orjson writes differently; raises _FallbackError for a non-JSON type."""
    kind = type(value)
    if kind is dict:
        found = False
        for key, item in value.items():
            if type(key) is not str:
                raise _FallbackError
            if _needs_fragments(item):
                found = True
        return found
    if kind is list:
        found = False
        for item in value:
            if _needs_fragments(item):
                found = True
        return found
    if kind is float:
        return _differs(value)
    if kind is str or kind is int or kind is bool or value is None:
        return False
    raise _FallbackError


def _with_fragments(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {key: _with_fragments(item) for key, item in value.items()}
    if kind is list:
        return [_with_fragments(item) for item in value]
    if kind is float and _differs(value):
        if math.isnan(value):
            return orjson.Fragment(b"NaN")
        return orjson.Fragment(_NON_FINITE.get(value) or repr(value).encode())
    return value


def indented_json(document: Any) -> str:
    """Exactly ``json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)``."""
    try:
        # The C encoder (no indent) refuses NaN and the infinities, and any type the standard library
        # cannot write; orjson then differs only for small floats, which it writes as 0.0000... or 1e-7
        _check(document)
        text = orjson.dumps(document, option=_OPTIONS)
        if b"0.0000" in text or (b"e-" in text and _NEGATIVE_EXPONENT.search(text)):
            text = orjson.dumps(_with_fragments(document) if _needs_fragments(document) else document, option=_OPTIONS)
        return text.decode("utf-8")
    except (_FallbackError, ValueError, TypeError, RecursionError):  # orjson.JSONEncodeError is a TypeError
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)


class JsonArrayWriter:
    """Write a JSON array one item at a time, as :func:`indented_json` writes the whole list, then a newline.

    Use as a context manager: the closing bracket is written when the block ends without an error
    (an error leaves the output visibly incomplete).
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._count = 0

    def write(self, item: Any) -> None:
        """Write one item of the array."""
        text = indented_json(item).replace("\n", "\n  ")  # a JSON string holds no raw newline
        self._stream.write(("[\n  " if self._count == 0 else ",\n  ") + text)
        self._count += 1

    def __enter__(self) -> JsonArrayWriter:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            self._stream.write("\n]\n" if self._count else "[]\n")
