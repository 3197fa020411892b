"""Whether a licence is free and open source, from the SPDX licence list.

A licence counts as free and open source when SPDX marks it OSI-approved or FSF-libre. An SPDX
expression qualifies when every alternative of an ``OR`` has at least one qualifying branch and
every part of an ``AND`` qualifies; ``WITH`` exceptions keep the base licence's status. Unknown ids
do not qualify (fail closed for exemptions).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files

__all__ = ["is_foss", "licence_flags"]

_TOKEN = re.compile(r"\(|\)|\bAND\b|\bOR\b|\bWITH\b|[^\s()]+")


@cache
def _table() -> dict[str, dict[str, bool]]:
    text = files("governance").joinpath("data/spdx_licences.json").read_text(encoding="utf-8")
    licences: dict[str, dict[str, bool]] = json.loads(text)["licenses"]
    return licences


def licence_flags(licence_id: str) -> dict[str, bool] | None:
    """SPDX flags (``osi``, ``fsf``, ``deprecated``) of one licence id, or None when unknown."""
    return _table().get(licence_id)


def _single(licence_id: str) -> bool:
    flags = licence_flags(licence_id.removesuffix("+"))
    return bool(flags and (flags["osi"] or flags["fsf"]))


def is_foss(expression: str | None) -> bool:
    """True when the SPDX expression grants a free and open-source licence."""
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
        result = parse_with()
        while position < len(tokens) and tokens[position] == "AND":
            position += 1
            right = parse_with()
            result = result and right
        return result

    def parse_with() -> bool:
        nonlocal position
        result = parse_atom()
        if position < len(tokens) and tokens[position] == "WITH":
            position += 2  # the exception id does not change the base licence's status
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
        return _single(token)

    return parse_or()
