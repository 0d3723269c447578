"""Drift notifications to a real webhook on 127.0.0.1: signed, once per opening, muted only
inside a maintenance window's scope, kept and retried when the sink fails."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from auditd.diff.drift_notice import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.cli_support import run
from tests.integration.test_drift_cli import ACC, T2, bucket, estate, ingress, sg, snapshot

SECRET = "s3cret-for-the-test-hook"
SECRET_ENV = "DRIFTAUDIT_TEST_HOOK_SECRET"
OTHER = "210987654321"


@dataclass
class Hook:
    """What the server received, and the status it answers with."""

    status: int = 200
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(({k: v for k, v in self.headers.items()}, body))
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def isolated_state(cli_state: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    return cli_state


def _config(tmp_path: Path, url: str, extra: str = "") -> str:
    path = tmp_path / "driftaudit.toml"
    path.write_text(f'[[notify.webhooks]]\nname = "ops"\nurl = "{url}"\n'
                    f'secret_env = "{SECRET_ENV}"\ntimeout = 2\nretries = 1\nbackoff = 0\n'
                    + extra)
    return str(path)


def _drift(capsys: pytest.CaptureFixture[str], config: str, *args: str) -> tuple[int, str]:
    code, _, err = run(capsys, "--config", config, "drift", *args)
    assert code in (0, 1), err
    return code, err


def _verified(hook: Hook) -> list[dict[str, Any]]:
    now = int(time.time())
    for headers, body in hook.received:
        assert verify(SECRET.encode(), headers[TIMESTAMP_HEADER], body,
                      headers[SIGNATURE_HEADER], now=now)
        assert not verify(b"another secret", headers[TIMESTAMP_HEADER], body,
                          headers[SIGNATURE_HEADER], now=now)
    return hook.payloads()


def test_signed_once_per_opening_and_again_when_reopened(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, hook: Hook) -> None:
    estate(capsys, tmp_path, [sg(ingress("0.0.0.0/0"))],
           [sg(ingress("10.0.0.0/8"), address="aws_security_group.web")])
    config = _config(tmp_path, hook.url)
    assert _drift(capsys, config) == (1, "")
    [opened] = _verified(hook)
    assert opened["event"] == "drift.opened" and opened["reason"] == "detected"
    finding = opened["finding"]
    assert (finding["kind"], finding["severity"], finding["address"]) == \
        ("changed", "critical", "aws_security_group.web")
    assert finding["fields"][0]["after"] == "0.0.0.0/0"
    assert finding["time_to_detect_s"] is not None
    _drift(capsys, config)
    _drift(capsys, config)
    assert len(hook.received) == 1  # still open: repeats are not announced

    fixed = snapshot(tmp_path, "fixed", f"aws/{ACC}", "live", [sg(ingress("10.0.0.0/8"))],
                     taken_at=T2)
    assert run(capsys, "snapshot", "import", fixed)[0] == 0
    assert _drift(capsys, config)[0] == 0  # resolved: nothing to announce
    broken = snapshot(tmp_path, "broken", f"aws/{ACC}", "live", [sg(ingress("0.0.0.0/0"))],
                      taken_at="2026-11-25T12:00:00Z")
    assert run(capsys, "snapshot", "import", broken)[0] == 0
    _drift(capsys, config)
    first, again = _verified(hook)
    assert again["event"] == "drift.reopened" and again["reason"] == "found again"
    assert again["finding"]["id"] == first["finding"]["id"]
    deliveries = {h["X-Driftaudit-Delivery"] for h, _ in hook.received}
    assert len(deliveries) == 2


def _maintenance(tmp_path: Path, mutes_up_to: str = "critical") -> str:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "maintenance.yaml").write_text(f"""
pack: maintenance-test
rules:
  - id: prod-account-migration
    kind: maintenance
    match: {{accounts: ["{ACC}"]}}
    mutes_up_to: {mutes_up_to}
    windows:
      - {{start: 2000-01-01T00:00:00Z, end: 2100-01-01T00:00:00Z}}
