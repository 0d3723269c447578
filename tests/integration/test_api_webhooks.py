"""Incident webhooks over HTTP: Alertmanager (bearer token) and PagerDuty v3 (signatures)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from auditd.api.server import ApiServer
from auditd.config import ApiSettings
from tests.integration.api_support import (
    BACKENDS,
    PD_SECRET,
    PD_SECRET_OLD,
    ApiEnv,
    pd_signature,
    running_api,
)

ALERTMANAGER: dict[str, Any] = {
    "version": "4", "groupKey": '{}:{alertname="HighErrorRate"}', "status": "firing",
    "receiver": "driftaudit", "groupLabels": {"alertname": "HighErrorRate"},
    "commonLabels": {"alertname": "HighErrorRate", "severity": "critical"},
    "commonAnnotations": {"summary": "checkout 5xx above 5%"}, "externalURL": "http://am",
    "truncatedAlerts": 0,
    "alerts": [
        {"status": "firing", "labels": {"service": "checkout"}, "annotations": {},
         "startsAt": "2026-11-26T10:02:00Z", "endsAt": "0001-01-01T00:00:00Z",
         "fingerprint": "a1"},
        {"status": "firing", "labels": {"app": "payments"}, "annotations": {},
         "startsAt": "2026-11-26T10:00:00.250+01:00", "endsAt": "0001-01-01T00:00:00Z",
         "fingerprint": "a2"},
        {"status": "resolved", "labels": {"service": "search"}, "annotations": {},
         "startsAt": "2026-11-26T08:00:00Z", "endsAt": "2026-11-26T09:30:00Z",
         "fingerprint": "a3"},
    ],
}
PAGERDUTY: dict[str, Any] = {"event": {
    "id": "01DEN7GV6QKWN0Y5K5M4ZP3Y4Q", "event_type": "incident.triggered",
    "resource_type": "incident", "occurred_at": "2026-11-26T10:01:10.000Z",
    "agent": None, "client": None,
    "data": {"id": "PGR0VU2", "type": "incident", "number": 2, "status": "triggered",
             "created_at": "2026-11-26T10:01:00Z", "title": "Payments latency",
             "service": {"id": "PF9KMXH", "summary": "payments", "type": "service_reference"},
             "urgency": "high", "priority": {"summary": "P1"}}}}
AM_PATH = "/api/v1/webhooks/alertmanager"
PD_PATH = "/api/v1/webhooks/pagerduty"


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEnv]:
    with running_api(request, tmp_path_factory) as env:
        yield env


def _pagerduty(api: ApiEnv, payload: Any, signature: str | None = "sign",
               content_type: str = "application/json") -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": content_type}
    if signature == "sign":
        headers["X-PagerDuty-Signature"] = pd_signature(body)
    elif signature is not None:
        headers["X-PagerDuty-Signature"] = signature
    return api.client.post(PD_PATH, content=body, headers=headers)


def test_alertmanager_onset_is_the_earliest_firing_alert(api: ApiEnv) -> None:
    response = api.post_json(AM_PATH, ALERTMANAGER, role="ingest")
    assert response.status_code == 201, response.text
    answer = response.json()
    incident = answer["incident"]
    assert answer["status"] == "recorded"
    assert incident["onset"] == "2026-11-26T09:00:00.250000Z"  # +01:00, resolved one ignored
    assert incident["services"] == ["checkout", "payments"]
    assert incident["severity"] == "critical" and incident["source"] == "alertmanager"
    assert incident["title"] == "checkout 5xx above 5%"
    stored = api.get(f"/api/v1/incidents/{incident['id']}", role="responder")
    assert stored.status_code == 200 and stored.json() == incident


def test_alertmanager_redelivery_updates_the_same_incident(api: ApiEnv) -> None:
    payload = copy.deepcopy(ALERTMANAGER)
    payload["groupKey"] = "redelivered"
    first = api.post_json(AM_PATH, payload, role="ingest").json()
    payload["alerts"][0]["startsAt"] = "2026-11-26T07:00:00Z"
    again = api.post_json(AM_PATH, payload, role="ingest")
    assert again.status_code == 200 and again.json()["status"] == "updated"
    assert again.json()["incident"]["id"] == first["incident"]["id"]
    assert again.json()["incident"]["onset"] == "2026-11-26T07:00:00Z"


def test_alertmanager_resolved_only_is_acknowledged_not_recorded(api: ApiEnv) -> None:
    payload = copy.deepcopy(ALERTMANAGER)
    payload["groupKey"] = "all-resolved"
    payload["status"] = "resolved"
    for alert in payload["alerts"]:
        alert["status"] = "resolved"
    response = api.post_json(AM_PATH, payload, role="ingest")
    assert response.status_code == 200
    assert response.json()["status"] == "ignored" and response.json()["incident"] is None


@pytest.mark.parametrize("payload", [
    {"version": "4", "alerts": []},                       # no groupKey
    {"groupKey": "g", "alerts": "many"},                  # alerts not a list
    {"version": "3", "groupKey": "g", "alerts": [
        {"status": "firing", "startsAt": "2026-11-26T10:00:00Z"}]},
    {"groupKey": "g", "alerts": [{"status": "firing", "startsAt": "not a time"}]},
    [1, 2, 3],
])
def test_alertmanager_bad_payloads_are_400(api: ApiEnv, payload: Any) -> None:
    response = api.post_json(AM_PATH, payload, role="ingest")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_alertmanager_needs_an_ingest_token(api: ApiEnv) -> None:
    assert api.post_json(AM_PATH, ALERTMANAGER, role=None).status_code == 401
    assert api.post_json(AM_PATH, ALERTMANAGER, role="viewer").status_code == 403
    assert api.post_json(AM_PATH, ALERTMANAGER, role="responder").status_code == 403


def test_pagerduty_signed_trigger_records_the_incident(api: ApiEnv) -> None:
    response = _pagerduty(api, PAGERDUTY)
    assert response.status_code in (200, 201), response.text
    incident = response.json()["incident"]
    assert incident["id"] == "pagerduty:PGR0VU2" and incident["services"] == ["payments"]
    assert incident["onset"] == "2026-11-26T10:01:00Z" and incident["severity"] == "P1"
    again = _pagerduty(api, PAGERDUTY)
    assert again.status_code == 200 and again.json()["status"] == "updated"


@pytest.mark.parametrize(("signature", "code"), [
    (None, "signature_missing"),
    ("", "signature_missing"),
    ("v1=" + "0" * 64, "signature_invalid"),
    ("v0=abc", "signature_invalid"),
    ("garbage", "signature_invalid"),
    ("v1=" + "é" * 10, "signature_invalid"),
])
def test_pagerduty_without_a_valid_signature_is_401(api: ApiEnv, signature: str | None,
                                                    code: str) -> None:
    payload = copy.deepcopy(PAGERDUTY)
    payload["event"]["data"]["id"] = "PUNSIGNED"
    headers: dict[str, bytes] = {"Content-Type": b"application/json"}
    if signature is not None:  # raw bytes: a non-ASCII header must not break the server
        headers["X-PagerDuty-Signature"] = signature.encode("utf-8")
    response = api.client.post(PD_PATH, content=json.dumps(payload).encode("utf-8"),
                               headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert api.get("/api/v1/incidents/pagerduty:PUNSIGNED").status_code == 404


def test_pagerduty_signature_covers_the_exact_body(api: ApiEnv) -> None:
    body = json.dumps(PAGERDUTY).encode()
    tampered = body.replace(b"Payments latency", b"Payments latencY")
    response = api.client.post(PD_PATH, content=tampered, headers={
        "Content-Type": "application/json", "X-PagerDuty-Signature": pd_signature(body)})
    assert response.status_code == 401


def test_pagerduty_rotation_any_signature_any_secret(api: ApiEnv) -> None:
    payload = copy.deepcopy(PAGERDUTY)
    payload["event"]["data"]["id"] = "PROTATE"
    body = json.dumps(payload).encode()
    stale = pd_signature(body, "a-secret-nobody-has")
    both = f"{stale}, {pd_signature(body, PD_SECRET)}"
    response = api.client.post(PD_PATH, content=body, headers={
        "Content-Type": "application/json", "X-PagerDuty-Signature": both})
    assert response.status_code == 201
    old = api.client.post(PD_PATH, content=body, headers={
        "Content-Type": "application/json",
        "X-PagerDuty-Signature": pd_signature(body, PD_SECRET_OLD)})
    assert old.status_code == 200  # the second secret in the file still verifies


def test_pagerduty_other_event_types_are_acknowledged(api: ApiEnv) -> None:
    payload = copy.deepcopy(PAGERDUTY)
    payload["event"]["event_type"] = "incident.acknowledged"
    payload["event"]["data"]["id"] = "PACK"
    response = _pagerduty(api, payload)
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert "incident.acknowledged" in response.json()["reason"]
    assert api.get("/api/v1/incidents/pagerduty:PACK").status_code == 404


def test_pagerduty_signed_but_malformed_is_400(api: ApiEnv) -> None:
    assert _pagerduty(api, {"event": "nope"}).status_code == 400
    assert _pagerduty(api, {"event": {"event_type": "incident.triggered",
                                      "data": {}}}).status_code == 400
    assert _pagerduty(api, PAGERDUTY, content_type="text/plain").status_code == 415


def test_pagerduty_without_a_configured_secret_is_503(api: ApiEnv) -> None:
    server = ApiServer(api.runtime, api_settings=ApiSettings()).start()
    try:
        body = json.dumps(PAGERDUTY).encode()
        response = httpx.post(f"{server.url}{PD_PATH}", content=body, headers={
            "Content-Type": "application/json", "X-PagerDuty-Signature": pd_signature(body)})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "webhook_not_configured"
    finally:
        server.stop()
