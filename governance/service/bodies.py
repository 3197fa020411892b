"""Request bodies are read as strictly as files: duplicate keys, NaN and over-deep nesting are refused.

FastAPI parses JSON bodies with the standard library, which keeps the last of two equal keys, reads
``NaN`` and ``Infinity``, and fails with a RecursionError on deep nesting. Routes of the service use
:class:`StrictRoute`, whose requests parse JSON with those refused as problem documents (422), as the
candidate loader refuses them in files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from governance.service.problems import ProblemError

__all__ = ["StrictRoute", "parse_json"]

MAX_DEPTH = 64
"""The deepest nesting of objects and arrays a body may have (a candidate needs about six)."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ProblemError(422, "invalid_input", f"the JSON body repeats the key {key!r}")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise ProblemError(422, "invalid_input", f"the JSON body holds {name}, which is not a JSON number")


def _depth(value: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def parse_json(body: bytes) -> Any:
    """Parse a request body, refusing what the service refuses in files.

    Raises:
        ProblemError: 422 for malformed JSON, a repeated key, NaN or Infinity, or nesting deeper
            than :data:`MAX_DEPTH`.
    """
    try:
        value = json.loads(body, object_pairs_hook=_pairs, parse_constant=_constant)
    except RecursionError as exc:
        raise ProblemError(422, "invalid_input", f"the JSON body is nested deeper than {MAX_DEPTH} levels") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProblemError(422, "invalid_input", f"the body is not JSON: {exc}") from exc
    if _depth(value) > MAX_DEPTH:
        raise ProblemError(422, "invalid_input", f"the JSON body is nested deeper than {MAX_DEPTH} levels")
    return value


class _StrictRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class StrictRoute(APIRoute):
    """A route whose JSON body is parsed by :func:`parse_json`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The FastAPI handler, given a request that parses JSON strictly."""
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(_StrictRequest(request.scope, request.receive))

        return strict
