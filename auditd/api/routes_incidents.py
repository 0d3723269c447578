"""The responder's routes: change events in, incidents in, and the ranked suspects out.

``POST /api/v1/changes`` takes our change-event schema, PagerDuty change events and Datadog
change events (one, an array, ``{"events": [...]}`` or NDJSON).  A bad event is reported in
``problems`` and the others are stored; events are idempotent by (source, id).  The
suspects answer is the ``driftaudit.suspects/v1`` document of ``driftaudit suspects --json``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from auditd.api.auth import require, runtime_of
from auditd.api.bodies import (
    JSON_TYPES,
    MAX_ITEMS,
    NDJSON_TYPES,
    check_ndjson,
    parse_json,
    read_body,
    require_media_type,
)
from auditd.api.errors import ApiError, JsonResponse
from auditd.service.tokens import Permission
from auditd.store import TokenRecord

__all__ = ["body_bytes", "router"]

router = APIRouter(tags=["incidents"])
MAX_WINDOW = timedelta(days=90)
IncidentId = Annotated[str, Path(min_length=1, max_length=256,
                                 description="incident id, e.g. INC-1042 or pagerduty:PABC123")]


async def body_bytes(request: Request) -> bytes:
    limit: int = request.app.state.api_settings.max_body_bytes
    return await read_body(request, limit)


Body = Annotated[bytes, Depends(body_bytes)]
_EVENTS_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"description": "one change event, an array of them, or "
                                                   "{\"events\": [...]}; see docs/api.md"}},
    "application/x-ndjson": {"schema": {"type": "string",
                                        "description": "one change event per line"}}}}}
_INCIDENT_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["id", "onset"],
    "properties": {"id": {"type": "string"}, "onset": {"type": "string", "format": "date-time"},
                   "services": {"type": "array", "items": {"type": "string"}},
                   "severity": {"type": "string"}, "title": {"type": "string"},
                   "labels": {"type": "object"}, "annotations": {"type": "object"}}}}}}}


def _event_text(request: Request, body: bytes) -> tuple[str, tuple[tuple[int, str], ...]]:
    media = require_media_type(request, JSON_TYPES | NDJSON_TYPES)
    if media in JSON_TYPES:
        try:
            value = parse_json(body, "change events")
        except ApiError as exc:
            if exc.code != "invalid_json":
                raise
        else:
            items = value.get("events") if isinstance(value, dict) else value
            _limit_items(len(items) if isinstance(items, list) else 1)
            return body.decode("utf-8"), ()
    lines = check_ndjson(body, "change events")
    _limit_items(lines.items + len(lines.bad_lines))
    return lines.text, lines.bad_lines


def _limit_items(count: int) -> None:
    if count > MAX_ITEMS:
        raise ApiError(413, "too_many_items", f"{count} events in one request; at most "
                       f"{MAX_ITEMS} are accepted: split the batch")


@router.post("/api/v1/changes", tags=["changes"], openapi_extra=_EVENTS_BODY,
             summary="Record change events (idempotent by source and id)")
def post_changes(request: Request, _token: Annotated[TokenRecord, require(
                     Permission.INGEST_CHANGES)], body: Body,
                 source: Annotated[str, Query(min_length=1, max_length=128,
                                              description="source of events naming none")] = "api",
                 ) -> Any:
    from auditd.render.correlation import events_outcome_dict
    from auditd.service.event_intake import ingest_checked_events

    text, unreadable = _event_text(request, body)
    outcome = ingest_checked_events(runtime_of(request), text, source=source,
                                    unreadable=unreadable)
    answer = events_outcome_dict(outcome)
    if outcome.received == 0 and any(p.severity == "error" for p in outcome.problems):
        raise ApiError(422, "no_valid_events", "no event in the request could be read; see "
                       "details.problems", details=answer)
    return answer


@router.post("/api/v1/incidents", openapi_extra=_INCIDENT_BODY,
             summary="Record an incident (again with the same id: updated)")
def post_incident(request: Request, _token: Annotated[TokenRecord, require(
                      Permission.RECORD_INCIDENTS)], body: Body) -> Response:
    from auditd.render.correlation import incident_dict
    from auditd.service.correlation import ingest_incident

    require_media_type(request, JSON_TYPES)
    parse_json(body, "incident")
    incident, new = ingest_incident(runtime_of(request), body, source="api")
    return JsonResponse({"status": "recorded" if new else "updated",
                         "incident": incident_dict(incident)}, status_code=201 if new else 200)


@router.get("/api/v1/incidents/{incident_id:path}/suspects",
            summary="Which changes preceded the incident, most likely cause first")
def get_suspects(request: Request, incident_id: IncidentId,
                 _token: Annotated[TokenRecord, require(Permission.RESPOND)],
                 window: Annotated[str | None, Query(max_length=32,
                                                     description="e.g. 6h [default: "
                                                     "correlation.window]")] = None) -> Any:
    from auditd.service.correlation import suspects

    rt = runtime_of(request)
    _incident_or_404(request, incident_id)
    return suspects(rt, incident_id, window=_window(window)).to_dict()


@router.get("/api/v1/incidents/{incident_id:path}", summary="One recorded incident")
def get_incident(request: Request, incident_id: IncidentId,
                 _token: Annotated[TokenRecord, require(Permission.RESPOND)]) -> Any:
    from auditd.render.correlation import incident_dict

    return incident_dict(_incident_or_404(request, incident_id))


def _incident_or_404(request: Request, incident_id: str) -> Any:
    found = runtime_of(request).store.incident(incident_id)
    if found is None:
        raise ApiError(404, "not_found", f"no incident {incident_id!r}; record it with "
                       "POST /api/v1/incidents or a webhook")
    return found


def _window(text: str | None) -> timedelta | None:
    if text is None:
        return None
    from auditd.timeutil import parse_duration

    try:
        span = parse_duration(text)
    except ValueError as exc:
        raise ApiError(400, "invalid_parameter", f"window: {exc}") from None
    if not timedelta(0) < span <= MAX_WINDOW:
        raise ApiError(400, "invalid_parameter", f"window {text!r}: must be more than 0 and "
                       f"at most {MAX_WINDOW.days}d")
    return span
