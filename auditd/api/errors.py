"""Every failure of the API as one JSON shape: ``{"error": {"code", "message"}}``.

:class:`ApiError` is raised by routes and dependencies; the handlers installed by
:func:`install_error_handlers` also turn driftaudit's own errors, FastAPI's validation
errors, Starlette's 404/405 and any unexpected exception into that shape, so a client
never sees HTML or a stack trace.  This module must not log request bodies or tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from auditd.errors import (
    ConfigError,
    DriftauditError,
    InputError,
    StoreError,
    StoreLocked,
    StoreUnavailable,
)

__all__ = ["ERROR_RESPONSES", "ApiError", "JsonResponse", "error_response",
           "install_error_handlers"]

log = logging.getLogger("auditd.api")


class JsonResponse(Response):
    """JSON via orjson (datetimes as ``...Z``), the encoder the CLI uses."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)


class ApiError(Exception):
    """An HTTP failure with a stable machine-readable ``code`` and a message for people."""

    def __init__(self, status: int, code: str, message: str, *,
                 headers: Mapping[str, str] | None = None,
                 details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.details = details


def error_response(status: int, code: str, message: str, *,
                   headers: Mapping[str, str] | None = None, details: Any = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JsonResponse({"error": body}, status_code=status, headers=dict(headers or {}))


_ERROR_SCHEMA = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                   "details": {"description": "more about the failure, e.g. per-event "
                                              "problems"}}}}}
#: For the OpenAPI document: the failures every route may answer, all in one shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/json": {"schema": _ERROR_SCHEMA}}}
    for status, text in ((400, "bad parameter or payload"), (401, "no valid token or signature"),
                         (403, "the token's role does not allow this"),
                         (413, "body too large"), (415, "unsupported media type"),
                         (422, "no event in the request could be read (POST changes)"),
                         (503, "store unavailable or busy"))}

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "payload_too_large",
               415: "unsupported_media_type", 422: "invalid_request"}


def _status_of(exc: DriftauditError) -> tuple[int, str]:
    if isinstance(exc, StoreLocked):
        return 503, "store_busy"
    if isinstance(exc, StoreUnavailable):
        return 503, "store_unavailable"
    if isinstance(exc, StoreError):
        return 500, "store_error"
    if isinstance(exc, ConfigError):
        return 500, "config_error"
    if isinstance(exc, InputError):
        return 400, "invalid_input"
    return 500, "error"


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers,
                          details=exc.details)


async def _driftaudit_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DriftauditError)
    status, code = _status_of(exc)
    if status >= 500:
        log.error("request failed: %s", exc)
    message = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
    return error_response(status, code, message,
                          headers={"Retry-After": "5"} if status == 503 else None)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                for e in exc.errors()]
    return error_response(400, "invalid_parameter", "; ".join(problems)[:2000])


async def _unexpected(_request: Request, exc: Exception) -> Response:
    log.exception("internal error: %s", type(exc).__name__)
    return error_response(500, "internal_error",
                          f"internal error ({type(exc).__name__}); it has been logged, "
                          "please report it")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DriftauditError, _driftaudit_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
