"""Licences: the SPDX licence list, and SPDX expressions evaluated against a test per licence id.

A licence counts as free and open source (:func:`is_foss`) when SPDX marks it OSI-approved or
FSF-libre. :func:`spdx_expression_holds` evaluates an expression for any such test: ``A OR B`` holds
when either side does (the licensee may choose), ``A AND B`` when both do, ``A WITH exception`` when
``A`` does. Unknown ids, free text and malformed expressions do not hold (fail closed: an exemption
must be shown, not assumed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from importlib.resources import files

__all__ = ["is_foss", "licence_flags", "spdx_expression_holds"]

_TOKEN = re.compile(r"\(|\)|\bAND\b|\bOR\b|\bWITH\b|[^\s()]+")


@cache
def _table() -> dict[str, dict[str, bool]]:
    text = files("governance").joinpath("data/spdx_licences.json").read_text(encoding="utf-8")
    licences: dict[str, dict[str, bool]] = json.loads(text)["licenses"]
    return licences


def licence_flags(licence_id: str) -> dict[str, bool] | None:
    """SPDX flags (``osi``, ``fsf``, ``deprecated``) of one licence id, or None when unknown."""
    return _table().get(licence_id)


def spdx_expression_holds(expression: str | None, qualifies: Callable[[str], bool]) -> bool:
    """Evaluate an SPDX licence expression with ``qualifies`` deciding each licence id."""
    if not expression:
        return False
    tokens = _TOKEN.findall(expression)
    position = 0

    def parse_or() -> bool:
        nonlocal position
        result = parse_and()
        while position < len(tokens) and tokens[position] == "OR":
            position += 1
            right = parse_and()
            result = result or right
        return result

    def parse_and() -> bool:
        nonlocal position
        result = parse_atom()
        while position < len(tokens) and tokens[position] in ("AND", "WITH"):
            if tokens[position] == "WITH":
                position += 2  # the exception id does not change the base licence
                continue
            position += 1
            right = parse_atom()
            result = result and right
        return result

    def parse_atom() -> bool:
        nonlocal position
        if position >= len(tokens):
            return False
        token = tokens[position]
        position += 1
        if token == "(":
            result = parse_or()
            if position < len(tokens) and tokens[position] == ")":
                position += 1
                return result
            return False
        if token in ("AND", "OR", "WITH", ")"):
            return False
        return qualifies(token.removesuffix("+"))

    result = parse_or()
    return result and position == len(tokens)


def _osi_or_fsf(licence_id: str) -> bool:
    flags = licence_flags(licence_id)
    return bool(flags and (flags["osi"] or flags["fsf"]))


def is_foss(expression: str | None) -> bool:
    """True when the SPDX expression grants a licence that SPDX marks OSI-approved or FSF-libre."""
    return spdx_expression_holds(expression, _osi_or_fsf)
