"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme) and the digests built on it.

Every document ``governance`` hashes (candidates, policies, decisions, ledger entries) is first
written in this one form, so that the same content always gives the same bytes on any machine:

* object members sorted by their keys' UTF-16 code units, no insignificant whitespace;
* strings as ECMAScript's ``JSON.stringify`` writes them (UTF-8, minimal escapes);
* numbers as ECMAScript's ``Number.prototype.toString`` writes them (shortest round-trip digits,
  ``1e+25`` but ``0.00001`` and ``100``); NaN and infinities are refused.

``CANONICAL_FORM`` names the scheme; ledger entries record it beside each hash.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

__all__ = ["CANONICAL_FORM", "canonical_bytes", "canonical_digest", "es6_number", "sha256_hex"]

CANONICAL_FORM = "jcs-rfc8785"

_encode_string = json.JSONEncoder(ensure_ascii=False).encode
_fast_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode

# Number tokens that Python writes differently from ECMAScript: integral floats ("100.0"), negative
# exponents ("1e-07"), exponents 16 to 20 (ECMAScript writes those as integers), and integers too
# long to be exact doubles. A match inside a string is a false alarm that only costs the slow path;
# no such number token can escape these patterns. Each pattern starts with a literal, which keeps
# the search fast; one alternation would not.
_SUSPECTS = tuple(re.compile(pattern) for pattern in (r"\.0[,\]}]", r"e-[0-9][0-9]", r"e\+(?:1[6-9]|20)[,\]}]"))
# A whole integer token of 16 digits or more (one that may not be an exact double) follows ':', ','
# or '['; three literal-led patterns search far faster than one pattern that starts with a class.
_LONG_INTEGERS = tuple(re.compile(pattern) for pattern in (r":-?[0-9]{16}", r",-?[0-9]{16}", r"\[-?[0-9]{16}"))
# Key order by code point equals order by UTF-16 code unit unless a key holds an astral character.
_ASTRAL = "\U00010000"
_EXACT = 2.0**53


# orjson writes a float as Python's shortest round-trip digits, with an exponent written ``e+25`` /
# ``e-7`` from 1e16 up and below 1e-5. ECMAScript differs on integral floats (``100.0``), on the
# exponents 16 to 20 (integers there), on the exponents -1 to -6 (decimals there) and on integers past
# 2^53 (doubles there); every such token matches one of these patterns (tested against an independent
# RFC 8785 implementation). A match inside a string is a false alarm that only costs the rewrite.
_ORJSON_PATTERNS = (
    r"\.0[,\]}]",
    r"e-[0-6][,\]}]",
    r"e\+(?:1[6-9]|20)[,\]}]",
    *(_LONG_INTEGER_PATTERNS := (r":-?[0-9]{16}", r",-?[0-9]{16}", r"\[-?[0-9]{16}")),
)
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_SIXTEEN_DIGITS = b"0" * 16
_ORJSON_SHORT = tuple(re.compile(pattern) for pattern in (rb"\.0[,\]}]", rb"e-[0-9]", rb"e\+(?:1|20)"))
_SEPARATORS = frozenset(b":,[")
_MINUS, _ZERO = ord("-"), ord("0")
_ORJSON_TOKENS = tuple((re.compile(pattern), pattern in _LONG_INTEGER_PATTERNS) for pattern in _ORJSON_PATTERNS)
"""The same patterns over text, each with whether its match starts at the separator before the token."""
_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)
"""Sorted keys; anything but plain JSON types (subclasses, dates, dataclasses) goes to the C encoder path."""


def _orjson_suspect(out: bytes) -> bool:
    """True when orjson's ``out`` may hold a number token that ECMAScript writes differently.

    A superset of :data:`_ORJSON_PATTERNS` found with substring searches, far cheaper than the
    patterns: an integral float, any negative exponent, an exponent from 10 to 20, an integer part of
    16 digits or more.
    """
    if any(pattern.search(out) for pattern in _ORJSON_SHORT):
        return True
    digits = out.translate(_DIGITS_AS_ZERO)
    at = digits.find(_SIXTEEN_DIGITS)
    while at >= 0:
        # A whole number token starts after a separator (or a minus sign after one); 16 digits after a
        # decimal point are only a long fraction.
        sign = 1 if at and out[at - 1] == _MINUS else 0
        if at - sign == 0 or out[at - sign - 1] in _SEPARATORS:
            return True
        end = at + 16
        while end < len(digits) and digits[end] == _ZERO:
            end += 1
        at = digits.find(_SIXTEEN_DIGITS, end)
    return False


