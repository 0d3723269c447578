"""``driftaudit serve`` as a real process: it answers, logs one line per request without
tokens, and exits 0 on SIGTERM or SIGINT."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from auditd.config import Settings
from auditd.service import Runtime
from auditd.service.tokens import create_token

pytestmark = pytest.mark.slow


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTAUDIT_")}
    env["DRIFTAUDIT_STATE_DIR"] = str(tmp_path / "state")
    return env


def _wait_for_url(log: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"driftaudit API on (http://[\d.]+:\d+)", log.read_text())
        if found:
            url = found.group(1)
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
        assert process.poll() is None, log.read_text()
        time.sleep(0.05)
    raise AssertionError(f"serve did not come up: {log.read_text()}")


def _wait_for_text(log: Path, text: str) -> None:
    deadline = time.monotonic() + 30
    while text not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_logs_and_stops_cleanly(tmp_path: Path,
                                              stop_signal: signal.Signals) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    runtime = Runtime(Settings(state_dir=tmp_path / "state"), db_url=db)
    secret = create_token(runtime, "reader", "viewer").secret
    runtime.close()
    log = tmp_path / "serve.log"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)  # where systemd would listen
    notify.bind(str(tmp_path / "notify.sock"))
    notify.settimeout(20)
    env = {**_environment(tmp_path), "NOTIFY_SOCKET": str(tmp_path / "notify.sock")}
    with log.open("wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "auditd", "--db", db, "serve",
                                    "--host", "127.0.0.1", "--port", "0"],
                                   stdout=subprocess.DEVNULL, stderr=err, env=env)
    try:
        url = _wait_for_url(log, process)
        assert "READY=1" in notify.recv(4096).decode()  # the daemon's schedule is running
        headers = {"Authorization": f"Bearer {secret}"}
        assert httpx.get(f"{url}/api/v1/scopes", headers=headers).status_code == 200
        assert httpx.get(f"{url}/api/v1/scopes",
                         headers={"Authorization": "Bearer da_wrong"}).status_code == 401
        _wait_for_text(log, "job audit-checkpoint: ok")
        process.send_signal(stop_signal)
        assert process.wait(timeout=15) == 0
    finally:
        notify.close()
        if process.poll() is None:
            process.kill()
            process.wait()
    text = log.read_text()
    assert "job drift: ok" in text and "daemon stopped" in text
    assert re.search(r"GET /api/v1/scopes 200 [\d.]+ms token=reader", text)
    assert re.search(r"GET /api/v1/scopes 401 [\d.]+ms token=-", text)
    assert "GET /healthz 200" in text
    assert secret not in text and secret[3:20] not in text and "da_wrong" not in text


def test_serve_on_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "auditd", "--db",
                               f"sqlite:///{tmp_path / 'store.db'}", "serve", "--port",
                               str(port)], capture_output=True, env=_environment(tmp_path),
                              timeout=60, check=False)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr.decode()
