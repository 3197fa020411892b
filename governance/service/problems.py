"""Every error the service returns is an RFC 9457 problem document (``application/problem+json``).

A problem has ``type``, ``title``, ``status`` and ``detail``, plus ``code`` (the stable snake_case code
of the package's exception, or of the HTTP refusal) and, for invalid input, ``problems``: one
``{location, message}`` per thing wrong, exactly as the CLI prints them. Package errors map to statuses
by class: invalid input 422, unknown policy or entry 404, invalid policy 422, engine failure 500,
ledger unavailable 503. Nothing in a problem echoes a token, and an unexpected error says only that it
happened (the details go to the log).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from governance._yaml import pydantic_problems
from governance.exceptions import (
    EngineError,
    GovernanceError,
    InputError,
    LedgerError,
    PolicyError,
    PolicyNotFoundError,
    Problem,
)
from governance.logs import get_logger

__all__ = [
    "PROBLEM_JSON",
    "PROBLEM_RESPONSES",
    "ProblemDocument",
    "ProblemError",
    "install_problem_handlers",
    "problem_response",
]

PROBLEM_JSON = "application/problem+json"
_TYPE_PREFIX = "urn:governance:problem:"


class ProblemItem(BaseModel):
    """One thing wrong with the request: where, and what."""

    location: str
    message: str


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document, with the package's stable ``code`` and, for invalid input, ``problems``."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    problems: list[ProblemItem] | None = None


_MEANINGS = {
    401: "No key, or an unknown, revoked or malformed one.",
    403: "The key's role or organisation may not do this.",
    404: "No such policy, entry, key, checkpoint or tile.",
    413: "The request body is over the limit.",
    422: "The request is invalid; `problems` names each field.",
    503: "The ledger cannot be reached.",
}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": meaning,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}},
    }
    for status, meaning in _MEANINGS.items()
}
"""The error responses every route may give, for the OpenAPI document."""


class ProblemError(StarletteHTTPException):
    """A refusal the service decides itself (authentication, authorisation, not found, limits).

    It is an HTTP exception, so that FastAPI passes it through untouched when it is raised while a
    request body is read (a body over the limit, JSON that is refused).
    """

    def __init__(self, status: int, code: str, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, detail, headers)
        self.status = status
        self.code = code
        self.detail = detail


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    problems: tuple[Problem, ...] | list[Problem] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem document response."""
    body: dict[str, Any] = {
        "type": _TYPE_PREFIX + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if problems:
        body["problems"] = [{"location": p.location, "message": p.message} for p in problems]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _status_of(exc: GovernanceError) -> int:
    if isinstance(exc, PolicyNotFoundError):
        return 404
    if isinstance(exc, InputError | PolicyError):
        return 422
    if isinstance(exc, EngineError):
        return 500
    if isinstance(exc, LedgerError):
        return 503
    return 500


async def _governance_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GovernanceError)
    status = _status_of(exc)
    if status >= 500:
        get_logger("governance.service").error("service_error", code=exc.code, detail=exc.message)
    return problem_response(status, exc.code, exc.message, problems=exc.problems)


async def _service_problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.status, exc.code, exc.detail, headers=dict(exc.headers or {}))


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = pydantic_problems(list(exc.errors()), "request", {})
    return problem_response(422, InputError.code, f"{len(problems)} problem(s) in the request", problems=problems)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return problem_response(exc.status_code, code, detail, headers=dict(exc.headers or {}))


async def _unexpected(_request: Request, exc: Exception) -> Response:
    get_logger("governance.service").error("service_internal_error", error=type(exc).__name__)
    return problem_response(500, "internal_error", "an unexpected error occurred; it has been logged")


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a problem document."""
    app.add_exception_handler(GovernanceError, _governance_error)
    app.add_exception_handler(ProblemError, _service_problem)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
