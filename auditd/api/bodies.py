"""Request bodies, read defensively: size limit, media type, UTF-8, JSON shape limits.

A body larger than ``[api].max_body_bytes`` is refused (413) while it streams in, before
it is all in memory.  Bodies must be UTF-8 JSON (or NDJSON for change events); JSON is
parsed with orjson, which refuses NaN, infinite numbers and nesting past 1024, and
every value is then walked to refuse nesting deeper than :data:`MAX_DEPTH` and strings
longer than :data:`MAX_STRING` before anything reaches the service layer.  A refused
body is a 4xx with a message naming the problem; nothing here touches the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request

from auditd.api.errors import ApiError

__all__ = ["JSON_TYPES", "MAX_DEPTH", "MAX_ITEMS", "MAX_STRING", "NDJSON_TYPES", "CheckedLines",
           "check_json_value", "check_ndjson", "parse_json", "read_body", "require_media_type"]

MAX_DEPTH = 64
MAX_STRING = 64 * 1024
MAX_ITEMS = 10_000
JSON_TYPES = frozenset({"application/json"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl",
                          "application/x-jsonlines", "application/jsonlines"})


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing more than ``limit`` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "bad_request", f"Content-Length {declared[:40]!r} is not a number")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large",
                    f"the request body is larger than {limit} bytes (api.max_body_bytes); "
                    "send fewer items per request")


def require_media_type(request: Request, allowed: frozenset[str]) -> str:
    """The request's media type if it is one of ``allowed`` (or ``+json``), else 415."""
    raw = request.headers.get("content-type", "")
    media, _, params = raw.partition(";")
    media = media.strip().lower()
    charset = _charset(params)
    json_suffix = media.endswith("+json") and "application/json" in allowed
    if (media not in allowed and not json_suffix) or charset not in ("", "utf-8", "utf8"):
        raise ApiError(415, "unsupported_media_type",
                       f"Content-Type {raw[:80]!r} is not accepted here; send "
                       f"{' or '.join(sorted(allowed))} in UTF-8")
    return "application/json" if json_suffix else media


def _charset(params: str) -> str:
    for part in params.split(";"):
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return ""


def parse_json(body: bytes, what: str) -> Any:
    """One JSON document, checked by :func:`check_json_value`; a 400 when it is not one."""
    if not body.strip():
        raise ApiError(400, "empty_body", f"{what}: the request body is empty")
    _require_utf8(body, what)
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _not_json(what, exc) from None
    check_json_value(value, what)
    return value


def _require_utf8(body: bytes, what: str) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_encoding",
                       f"{what}: the body is not valid UTF-8 (byte {exc.start})") from None


def _not_json(what: str, exc: orjson.JSONDecodeError) -> ApiError:
    if "depth" in str(exc) or "recursion" in str(exc):
        return _too_deep(what)
    return ApiError(400, "invalid_json", f"{what}: not valid JSON: {exc}")


def _too_deep(what: str) -> ApiError:
    return ApiError(400, "payload_too_deep",
                    f"{what}: JSON nested deeper than {MAX_DEPTH} levels is refused")


def check_json_value(value: Any, what: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH and strings (or keys) longer than MAX_STRING."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if len(item) > MAX_STRING:
                raise ApiError(400, "value_too_long",
                               f"{what}: a string of {len(item)} characters is longer than "
                               f"the {MAX_STRING} accepted")
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise _too_deep(what)
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)


@dataclass(frozen=True, slots=True)
class CheckedLines:
    """NDJSON text with each unparseable line replaced by ``{}`` (so line numbers and the
    NDJSON reading are kept; the service's complaint about it is replaced by the reason)."""

    text: str
    items: int
    bad_lines: tuple[tuple[int, str], ...]


def check_ndjson(body: bytes, what: str) -> CheckedLines:
    """Each non-empty line parsed and checked; a bad line is reported, not fatal."""
    _require_utf8(body, what)
    lines = body.decode("utf-8").splitlines()
    bad: list[tuple[int, str]] = []
    items = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            if "depth" in str(exc) or "recursion" in str(exc):
                raise _too_deep(f"{what} line {number}") from None
            bad.append((number, f"not JSON: {exc}"))
            lines[number - 1] = "{}"
            continue
        check_json_value(value, f"{what} line {number}")
        items += len(value) if isinstance(value, list) else 1
    return CheckedLines("\n".join(lines), items, tuple(bad))
