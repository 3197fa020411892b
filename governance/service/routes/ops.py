"""Operations: ``/healthz`` (the process answers), ``/readyz`` (the ledger answers), ``/metrics``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from governance.service.apikeys import ApiKey, Role
from governance.service.auth import require
from governance.service.metrics import CONTENT_TYPE
from governance.service.problems import ProblemError
from governance.service.runtime import service_of

__all__ = ["router"]

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    """The service's state."""

    status: str
    ledger_entries: int | None = None
    origin: str | None = None


@router.get("/healthz", summary="The process is up (public).", response_model_exclude_none=True)
def healthz() -> Health:
    """200 while the process answers; it reads nothing."""
    return Health(status="ok")


@router.get("/readyz", summary="The ledger can be read and the writer runs (public).")
def readyz(request: Request) -> Health:
    """200 when the ledger answers a read and the writer thread runs; 503 otherwise."""
    service = service_of(request)
    if not service.appender.alive:
        raise ProblemError(503, "not_ready", "the ledger writer is not running")
    entries = service.ledger.size()
    return Health(status="ready", ledger_entries=entries, origin=service.ledger.origin)


@router.get(
    "/metrics",
    summary="Prometheus metrics (auditor, admin).",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}}},
)
def metrics(request: Request, _key: Annotated[ApiKey, Depends(require(Role.AUDITOR, Role.ADMIN))]) -> Response:
    """Requests, latency histograms, decisions by tier and policy, appends and ledger size."""
    return Response(service_of(request).metrics.render(), media_type=CONTENT_TYPE)
