"""Validators shared by the candidate and policy schemas for numbers read from files."""

from __future__ import annotations

from typing import Any

__all__ = ["not_a_boolean"]


def not_a_boolean(value: Any) -> Any:
    """Refuse a boolean where a number is expected.

    pydantic reads ``true`` as 1 and ``false`` as 0, and YAML reads yes/no/on/off as booleans: a
    threshold or a count written that way is a mistake, never a number.
    """
    if isinstance(value, bool):
        raise ValueError("expected a number, not a boolean (true/false, yes/no, on/off)")
    return value
