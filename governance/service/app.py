"""The FastAPI application: routes, problem documents, request limits, access log and metrics.

``create_app(config)`` builds an app around one :class:`~governance.service.runtime.Service`, opened
when the app starts and closed (queued appends committed first) when it stops. ``app_from_env`` is the
factory ``governance serve`` gives uvicorn, so that each worker process builds its own.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from governance.engine import ENGINE_VERSION
from governance.logs import configure_logging, get_logger
from governance.service.problems import (
    PROBLEM_RESPONSES,
    ProblemDocument,
    ProblemError,
    install_problem_handlers,
    problem_response,
)
from governance.service.routes import comparisons, decisions, keys, ledger, ops, policies, tiles, web
from governance.service.runtime import Service, ServiceConfig

__all__ = ["LOG_ENV", "app_from_env", "create_app"]

LOG_ENV = "GOVERNANCE_LOG"

_DESCRIPTION = """Decide how an AI model may be released, record decisions in a tamper-evident ledger,
and serve that ledger as a verifiable public log (C2SP tlog-tiles). Send `Authorization: Bearer TOKEN`
with a key from `governance keys create`; the role each route admits is in its description.
Every error is an RFC 9457 problem document."""


def _too_large(limit: int) -> ProblemError:
    return ProblemError(413, "request_too_large", f"the request body is larger than the limit of {limit} bytes")


class _Edge:
    """Outermost layer: refuses oversized bodies, times and counts each request, writes the access log.

    The log has the method, the route template (never the raw path or query: they may hold model
    names), the status, the duration and the key id (never the token, never a body).
    """

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        service: Service = self.state.service
        limit = service.config.max_body
        started = time.perf_counter()
        status = 500
        declared = dict(scope.get("headers") or []).get(b"content-length")

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        received = 0

        async def receiving() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        try:
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                problem = _too_large(limit)
                await problem_response(problem.status, problem.code, problem.detail)(scope, receive, sending)
            else:
                await self.app(scope, receiving, sending)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            service.metrics.requests.labels(method, route, str(status)).inc()
            service.metrics.latency.labels(method, route).observe(elapsed)
            key_id = (scope.get("state") or {}).get("key_id")
            get_logger("governance.service").info(
                "http_request",
                method=method,
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 3),
                key_id=key_id,
            )


def create_app(config: ServiceConfig | None = None) -> FastAPI:
    """The service app for ``config`` (default: :meth:`ServiceConfig.from_env`)."""
    settings = config or ServiceConfig.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "service", None) is None:
            app.state.service = Service(settings)
        try:
            yield
        finally:
            app.state.service.close()
            app.state.service = None

    app = FastAPI(
        title="governance",
        version=ENGINE_VERSION,
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.service = None
    install_problem_handlers(app)
    for module in (ops, keys, policies, decisions, ledger, comparisons, tiles, web):
        app.include_router(module.router, responses=PROBLEM_RESPONSES)
    _register_problem_schema(app)
    app.add_middleware(_Edge, state=app.state)
    return app


def _register_problem_schema(app: FastAPI) -> None:
    """Add ``ProblemDocument`` to the OpenAPI components the error responses refer to."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["ProblemDocument"] = ProblemDocument.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            for name, definition in components["ProblemDocument"].pop("$defs", {}).items():
                components.setdefault(name, definition)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_env() -> FastAPI:
    """The app of one ``governance serve`` worker, configured from the environment.

    ``GOVERNANCE_LOG=json`` turns the structured access log on (on stderr) in each worker.
    """
    if os.environ.get(LOG_ENV) == "json":
        configure_logging("json", stream=sys.stderr)
    return create_app(ServiceConfig.from_env())
