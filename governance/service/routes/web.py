"""The web interface: ``/`` and its assets under ``/web/``, shipped in the package, loading nothing else.

The page is public (it holds no data); everything it shows comes from the API with the key the user
types, so it sees exactly what that key may see. Its content security policy allows only this origin.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from governance.service.problems import ProblemError

__all__ = ["router"]

router = APIRouter(tags=["web interface"])
_ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
_SECURITY = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_TEXT: dict[int | str, dict[str, Any]] = {200: {"content": {"text/html": {}}, "description": "The page."}}


def _asset(name: str) -> Response:
    media = _ASSETS.get(name)
    if media is None:
        raise ProblemError(404, "not_found", f"no asset {name!r}")
    data = files("governance.service").joinpath("web", name).read_bytes()
    return Response(data, media_type=media, headers={**_SECURITY, "Cache-Control": "no-cache"})


@router.get(
    "/",
    summary="The web interface (public; it shows what the key typed into it may see).",
    response_class=Response,
    responses=_TEXT,
)
def index() -> Response:
    """The single page: compare policies and move a threshold; browse entries and check proofs in the browser."""
    return _asset("index.html")


@router.get("/web/{name}", summary="An asset of the web interface (public).", response_class=Response, responses=_TEXT)
def asset(name: str) -> Response:
    """``app.js`` or ``style.css``."""
    return _asset(name)
