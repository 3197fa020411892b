"""The command line's JSON text is the standard library's, byte for byte."""

from __future__ import annotations

import io
import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from governance.cli._json import JsonArrayWriter, indented_json

_KEYS = st.text(max_size=8)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([1e-05, 5e-05, 1e-07, 0.0001, 9.99e-05, -1e-05, 1e16, 1e25, 5e-324, -0.0, math.inf])
    | st.text()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4) | st.tuples(inner),
    max_leaves=30,
)


def _stdlib(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


@settings(max_examples=400)
@given(_VALUES)
def test_indented_json_is_the_standard_librarys_text(value: Any) -> None:
    try:
        expected = _stdlib(value)
    except (ValueError, TypeError):
        return
    assert indented_json(value) == expected


_FINITE_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=-1e-4, max_value=1e-4)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400)
@given(_FINITE_VALUES)
def test_a_value_vouched_finite_is_written_as_the_standard_library_does(value: Any) -> None:
    assert indented_json(value, finite=True) == _stdlib(value)


@settings(max_examples=200)
@given(st.lists(_VALUES, max_size=5))
def test_an_array_written_item_by_item_is_the_whole_list_text(items: list[Any]) -> None:
    try:
        expected = _stdlib(items) + "\n"
    except (ValueError, TypeError):
        return
    stream = io.StringIO()
    with JsonArrayWriter(stream) as writer:
        for item in items:
            writer.write(item)
    assert stream.getvalue() == expected


def test_values_orjson_would_write_differently_fall_back_or_are_rewritten() -> None:
    document = {
        "small": 1e-05,
        "tiny": 1e-07,
        "text": "state-of-the-art 2e-5",
        "nan": math.nan,
        "inf": -math.inf,
        "big": 2**80,
        "t": (1, 2),
    }
    assert indented_json(document) == _stdlib(document)
    tricky = {"0.00001": [1e-07, -5e-05, "1e-7", 'x": 1e-7'], 'k": 1e-05': 0.0001, "": -1.5e-300}
    assert indented_json(tricky, finite=True) == _stdlib(tricky)
    assert indented_json({"s": "\ud800"}) == _stdlib({"s": "\ud800"})
    assert indented_json({3: "k", 1.5: None}) == _stdlib({3: "k", 1.5: None})
