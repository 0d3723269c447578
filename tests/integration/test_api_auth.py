"""API tokens and roles: what is stored, who may call what, and the 401/403 answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from auditd.config import Settings
from auditd.errors import InputError
from auditd.service import Runtime, now_utc
from auditd.service.tokens import (
    authenticate,
    create_token,
    hash_token,
    list_tokens,
    revoke_token,
)
from tests.cli_support import run
from tests.integration.api_support import BACKENDS, ApiEnv, running_api
from tests.integration.store_support import dump_tables


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEnv]:
    with running_api(request, tmp_path_factory) as env:
        yield env


@pytest.fixture
def rt(store_url: str, tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime(Settings(state_dir=tmp_path / "state"), db_url=store_url)
    yield runtime
    runtime.close()


def test_only_the_hash_of_a_token_is_stored(rt: Runtime) -> None:
    created = create_token(rt, "ci", "ingest", expires_in=timedelta(days=90), created_by="ops")
    assert created.secret.startswith("da_") and len(created.secret) >= 3 + 43
    everything = dump_tables(rt.store)
    assert created.secret not in everything
    assert created.secret[3:] not in everything
    assert hash_token(created.secret) in everything
    [listed] = list_tokens(rt)
    assert (listed.name, listed.role, listed.created_by) == ("ci", "ingest", "ops")
    assert listed.prefix == created.secret[:11]
    assert listed.expires_at is not None
    assert timedelta(days=89) < listed.expires_at - listed.created_at <= timedelta(days=90)


def test_tokens_are_random_and_names_unique(rt: Runtime) -> None:
    first = create_token(rt, "a", "viewer").secret
    second = create_token(rt, "b", "viewer").secret
    assert first != second
    with pytest.raises(InputError, match="already exists"):
        create_token(rt, "a", "admin")
    with pytest.raises(InputError, match="unknown role"):
        create_token(rt, "c", "root")
    with pytest.raises(InputError, match="not valid"):
        create_token(rt, "bad name\n", "viewer")


def test_revoked_expired_and_malformed_tokens_do_not_authenticate(rt: Runtime) -> None:
    live = create_token(rt, "live", "viewer").secret
    gone = create_token(rt, "gone", "viewer").secret
    old = create_token(rt, "old", "viewer", expires_in=timedelta(seconds=1),
                       now=now_utc() - timedelta(hours=1)).secret
    revoke_token(rt, "gone")
    record = authenticate(rt, live)
    assert record is not None and record.name == "live"
    assert authenticate(rt, gone) is None
    assert authenticate(rt, old) is None
    assert authenticate(rt, live + "x") is None
    assert authenticate(rt, "da_" + "A" * 43) is None
    assert authenticate(rt, "") is None
    with pytest.raises(InputError, match="no token named"):
        revoke_token(rt, "never-made")
    again = revoke_token(rt, "gone")  # revoking twice changes nothing
    assert again.revoked_at == next(t for t in list_tokens(rt) if t.name == "gone").revoked_at


def test_token_commands(capsys: pytest.CaptureFixture[str], store_url: str,
                        cli_state: Path) -> None:
    code, out, err = run(capsys, "--db", store_url, "token", "create", "deploy-bot", "--role",
                         "ingest", "--expires", "90d")
    assert code == 0 and "shown only now" in err
    secret = out.strip()
    assert secret.startswith("da_")
    code, out, _ = run(capsys, "--db", store_url, "token", "list", "--json")
    [listed] = json.loads(out)
    assert listed["name"] == "deploy-bot" and listed["role"] == "ingest"
    assert secret not in out and listed["revoked_at"] is None
    code, out, _ = run(capsys, "--db", store_url, "token", "list")
    assert "deploy-bot" in out and "active" in out and secret not in out
    code, out, _ = run(capsys, "--db", store_url, "token", "revoke", "deploy-bot")
    assert code == 0 and "revoked" in out
    code, out, _ = run(capsys, "--db", store_url, "token", "list")
    assert "revoked" in out
    code, _, err = run(capsys, "--db", store_url, "token", "create", "x", "--role", "root")
    assert code == 2
    code, _, err = run(capsys, "--db", store_url, "token", "create", "x", "--role", "viewer",
                       "--expires", "soon")
    assert code == 2 and "--expires" in err


# (method, path, permission group): which roles may call what.
ENDPOINTS = [
    ("GET", "/api/v1/changes", "read"),
    ("GET", "/api/v1/scopes", "read"),
    ("GET", "/api/v1/drift", "read"),
    ("GET", "/api/v1/unreviewed", "read"),
    ("GET", "/api/v1/events", "read"),
    ("GET", "/api/v1/incidents/INC-AUTH", "respond"),
    ("GET", "/api/v1/incidents/INC-AUTH/suspects", "respond"),
    ("POST", "/api/v1/incidents", "record"),
    ("POST", "/api/v1/changes", "ingest"),
    ("POST", "/api/v1/webhooks/alertmanager", "ingest"),
]
ALLOWED = {
    "read": {"viewer", "auditor", "responder", "admin"},
    "respond": {"responder", "admin"},
    "record": {"responder", "ingest", "admin"},
    "ingest": {"ingest", "admin"},
}
BODIES = {
    "/api/v1/incidents": {"id": "INC-AUTH", "onset": "2026-11-26T10:00:00Z"},
    "/api/v1/changes": {"id": "auth-1", "summary": "deploy", "started_at": "2026-11-26T09:00:00Z"},
    "/api/v1/webhooks/alertmanager": {
        "version": "4", "groupKey": "auth", "status": "firing",
        "alerts": [{"status": "firing", "labels": {"service": "web"},
                    "startsAt": "2026-11-26T09:59:00Z"}]},
}


def _call(api: ApiEnv, method: str, path: str, headers: dict[str, str]) -> int:
    if method == "GET":
        return api.client.get(path, headers=headers).status_code
    return api.client.post(path, json=BODIES[path], headers=headers).status_code


def test_roles_matrix(api: ApiEnv) -> None:
    api.post_json("/api/v1/incidents", BODIES["/api/v1/incidents"])
    failures = []
    for method, path, group in ENDPOINTS:
        for role in sorted(api.tokens):
            status = _call(api, method, path, api.headers(role))
            allowed = role in ALLOWED[group]
            if (status == 403) == allowed or (allowed and status >= 400):
                failures.append(f"{role} {method} {path}: {status}")
    assert not failures


@pytest.mark.parametrize(("method", "path", "group"), ENDPOINTS)
def test_every_protected_route_needs_a_valid_token(api: ApiEnv, method: str, path: str,
                                                   group: str) -> None:
    for headers in ({}, {"Authorization": "Bearer da_" + "x" * 43},
                    {"Authorization": "Basic dXNlcjpwYXNz"},
                    {"Authorization": f"Bearer {api.tokens['admin']}extra"}):
        response = (api.client.get(path, headers=headers) if method == "GET" else
                    api.client.post(path, json=BODIES[path], headers=headers))
        assert response.status_code == 401, (headers, response.text)
        error = response.json()["error"]
        assert error["code"] in {"unauthorized", "invalid_token"} and error["message"]
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_forbidden_is_403_with_a_json_error(api: ApiEnv) -> None:
    response = api.post_json("/api/v1/changes", BODIES["/api/v1/changes"], role="viewer")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden" and "viewer" in error["message"]


def test_a_revoked_token_stops_working_at_once(api: ApiEnv) -> None:
    secret = create_token(api.runtime, "short-lived", "viewer").secret
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.client.get("/api/v1/scopes", headers=headers).status_code == 200
    revoke_token(api.runtime, "short-lived")
    assert api.client.get("/api/v1/scopes", headers=headers).status_code == 401


def test_use_is_recorded_without_a_write_per_request(api: ApiEnv) -> None:
    secret = create_token(api.runtime, "used", "viewer").secret
    headers = {"Authorization": f"Bearer {secret}"}
    assert next(t for t in list_tokens(api.runtime) if t.name == "used").last_used_at is None
    api.client.get("/api/v1/scopes", headers=headers)
    first = next(t for t in list_tokens(api.runtime) if t.name == "used").last_used_at
    assert first is not None
    api.client.get("/api/v1/scopes", headers=headers)
    assert next(t for t in list_tokens(api.runtime) if t.name == "used").last_used_at == first


def test_health_needs_no_token(api: ApiEnv) -> None:
    response = api.client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