""")
    return str(rules)


def test_maintenance_mutes_only_its_scope(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          hook: Hook) -> None:
    estate(capsys, tmp_path, [bucket("in-window"), bucket("elsewhere", account=OTHER)], [])
    config = _config(tmp_path, hook.url)
    assert _drift(capsys, config, "--rules", _maintenance(tmp_path))[0] == 1
    [sent] = _verified(hook)
    assert (sent["finding"]["account"], sent["finding"]["key"].rsplit("/", 1)[1]) == \
        (OTHER, "elsewhere")
    _, out, _ = run(capsys, "--config", config, "drift", "--json")
    muted = next(f for f in json.loads(out)["findings"] if f["account"] == ACC)
    code, out, _ = run(capsys, "--config", config, "drift", "history", str(muted["id"]))
    assert code == 0
    assert "notification muted by maintenance window prod-account-migration" in out
    assert len(hook.received) == 1  # the muted one is not sent later either


def test_a_window_muting_up_to_high_still_sends_critical(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, hook: Hook) -> None:
    estate(capsys, tmp_path, [sg(ingress("0.0.0.0/0")), bucket("stray")],
           [sg(ingress("10.0.0.0/8"), address="aws_security_group.web")])
    rules = Path(_maintenance(tmp_path, "high"))
    installed = Path(__file__).resolve().parents[2] / "rules" / "aws-severity.yaml"
    (rules / "aws-severity.yaml").write_text(installed.read_text())
    _drift(capsys, _config(tmp_path, hook.url), "--rules", str(rules))
    assert [p["finding"]["severity"] for p in _verified(hook)] == ["critical"]


def test_a_failing_sink_never_fails_the_run_and_loses_nothing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, hook: Hook) -> None:
    estate(capsys, tmp_path, [bucket("stray")], [])
    config = _config(tmp_path, hook.url)
    hook.status = 500
    code, err = _drift(capsys, config)
    assert code == 1  # drift found; the sink's failure changes nothing
    assert "warning: webhook ops" in err and "HTTP 500 after 2 attempt(s)" in err
    assert "1 notification(s) kept for the next drift run" in err
    assert len(hook.received) == 2  # one try and one retry
    hook.status = 204
    assert _drift(capsys, config) == (1, "")
    assert len(hook.received) == 3
    ids = [h["X-Driftaudit-Delivery"] for h, _ in hook.received]
    assert len(set(ids)) == 1  # the same delivery, retried: receivers can dedupe
    _drift(capsys, config)
    assert len(hook.received) == 3  # delivered: gone from the outbox


def test_unreachable_sink_and_missing_secret_are_warnings(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, hook: Hook,
        monkeypatch: pytest.MonkeyPatch) -> None:
    estate(capsys, tmp_path, [bucket("stray")], [])
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    dead_url = f"http://127.0.0.1:{closed.server_address[1]}/hook"
    closed.server_close()  # nothing listens there any more
    code, err = _drift(capsys, _config(tmp_path, dead_url))
    assert code == 1 and "cannot reach it" in err
    monkeypatch.delenv(SECRET_ENV)
    code, err = _drift(capsys, _config(tmp_path, hook.url))
    assert code == 1 and f"environment variable {SECRET_ENV}" in err
    assert hook.received == []  # never sent unsigned
    monkeypatch.setenv(SECRET_ENV, SECRET)
    _drift(capsys, _config(tmp_path, hook.url))
    [sent] = _verified(hook)
    assert sent["finding"]["kind"] == "unmanaged"


@pytest.mark.parametrize(("line", "message"), [
    ('url = "ftp://127.0.0.1/x"', "url"),
    ('retries = 99', "retries"),
])
def test_bad_sink_settings_are_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        line: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'[[notify.webhooks]]\nname = "ops"\nurl = "http://127.0.0.1:1/"\n{line}\n'
                    .replace('url = "http://127.0.0.1:1/"\nurl', "url"))
    code, _, err = run(capsys, "--config", str(path), "drift")
    assert code == 2 and message in err
