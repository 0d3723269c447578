"""The FastAPI application: routes, error shape, request log, shared state.

:func:`create_app` takes a :class:`~auditd.service.Runtime` (settings plus the store) and
returns an ASGI app; it opens the store once, up front, so a wrong database URL fails at
start-up rather than on the first request.  Routes are sync functions run in FastAPI's
thread pool; the store is safe to share between threads (SQLAlchemy's pool).
The request log has one line per request and never contains a token or a body.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auditd.api.auth import TouchThrottle
from auditd.api.errors import ERROR_RESPONSES, JsonResponse, install_error_handlers
from auditd.config import ApiSettings
from auditd.service import Runtime

__all__ = ["ACCESS_LOG", "RequestLog", "create_app"]

ACCESS_LOG = "auditd.api.access"
_DESCRIPTION = """Change audit, drift and incident correlation for Terraform and AWS estates.

Every route but `/healthz` needs `Authorization: Bearer <token>` (`driftaudit token create`);
the PagerDuty webhook is authenticated by its signature instead.  Every failure is
`{"error": {"code", "message"}}`.  See docs/api.md."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("driftaudit")
    except PackageNotFoundError:
        return "0+unknown"


def create_app(runtime: Runtime, *, api_settings: ApiSettings | None = None) -> FastAPI:
    """The API over ``runtime``; ``api_settings`` default to ``runtime.settings.api``."""
    from auditd.api import routes_incidents, routes_read, routes_webhooks

    app = FastAPI(title="driftaudit", version=_version(), description=_DESCRIPTION,
                  default_response_class=JsonResponse, docs_url="/docs", redoc_url=None,
                  openapi_url="/api/v1/openapi.json")
    app.state.runtime = runtime
    app.state.api_settings = api_settings or runtime.settings.api
    app.state.touch_throttle = TouchThrottle()
    runtime.store  # noqa: B018 - open (and check) the store now, not on the first request
    install_error_handlers(app)
    for module in (routes_read, routes_incidents, routes_webhooks):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    app.add_middleware(RequestLog)
    return app


class RequestLog:
    """ASGI middleware: one log line per request (method, path, status, ms, token name)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = logging.getLogger(ACCESS_LOG)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._line(scope, status[0], time.perf_counter() - started)

    def _line(self, scope: Scope, status: int, seconds: float) -> None:
        state: Any = scope.get("state") or {}
        client = scope.get("client") or ("-", 0)
        token = state.get("token_name", "-") if isinstance(state, dict) else "-"
        self.log.info("%s %s %s %d %.1fms token=%s", client[0], scope.get("method", "-"),
                      scope.get("path", "-"), status, seconds * 1000, token)