def _orjson_canonical(document: Any) -> bytes | None:
    """The canonical bytes by orjson, or None when this path cannot vouch for them.

    orjson sorts keys by their UTF-8 bytes, which is the UTF-16 order unless a key holds an astral
    character (a 4-byte sequence, lead byte 0xF0 or above); it escapes strings as ECMAScript does
    (``\\u001f``, ``\\b``, raw UTF-8 otherwise); it writes NaN and the infinities as ``null``, so
    output holding ``null`` is left to the other paths, which refuse non-finite numbers.
    """
    if not isinstance(document, dict | list):  # a bare scalar has no separators for the patterns to see
        return None
    try:
        out = orjson.dumps(document, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: a type it does not write, a huge integer, a lone surrogate
        return None
    if b"null" in out or (not out.isascii() and max(out) >= 0xF0):
        return None
    if _orjson_suspect(out):
        text = _rewrite_numbers(out.decode("utf-8"), _ORJSON_TOKENS)
        return None if text is None else text.encode("utf-8")
    return out


def _suspect(text: str) -> bool:
    """True when ``text`` may hold a number token that ECMAScript would write differently."""
    return any(pattern.search(text) for pattern in _SUSPECTS) or any(p.search(text) for p in _LONG_INTEGERS)


def es6_number(value: float | int) -> str:
    """Format a number exactly as ECMAScript's ``Number.prototype.toString`` does.

    Raises:
        ValueError: for NaN or an infinity, which JSON cannot carry.
    """
    if isinstance(value, bool):  # pragma: no cover - guarded by callers
        raise TypeError("booleans are not numbers here")
    if isinstance(value, int):
        if abs(value) < 2**53:
            return str(value)
        value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{value!r} cannot be written as JSON")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    raw = int_part + frac_part
    stripped = raw.lstrip("0")
    leading = len(raw) - len(stripped)
    digits = stripped.rstrip("0") or "0"
    k = len(digits)
    n = len(int_part) + int(exp_text or 0) - leading  # value = 0.digits × 10**n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        exponent = n - 1
        exp_sign = "+" if exponent >= 0 else "-"
        head = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
        body = f"{head}e{exp_sign}{abs(exponent)}"
    return sign + body


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be")


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_string(value))
    elif isinstance(value, int | float):
        out.append(es6_number(value))
    elif isinstance(value, Mapping):
        out.append("{")
        first = True
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"object keys must be strings, not {type(key).__name__}")
        for key in sorted(value, key=_utf16_key):
            if not first:
                out.append(",")
            first = False
            out.append(_encode_string(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")


def canonical_bytes(document: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of a JSON-compatible value.

    Objects and arrays take a fast path through orjson (see :func:`_orjson_canonical`), then one
    through the standard library's C JSON encoder. Its output is already canonical
    when it holds no astral character (so code-point and UTF-16 key orders agree) and no number token
    that Python and ECMAScript write differently; when it holds a few such tokens outside strings,
    they are rewritten in place. Anything else goes to the exact encoder.
    """
    fast = _orjson_canonical(document)
    if fast is not None:
        return fast
    if isinstance(document, dict | list):  # a bare scalar has no separators for the checks to see
        try:
            text: str | None = _fast_encode(document)
        except (TypeError, ValueError):
            text = None
        if text is not None and (text.isascii() or max(text) < _ASTRAL):
            if _suspect(text):
                text = _rewrite_numbers(text, _PYTHON_TOKENS)
            if text is not None:
                return text.encode("utf-8")
    return canonical_bytes_exact(document)


_TOKEN_END = re.compile(r"[,\]}]")


_PYTHON_TOKENS = (*((pattern, False) for pattern in _SUSPECTS), *((pattern, True) for pattern in _LONG_INTEGERS))


def _rewrite_numbers(text: str, patterns: Sequence[tuple[re.Pattern[str], bool]]) -> str | None:
    """Rewrite the number tokens the checks flag into ECMAScript form; None when that is not safe.

    A flagged position is inside a string when an odd number of quotes precede it, which holds as
    long as no string contains an escaped quote; otherwise the exact encoder is used.
    """
    if '\\"' in text:
        return None
    tokens: dict[int, int] = {}
    for pattern, at_separator in patterns:
        for match in pattern.finditer(text):
            start = match.start()
            if at_separator:
                start += 1  # these matches begin at the separator before the token
            if text.count('"', 0, start) % 2:
                continue  # inside a string
            while start > 0 and text[start - 1] not in ":,[":
                start -= 1
            terminator = _TOKEN_END.search(text, match.start() + 1)
            if terminator is None:
                return None
            tokens[start] = terminator.start()
    pieces: list[str] = []
    position = 0
    for start in sorted(tokens):
        end = tokens[start]
        token = text[start:end]
        try:
            value: float | int = float(token) if any(c in token for c in ".eE") else int(token)
        except ValueError:
            return None
        pieces.append(text[position:start])
        pieces.append(es6_number(value))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def canonical_bytes_exact(document: Any) -> bytes:
    """The canonical encoding by the exact encoder alone (the reference the fast path is tested against)."""
    out: list[str] = []
    _write(document, out)
    return "".join(out).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Return the lowercase hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def canonical_digest(document: Any) -> str:
    """Return ``sha256:<hex>`` of the canonical form of ``document``."""
    return "sha256:" + sha256_hex(canonical_bytes(document))
