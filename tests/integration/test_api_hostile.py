"""Hostile and broken requests: each gets a clean 4xx with a JSON error, nothing is stored
from it, and the server keeps answering."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from auditd.api.bodies import MAX_DEPTH, MAX_ITEMS, MAX_STRING
from auditd.api.server import ApiServer
from auditd.config import Settings
from auditd.service import Runtime
from tests.integration.api_support import MAX_BODY, ApiEnv, running_api
from tests.integration.store_support import execute

EVENT = {"id": "h-1", "summary": "deploy", "started_at": "2026-11-26T09:00:00Z",
         "source": "hostile"}


@pytest.fixture(scope="module", params=["sqlite"])
def api(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEnv]:
    # SQLite only: these requests never reach the store (the answers are the API's own).
    with running_api(request, tmp_path_factory) as env:
        yield env
        assert env.client.get("/healthz").status_code == 200  # still serving afterwards
        assert env.runtime.store.events(source="hostile") == []


def _post(api: ApiEnv, body: bytes, content_type: str = "application/json",
          path: str = "/api/v1/changes") -> tuple[int, dict[str, str]]:
    response = api.client.post(path, content=body, headers=api.headers(
        "admin", **{"Content-Type": content_type}))
    assert response.headers["content-type"].startswith("application/json")
    return response.status_code, response.json()["error"] if response.status_code >= 400 else {}


@pytest.mark.parametrize(("body", "status", "code"), [
    (b"[" * 100_000 + b"]" * 100_000, 400, "payload_too_deep"),
    (b'{"a":' * (MAX_DEPTH + 5) + b"1" + b"}" * (MAX_DEPTH + 5), 400, "payload_too_deep"),
    (json.dumps({**EVENT, "summary": "x" * (MAX_STRING + 1)}).encode(), 400, "value_too_long"),
    (json.dumps({**EVENT, "k" * (MAX_STRING + 1): 1}).encode(), 400, "value_too_long"),
    (b'{"summary": "\xff\xfe", "started_at": "2026-11-26T09:00:00Z"}', 400, "invalid_encoding"),
    (b"", 400, "empty_body"),
])
def test_hostile_json_bodies(api: ApiEnv, body: bytes, status: int, code: str) -> None:
    got, error = _post(api, body)
    assert (got, error.get("code")) == (status, code), error
    assert error["message"]


def test_deep_nesting_in_one_ndjson_line_refuses_the_request(api: ApiEnv) -> None:
    body = json.dumps(EVENT).encode() + b"\n" + b"[" * 5000 + b"]" * 5000 + b"\n"
    got, error = _post(api, body, "application/x-ndjson")
    assert (got, error["code"]) == (400, "payload_too_deep") and "line 2" in error["message"]


@pytest.mark.parametrize("path", ["/api/v1/incidents", "/api/v1/webhooks/alertmanager"])
def test_hostile_bodies_on_other_routes(api: ApiEnv, path: str) -> None:
    assert _post(api, b"[" * 50_000, path=path)[1]["code"] == "payload_too_deep"
    assert _post(api, b"{not json", path=path)[1]["code"] == "invalid_json"
    assert _post(api, b'"\xc3\x28"', path=path)[1]["code"] == "invalid_encoding"
    assert _post(api, b'{"id": "x"}', "text/plain", path=path)[0] == 415


def test_body_over_the_limit_is_413(api: ApiEnv) -> None:
    big = json.dumps([{**EVENT, "id": f"big-{n}", "summary": "y" * 1000}
                      for n in range(MAX_BODY // 1000 + 10)]).encode()
    got, error = _post(api, big)
    assert (got, error["code"]) == (413, "payload_too_large")


def test_streamed_body_over_the_limit_is_413(api: ApiEnv) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        yield b"["
        for n in range(MAX_BODY // 100 + 10):
            yield json.dumps({**EVENT, "id": f"s-{n}", "summary": "z" * 50}).encode() + b","
        yield b"{}]"

    response = api.client.post("/api/v1/changes", content=chunks(), headers=api.headers(
        "admin", **{"Content-Type": "application/json"}))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_lying_content_length_is_refused(api: ApiEnv) -> None:
    url = urlsplit(api.url)
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=5) as s:
        s.sendall(b"POST /api/v1/changes HTTP/1.1\r\nHost: x\r\n"
                  b"Authorization: Bearer " + api.tokens["admin"].encode() + b"\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{}")
        reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413")


def test_too_many_events_in_one_request(api: ApiEnv) -> None:
    items = [{}] * (MAX_ITEMS + 1)  # small enough for the body limit
    body = json.dumps(items, separators=(",", ":")).encode()
    for content_type in ("application/json", "application/x-ndjson"):  # one line, one array
        got, error = _post(api, body, content_type)
        assert (got, error["code"]) == (413, "too_many_items")


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml",
                                          "application/json; charset=latin-1",
                                          "multipart/form-data; boundary=x", ""])
def test_wrong_content_types_are_415(api: ApiEnv, content_type: str) -> None:
    got, error = _post(api, json.dumps(EVENT).encode(), content_type)
    assert (got, error["code"]) == (415, "unsupported_media_type")


def test_json_variants_of_the_media_type_are_accepted(api: ApiEnv) -> None:
    for content_type in ("application/json; charset=utf-8", "application/vnd.events+json",
                         "application/jsonl"):
        got, error = _post(api, json.dumps({**EVENT, "source": "variants"}).encode(),
                           content_type)
        assert got == 200, (content_type, error)


@pytest.mark.parametrize("item", [
    {"summary": ["a", "list"], "started_at": "2026-11-26T09:00:00Z"},
    {"summary": "s", "started_at": {"nested": True}},
    {"summary": "s", "started_at": 10**30},
    {"summary": "s", "started_at": "2026-11-26T09:00:00Z", "services": 7},
    {"summary": "s", "started_at": "2026-11-26T09:00:00Z", "reviewed": "maybe"},
    "just a string",
    None,
])
def test_wrong_types_are_per_event_errors(api: ApiEnv, item: object) -> None:
    got, error = _post(api, json.dumps([item]).encode())
    assert (got, error["code"]) == (422, "no_valid_events")
    [problem] = error["details"]["problems"]  # type: ignore[index]
    assert problem["severity"] == "error" and problem["message"]


def test_numbers_json_cannot_hold_are_refused(api: ApiEnv) -> None:
    for body in (b'[{"summary": "s", "started_at": ' + b"9" * 5000 + b"}]", b"[NaN]",
                 b"[1e999]"):
        got, error = _post(api, body)
        assert got in (400, 422), error


def test_ndjson_with_a_broken_line_keeps_the_rest(api: ApiEnv) -> None:
    body = (json.dumps({**EVENT, "id": "nd-1", "source": "ndjson-mix"}) + "\n"
            + '{"truncated": \n'
            + json.dumps({**EVENT, "id": "nd-2", "source": "ndjson-mix"}) + "\n").encode()
    response = api.client.post("/api/v1/changes", content=body, headers=api.headers(
        "admin", **{"Content-Type": "application/x-ndjson"}))
    assert response.status_code == 200
    answer = response.json()
    assert answer["received"] == 2
    [problem] = answer["problems"]
    assert problem["item"] == 2 and "not JSON" in problem["message"]


def test_odd_paths_and_parameters(api: ApiEnv) -> None:
    long_id = "x" * 300
    assert api.get(f"/api/v1/incidents/{long_id}").status_code == 400
    assert api.get("/api/v1/incidents/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert api.get("/api/v1/changes", params={"key": "*" * 5000}).status_code == 400
    assert api.get("/api/v1/changes", params={"limit": "ten"}).status_code == 400
    response = api.get("/api/v1/changes", params={"since": "9" * 400})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_parameter"


def test_health_is_503_without_details_when_the_store_fails(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    runtime = Runtime(Settings(state_dir=tmp_path / "state"), db_url=f"sqlite:///{db}")
    server = ApiServer(runtime).start()
    try:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        execute(runtime.store, "DROP TABLE cursors")  # the store breaks behind its back
        response = httpx.get(f"{server.url}/healthz")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "store_unavailable"
        assert str(db) not in response.text
    finally:
        server.stop()
        runtime.close()
