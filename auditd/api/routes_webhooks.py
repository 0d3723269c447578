"""Incident webhooks: Alertmanager (bearer token of role ``ingest``) and PagerDuty v3
(``X-PagerDuty-Signature``, HMAC-SHA256 of the raw body with the subscription's secret).

Notifications that carry no incident to record (resolved-only Alertmanager groups,
PagerDuty event types other than ``incident.triggered``) are answered 200 with
``status: ignored`` so the sender does not retry them.  The signature is checked on the
raw bytes before the body is parsed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from starlette.responses import Response

from auditd.api.auth import require, runtime_of
from auditd.api.bodies import JSON_TYPES, parse_json, require_media_type
from auditd.api.contracts import webhook_dict
from auditd.api.errors import ApiError, JsonResponse
from auditd.api.routes_incidents import Body
from auditd.service.tokens import Permission
from auditd.store import TokenRecord

__all__ = ["router"]

router = APIRouter(tags=["webhooks"])
_JSON_BODY = {"requestBody": {"required": True,
                              "content": {"application/json": {"schema": {"type": "object"}}}}}


def _answer(outcome: Any) -> Response:
    return JsonResponse(webhook_dict(outcome),
                        status_code=201 if outcome.status == "recorded" else 200)


@router.post("/api/v1/webhooks/alertmanager", openapi_extra=_JSON_BODY,
             summary="Alertmanager webhook (version 4): records the alert group's incident")
def alertmanager(request: Request,
                 _token: Annotated[TokenRecord, require(Permission.WEBHOOKS)],
                 body: Body) -> Response:
    from auditd.service.webhooks import alertmanager_notification

    require_media_type(request, JSON_TYPES)
    payload = parse_json(body, "alertmanager webhook")
    return _answer(alertmanager_notification(runtime_of(request), payload))


@router.post("/api/v1/webhooks/pagerduty", openapi_extra=_JSON_BODY,
             summary="PagerDuty v3 webhook: incident.triggered records the incident")
def pagerduty(request: Request, body: Body,
              x_pagerduty_signature: Annotated[str | None, Header(max_length=4096)] = None,
              ) -> Response:
    from auditd.service.webhooks import (
        pagerduty_event,
        pagerduty_secrets,
        verify_pagerduty_signature,
    )

    secrets = pagerduty_secrets(request.app.state.api_settings)
    if not secrets:
        raise ApiError(503, "webhook_not_configured", "no PagerDuty webhook secret is "
                       "configured (api.pagerduty_secret_file or "
                       "DRIFTAUDIT_API__PAGERDUTY_SECRET); see docs/api.md")
    if not (x_pagerduty_signature or "").strip():
        raise ApiError(401, "signature_missing", "the X-PagerDuty-Signature header is missing")
    if not verify_pagerduty_signature(body, x_pagerduty_signature or "", secrets):
        raise ApiError(401, "signature_invalid", "no X-PagerDuty-Signature matches the body "
                       "signed with a configured secret")
    require_media_type(request, JSON_TYPES)
    payload = parse_json(body, "pagerduty webhook")
    return _answer(pagerduty_event(runtime_of(request), payload))
