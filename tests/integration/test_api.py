"""The HTTP API's endpoints over a real server and store: answers, filters, pages, errors,
and the same JSON as the CLI's ``--json`` for the same store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditd.model import ScopeSelector, Snapshot, SnapshotError
from tests.cli_support import run
from tests.helpers import at
from tests.integration.api_support import BACKENDS, CASES, ApiEnv, running_api
from tests.integration.store_support import resource

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
CASE = CASES / "checkout-payments-deploy"
OTHER = "210987654321"


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEnv]:
    with running_api(request, tmp_path_factory) as env:
        _seed(env)
        yield env


def _seed(env: ApiEnv) -> None:
    """Two scopes with changes across accounts, regions and types; one scope incomplete."""
    store, fp = env.runtime.store, env.runtime.fingerprinter
    first = [resource("b1"), resource("b2", region="us-east-1"),
             resource("sg-1", tf_type="aws_security_group")]
    second = [resource("b1", {"name": "b1", "acl": "public-read"}),
              resource("b2", {"name": "b2", "v": 2}, region="us-east-1"),
              resource("b3"), resource("sg-1", {"name": "sg", "ingress": ["0.0.0.0/0"]},
                                       tf_type="aws_security_group")]
    store.ingest(Snapshot("aws/test", at(0), tuple(first)), fp)
    store.ingest(Snapshot("aws/test", at(1), tuple(second)), fp)
    other = [resource("q1", tf_type="aws_sqs_queue", account=OTHER)]
    store.ingest(Snapshot(f"aws/{OTHER}", at(0), tuple(other)), fp)
    failed = SnapshotError("AccessDenied on sqs:ListQueues",
                           ScopeSelector(OTHER, "eu-west-1", "aws_sqs_queue"), "access-denied")
    store.ingest(Snapshot(f"aws/{OTHER}", at(2), (), complete=False, errors=(failed,)), fp)


def _cli(capsys: pytest.CaptureFixture[str], api: ApiEnv, *args: str) -> Any:
    code, out, err = run(capsys, "--config", str(api.config), "--db", api.db_url, *args)
    assert code in (0, 1), err
    return json.loads(out)


def test_changes_match_the_cli_and_filter(api: ApiEnv,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    answer = api.get("/api/v1/changes").json()
    assert answer["next_cursor"] is None
    assert answer["changes"] == _cli(capsys, api, "changes", "--json")
    assert len(answer["changes"]) >= 6
    by_type = api.get("/api/v1/changes", params={"type": "aws_security_group"}).json()
    assert {c["type"] for c in by_type["changes"]} == {"aws_security_group"}
    by_region = api.get("/api/v1/changes", params={"region": "us-east-1"}).json()["changes"]
    assert by_region and {c["region"] for c in by_region} == {"us-east-1"}
    by_account = api.get("/api/v1/changes", params={"account": OTHER}).json()["changes"]
    assert [c["resource_id"] for c in by_account] == ["q1"]
    later = api.get("/api/v1/changes", params={"since": at(0.5).isoformat()}).json()["changes"]
    assert later and all(c["observed_at"] >= "2026-11-01T12:30" for c in later)
    live = api.get("/api/v1/changes", params={"origin": "live"}).json()["changes"]
    assert len(live) == len(answer["changes"])
    none = api.get("/api/v1/changes", params={"origin": "declared"}).json()["changes"]
    assert none == []


def test_changes_page_through_every_change_once(api: ApiEnv) -> None:
    everything = [c["id"] for c in api.get("/api/v1/changes").json()["changes"]]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/changes", params=params).json()
        seen += [c["id"] for c in page["changes"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything


@pytest.mark.parametrize(("params", "fragment"), [
    ({"since": "last tuesday"}, "since"),
    ({"until": "2026-13-45"}, "until"),
    ({"limit": 0}, "limit"),
    ({"limit": 100000}, "limit"),
    ({"origin": "cloud"}, "origin"),
    ({"cursor": "not-a-cursor!"}, "cursor"),
    ({"cursor": "WyJ4Il0"}, "cursor"),  # base64 of ["x"]
])
def test_bad_query_parameters_are_400(api: ApiEnv, params: dict[str, Any],
                                      fragment: str) -> None:
    response = api.get("/api/v1/changes", params=params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] in {"invalid_parameter", "invalid_input"}
    assert fragment in error["message"]


@pytest.mark.parametrize(("path", "cursor"), [
    ("/api/v1/events", "WzE3NjQxNTAwNjMwMDAwMDAsIDgxMl0"),  # a changes cursor: [µs, 812]
    ("/api/v1/changes", "WzE3NjQxNTAwNjMwMDAwMDAsICJjaSIsICJkMSJd"),  # an events cursor
    ("/api/v1/events", "WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwLCAiY2kiLCAiZDEiXQ"),  # year > 9999
])
def test_a_cursor_of_another_listing_is_400(api: ApiEnv, path: str, cursor: str) -> None:
    response = api.get(path, params={"cursor": cursor})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and "cursor" in error["message"]
    assert "next_cursor" in error["message"]


def test_scopes_warn_about_incomplete_scopes(api: ApiEnv,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    answer = api.get("/api/v1/scopes").json()
    assert answer["scopes"] == _cli(capsys, api, "scopes", "--json")
    [warning] = answer["warnings"]
    assert warning["scope"] == f"aws/{OTHER}" and warning["code"] == "incomplete_scope"
    assert "AccessDenied on sqs:ListQueues" in warning["message"]
    assert warning["errors"] == [{"kind": "access-denied",
                                  "message": "AccessDenied on sqs:ListQueues",
                                  "selector": {"account": OTHER, "region": "eu-west-1",
                                               "tf_type": "aws_sqs_queue"}}]


def test_drift_is_the_cli_document_plus_warnings(api: ApiEnv,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cli = _cli(capsys, api, "drift", "--json")  # records the lifecycle; the API reads it
    answer = api.get("/api/v1/drift").json()
    assert set(cli) <= set(answer)
    assert answer["findings"] == cli["findings"]
    assert answer["coverage"] == cli["coverage"] and answer["findings"]
    assert [w["scope"] for w in answer["warnings"]] == [f"aws/{OTHER}"]
    kept = api.get("/api/v1/drift", params={"type": "aws_security_group"}).json()["findings"]
    assert all(f["type"] == "aws_security_group" for f in kept)
    bad = api.get("/api/v1/drift", params={"severity": "apocalyptic"})
    assert bad.status_code == 400 and "severity" in bad.json()["error"]["message"]


def test_unreviewed_is_the_cli_list(api: ApiEnv, capsys: pytest.CaptureFixture[str]) -> None:
    since = at(-1).isoformat()
    answer = api.get("/api/v1/unreviewed", params={"since": since}).json()
    assert answer["changes"] == _cli(capsys, api, "unreviewed", "--since", since, "--json")
    assert answer["changes"] and {c["status"] for c in answer["changes"]} <= {
        "unreviewed", "out-of-band", "self-approved", "emergency-pending", "emergency-overdue"}


def test_posted_events_are_stored_once_and_listed(api: ApiEnv) -> None:
    events = [{"id": f"ev-{n}", "kind": "deploy", "summary": f"web v{n}", "service": "web",
               "started_at": f"2026-10-01T0{n}:00:00Z", "source": "ci-list"} for n in range(5)]
    first = api.post_json("/api/v1/changes", events)
    assert first.status_code == 200 and first.json() == {"received": 5, "new": 5, "problems": []}
    again = api.post_json("/api/v1/changes", events).json()
    assert again["new"] == 0  # idempotent by (source, id)
    listed = api.get("/api/v1/events", params={"source": "ci-list"}).json()
    assert [e["id"] for e in listed["events"]] == [f"ev-{n}" for n in range(5)]
    assert listed["events"][0]["services"] == ["web"] and listed["events"][0]["kind"] == "deploy"
    page = api.get("/api/v1/events", params={"source": "ci-list", "limit": 3}).json()
    rest = api.get("/api/v1/events", params={"source": "ci-list", "limit": 3,
                                             "cursor": page["next_cursor"]}).json()
    assert [e["id"] for e in page["events"] + rest["events"]] == [f"ev-{n}" for n in range(5)]
    assert rest["next_cursor"] is None


def test_the_three_event_shapes_and_ndjson(api: ApiEnv) -> None:
    pagerduty = {"routing_key": "k", "payload": {
        "summary": "billing flag on", "timestamp": "2026-10-02T08:42:58.315+0000",
        "source": "launchdarkly", "custom_details": {"service": "billing"}},
        "links": [{"href": "https://flags.example/1"}]}
    datadog = {"data": {"type": "event", "attributes": {
        "category": "change", "title": "cart config", "timestamp": "2026-10-02T09:00:00Z",
        "attributes": {"changed_resource": {"name": "cart_ttl", "type": "configuration"},
                       "impacted_resources": [{"name": "cart", "type": "service"}],
                       "author": {"name": "ana@example.com", "type": "user"},
                       "prev_value": {"ttl": 5}, "new_value": {"ttl": 50}}}}}
    ours = {"id": "shape-1", "summary": "api v3", "started_at": "2026-10-02T10:00:00Z",
            "source": "shapes"}
    ndjson = "\n".join(json.dumps(e) for e in (pagerduty, datadog, ours)) + "\n"
    response = api.client.post("/api/v1/changes", content=ndjson.encode(),
                               headers=api.headers("ingest", **{
                                   "Content-Type": "application/x-ndjson"}))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["received"] == 3 and not [p for p in body["problems"]
                                          if p["severity"] == "error"]
    events = api.get("/api/v1/events", params={"since": "2026-10-02T00:00:00Z",
                                               "until": "2026-10-02T23:00:00Z"}).json()
    services = {e["summary"]: e["services"] for e in events["events"]}
    assert services["billing flag on"] == ["billing"] and services["api v3"] == []
    assert any(s == ["cart"] for s in services.values())


def test_bad_events_are_reported_and_the_rest_stored(api: ApiEnv) -> None:
    text = ('{"id": "mix-1", "summary": "ok", "started_at": "2026-10-03T01:00:00Z"}\n'
            '{"id": "mix-2", "summary": "no time"}\n'
            "this is not json\n"
            '{"id": "mix-3", "summary": 42, "started_at": "2026-10-03T02:00:00Z"}\n'
            '{"id": "mix-4", "summary": "later", "started_at": "2026-10-03T03:00:00Z"}\n')
    response = api.client.post("/api/v1/changes", params={"source": "mix"},
                               content=text.encode(),
                               headers=api.headers("ingest", **{
                                   "Content-Type": "application/x-ndjson"}))
    assert response.status_code == 200
    body = response.json()
    assert (body["received"], body["new"]) == (2, 2)
    errors = {p["item"]: p["message"] for p in body["problems"] if p["severity"] == "error"}
    assert set(errors) == {2, 3, 4}
    assert "started_at" in errors[2] and "not JSON" in errors[3] and "summary" in errors[4]
    stored = api.get("/api/v1/events", params={"source": "mix"}).json()["events"]
    assert [e["id"] for e in stored] == ["mix-1", "mix-4"]


def test_no_valid_event_is_422_with_the_problems(api: ApiEnv) -> None:
    response = api.post_json("/api/v1/changes", [{"summary": "x"}, {"started_at": "now"}])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "no_valid_events"
    assert len(error["details"]["problems"]) == 2


def test_incidents_are_recorded_once_and_read_back(api: ApiEnv) -> None:
    incident = {"id": "INC-R1", "onset": "2026-10-04T10:00:00Z", "services": ["web"],
                "severity": "high", "title": "web down"}
    created = api.post_json("/api/v1/incidents", incident, role="responder")
    assert created.status_code == 201 and created.json()["status"] == "recorded"
    updated = api.post_json("/api/v1/incidents", {**incident, "severity": "critical"},
                            role="ingest")
    assert updated.status_code == 200 and updated.json()["status"] == "updated"
    got = api.get("/api/v1/incidents/INC-R1", role="responder").json()
    assert got["severity"] == "critical" and got["onset"] == "2026-10-04T10:00:00Z"
    assert got["source"] == "api"
    missing = api.get("/api/v1/incidents/NOPE")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api.get("/api/v1/incidents/NOPE/suspects").status_code == 404
    bad = api.post_json("/api/v1/incidents", {"id": "INC-R2", "onset": "yesterday-ish"})
    assert bad.status_code == 400 and "onset" in bad.json()["error"]["message"]
    no_id = api.post_json("/api/v1/incidents", {"onset": "2026-10-04T10:00:00Z"})
    assert no_id.status_code == 400


def test_suspects_window_is_checked(api: ApiEnv) -> None:
    api.post_json("/api/v1/incidents", {"id": "INC-W", "onset": "2026-10-05T10:00:00Z"})
    for window in ("soon", "0s", "400d"):
        response = api.get("/api/v1/incidents/INC-W/suspects", params={"window": window})
        assert response.status_code == 400 and "window" in response.json()["error"]["message"]
    narrow = api.get("/api/v1/incidents/INC-W/suspects", params={"window": "1m"}).json()
    assert narrow["verdict"] == "no-candidates"


def test_changes_then_incident_then_suspects_match_the_cli(
        api: ApiEnv, capsys: pytest.CaptureFixture[str]) -> None:
    posted = api.client.post("/api/v1/changes", content=(CASE / "changes.ndjson").read_bytes(),
                             headers=api.headers("ingest", **{
                                 "Content-Type": "application/x-ndjson"}))
    assert posted.status_code == 200 and posted.json()["received"] >= 3
    incident = api.client.post("/api/v1/incidents",
                               content=(CASE / "incident.json").read_bytes(),
                               headers=api.headers("ingest", **{
                                   "Content-Type": "application/json"}))
    assert incident.status_code in (200, 201)
    answer = api.get("/api/v1/incidents/INC-101/suspects", role="responder",
                     params={"window": "6h"})
    assert answer.status_code == 200
    report = answer.json()
    expected = json.loads((CASE / "expected.json").read_text())["cause"]
    assert report["schema"] == "driftaudit.suspects/v1" and report["verdict"] == "change"
    assert report["suspects"][0]["change"]["ref"] == expected
    assert report == _cli(capsys, api, "suspects", "INC-101", "--window", "6h", "--json")


def test_unknown_routes_and_methods_answer_json(api: ApiEnv) -> None:
    for response in (api.get("/api/v1/nothing-here"), api.client.delete("/api/v1/changes"),
                     api.get("/api/v1/webhooks/alertmanager")):
        assert response.status_code in (404, 405)
        assert response.headers["content-type"].startswith("application/json")
        assert set(response.json()["error"]) == {"code", "message"}


def test_the_committed_openapi_document_is_current(api: ApiEnv) -> None:
    served = api.client.get("/api/v1/openapi.json").json()
    assert OPENAPI.exists(), "write docs/openapi.json: python -m auditd.api.openapi > it"
    committed = json.loads(OPENAPI.read_text())
    assert served == committed, ("docs/openapi.json is out of date: regenerate it with "
                                 "`python -m auditd.api.openapi > docs/openapi.json`")
    paths = set(served["paths"])
    assert {"/healthz", "/api/v1/changes", "/api/v1/incidents/{incident_id}/suspects",
            "/api/v1/webhooks/pagerduty"} <= paths


def test_concurrent_writers_and_readers_all_succeed(api: ApiEnv) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def post(n: int) -> int:
        event = {"id": f"par-{n}", "summary": f"deploy {n}", "source": "parallel",
                 "started_at": f"2026-09-01T10:{n % 60:02d}:00Z"}
        return api.post_json("/api/v1/changes", event, role="ingest").status_code

    def read(_n: int) -> int:
        return api.get("/api/v1/events", params={"source": "parallel"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        writes = list(pool.map(post, range(40)))
        reads = list(pool.map(read, range(16)))
    assert set(writes) == {200} and set(reads) == {200}
    stored = api.get("/api/v1/events", params={"source": "parallel", "limit": 1000}).json()
    assert len(stored["events"]) == 40
