"""Canonical JSON (RFC 8785): number formatting, key order, and the fast path."""

from __future__ import annotations

import datetime as dt
import json
import math
import struct

import pytest
import rfc8785
from hypothesis import assume, given
from hypothesis import strategies as st

from governance.canonical import (
    _orjson_canonical,
    canonical_bytes,
    canonical_bytes_exact,
    canonical_digest,
    es6_number,
)
from tests.strategies import json_values


def _double(bits: int) -> float:
    return struct.unpack(">d", bits.to_bytes(8, "big"))[0]


# RFC 8785, Appendix B: IEEE-754 bit patterns and their ECMAScript serialisation.
RFC8785_NUMBERS = [
    (0x0000000000000000, "0"),
    (0x8000000000000000, "0"),
    (0x0000000000000001, "5e-324"),
    (0x8000000000000001, "-5e-324"),
    (0x7FEFFFFFFFFFFFFF, "1.7976931348623157e+308"),
    (0xFFEFFFFFFFFFFFFF, "-1.7976931348623157e+308"),
    (0x4340000000000000, "9007199254740992"),
    (0xC340000000000000, "-9007199254740992"),
    (0x4430000000000000, "295147905179352830000"),
    (0x44B52D02C7E14AF5, "9.999999999999997e+22"),
    (0x44B52D02C7E14AF6, "1e+23"),
    (0x44B52D02C7E14AF7, "1.0000000000000001e+23"),
    (0x444B1AE4D6E2EF4E, "999999999999999700000"),
    (0x444B1AE4D6E2EF4F, "999999999999999900000"),
    (0x444B1AE4D6E2EF50, "1e+21"),
    (0x3EB0C6F7A0B5ED8C, "9.999999999999997e-7"),
    (0x3EB0C6F7A0B5ED8D, "0.000001"),
    (0x41B3DE4355555553, "333333333.3333332"),
    (0x41B3DE4355555554, "333333333.33333325"),
    (0x41B3DE4355555555, "333333333.3333333"),
    (0x41B3DE4355555556, "333333333.3333334"),
    (0x41B3DE4355555557, "333333333.33333343"),
    (0xBECBF647612F3696, "-0.0000033333333333333333"),
    (0x43143FF3C1CB0959, "1424953923781206.2"),
]


class TestNumbers:
    """Numbers are written exactly as ECMAScript's Number.prototype.toString writes them."""

    @pytest.mark.parametrize(("bits", "expected"), RFC8785_NUMBERS, ids=[e for _, e in RFC8785_NUMBERS])
    def test_rfc8785_appendix_b(self, bits: int, expected: str) -> None:
        """Every published test vector formats to the published text."""
        assert es6_number(_double(bits)) == expected

    @pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
    def test_non_finite_refused(self, value: float) -> None:
        """NaN and the infinities cannot be written."""
        with pytest.raises(ValueError, match="cannot be written"):
            canonical_bytes({"x": value})

    def test_compute_thresholds(self) -> None:
        """The thresholds the laws use keep their exponent form, and integral floats lose '.0'."""
        assert canonical_bytes([1e25, 1e26, 1e23, 100.0, 0.5]) == b"[1e+25,1e+26,1e+23,100,0.5]"

    @pytest.mark.parametrize("prefix", ["[", '{"a":', "[1,"])
    def test_large_integers_as_doubles(self, prefix: str) -> None:
        """An integer beyond 2**53 is written as the double ECMAScript would hold, in any position."""
        document = json.loads(prefix + str(2**60) + ("]" if prefix.startswith("[") else "}"))
        assert b"1152921504606847000" in canonical_bytes(document)

    @given(st.floats(allow_nan=False, allow_infinity=False))
    def test_round_trip(self, value: float) -> None:
        """The text reads back as the same double."""
        assert float(es6_number(value)) == value


class TestDocuments:
    """Objects are sorted by UTF-16 code units and written without whitespace."""

    def test_rfc8785_key_order(self) -> None:
        """The RFC's sorting example (section 3.2.3) sorts an astral character before U+FB33."""
        keys = ["\u20ac", "\r", "\ufb33", "1", "\U0001f600", "\u0080", "\u00f6"]
        document = {key: index for index, key in enumerate(keys)}
        order = list(json.loads(canonical_bytes(document)))
        assert order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]

    def test_strings_escape_minimally(self) -> None:
        """Control characters are escaped, other characters are written as UTF-8."""
        assert canonical_bytes({"a": 'é\n\u0001"/'}) == '{"a":"é\\n\\u0001\\"/"}'.encode()

    def test_digest_names_algorithm(self) -> None:
        """Digests are prefixed with their algorithm."""
        assert canonical_digest({}) == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

    @given(json_values)
    def test_fast_path_equals_exact_encoder(self, value: object) -> None:
        """The C-encoder fast path never differs from the exact encoder."""
        assert canonical_bytes(value) == canonical_bytes_exact(value)

    @given(json_values)
    def test_orjson_path_equals_exact_encoder(self, value: object) -> None:
        """The orjson path, wherever it vouches for its bytes, gives the exact encoder's bytes."""
        fast = _orjson_canonical(value)
        assert fast is None or fast == canonical_bytes_exact(value)

    @given(json_values)
    def test_independent_implementation_agrees(self, value: object) -> None:
        """An independent RFC 8785 implementation (the ``rfc8785`` package) writes the same bytes."""
        try:
            expected = rfc8785.dumps(value)
        except rfc8785.IntegerDomainError:
            assume(False)  # it refuses integers beyond +-2^53 that this encoder writes as doubles
        assert canonical_bytes(value) == expected

    @pytest.mark.parametrize(
        "value",
        [[1e-6], [5e-6], [1.5e-6], [1e-7], [1e15], [1e16], [1e20], [1e21], [-0.0], [2**53], {"a": 123456789012345678}],
    )
    def test_orjson_number_forms(self, value: object) -> None:
        """Each number form where orjson and ECMAScript differ is rewritten (checked on the orjson path)."""
        fast = _orjson_canonical(value)
        assert fast is not None and fast == canonical_bytes_exact(value)

    def test_orjson_path_declines(self) -> None:
        """NaN (orjson writes null), astral keys, big integers and non-JSON types are left to the other paths."""
        for value in ({"x": math.nan}, {"\U0001f600": 1, "\uffff": 2}, [2**70], [dt.date(2026, 1, 1)]):
            assert _orjson_canonical(value) is None
        with pytest.raises(ValueError):
            canonical_bytes({"x": math.nan})

    @given(json_values)
    def test_parses_back(self, value: object) -> None:
        """The canonical text is valid JSON whose canonical form is itself (idempotence)."""
        text = canonical_bytes(value)
        assert canonical_bytes(json.loads(text)) == text

    @pytest.mark.parametrize(
        "document",
        [
            {"tiny": 1e-7, "mid": 1e17, "big": 2**60, "whole": 100.0, "zero": -0.0},
            {"text": "\u00000", "tiny": 1e-7},
            [[1e-5, "a\u0000b"], {"k": 1e20}],
        ],
    )
    def test_placeholders_never_collide(self, document: object) -> None:
        """Numbers swapped for placeholders come back in ECMAScript form, even beside NUL characters."""
        assert canonical_bytes(document) == canonical_bytes_exact(document)

    def test_non_string_keys_refused(self) -> None:
        """The exact encoder refuses keys that are not strings (JSON has none)."""
        with pytest.raises(TypeError, match="keys must be strings"):
            canonical_bytes_exact({1: "x"})
