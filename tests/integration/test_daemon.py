"""The daemon: scheduled leased jobs, file watching, systemd notifications, failures.

Real parts throughout: APScheduler's background scheduler, the store on SQLite and
PostgreSQL, a Terraform repository in tmp_path, and a Unix datagram socket standing
where systemd's notify socket would be.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from auditd.config import DaemonSettings, Settings, TerraformRepository, TerraformSettings
from auditd.daemon import Daemon, Job
from auditd.daemon.sdnotify import Notifier
from auditd.service import Runtime
from auditd.store import ChangeFilter, Leases

MAIN_TF = 'resource "aws_sqs_queue" "jobs" {\n  name = "%s"\n}\n'


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A datagram socket collecting what the daemon tells 'systemd'."""
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    received: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                received.append(sock.recv(4096).decode())
            except TimeoutError:
                continue

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    yield path, received
    stop.set()
    reader.join()
    sock.close()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "infra"
    root.mkdir()
    (root / "main.tf").write_text(MAIN_TF % "jobs-v1")
    return root


def _runtime(tmp_path: Path, url: str, repo: Path, **daemon: object) -> Runtime:
    settings = Settings(
        state_dir=tmp_path / "state",
        terraform=TerraformSettings(repositories=[TerraformRepository(path=repo, name="infra")],
                                    debounce=0.2),
        daemon=DaemonSettings(**daemon))  # type: ignore[arg-type]
    return Runtime(settings, db_url=url)


def test_collects_on_schedule_and_on_file_change_and_tells_systemd(
        tmp_path: Path, store_url: str, repo: Path,
        notify_socket: tuple[str, list[str]]) -> None:
    address, received = notify_socket
    outcomes: list[tuple[str, str | None]] = []
    rt = _runtime(tmp_path, store_url, repo, terraform_interval="1h", drift_interval="1h",
                  watch_terraform=True)
    daemon = Daemon(rt, notifier=Notifier(address),
                    on_outcome=lambda name, out: outcomes.append((name, out)))
    # the watcher collects the repository; no [aws] section: no AWS job
    assert [j.name for j in daemon.jobs] == ["images", "drift", "audit-checkpoint"]
    daemon.start()
    try:
        _wait_for(lambda: {n for n, o in outcomes if o and o.startswith("ok")}
                  >= {"drift", "audit-checkpoint"})
        assert any("READY=1" in m for m in received)
        _wait_for(lambda: bool(rt.store.changes(ChangeFilter())))  # the initial collection
        (repo / "main.tf").write_text(MAIN_TF % "jobs-v2")  # the watcher collects it
        _wait_for(lambda: any(c.kind.value == "modified" for c in
                              rt.store.changes(ChangeFilter())))
        daemon.stop()
        states = {s.name: s.last_outcome for s in Leases(rt.store).states()}
    finally:
        daemon.stop()
        rt.close()
    assert any("STOPPING=1" in m for m in received)
    assert states["drift"].startswith("ok:") and states["audit-checkpoint"].startswith("ok:")


def test_an_unwatched_repository_is_collected_on_schedule(tmp_path: Path, repo: Path) -> None:
    rt = _runtime(tmp_path, f"sqlite:///{tmp_path / 'store.db'}", repo,
                  terraform_interval="1h", watch_terraform=False, drift_interval="0",
                  checkpoint_interval="", images_interval="0")
    daemon = Daemon(rt, notifier=Notifier(""))
    assert [j.name for j in daemon.jobs] == ["terraform:infra"]
    daemon.start()
    try:
        _wait_for(lambda: any(s.last_outcome for s in Leases(rt.store).states()))
        daemon.stop()
        (state,) = Leases(rt.store).states()
    finally:
        daemon.stop()
        rt.close()
    assert state.last_outcome == "ok: 1 root(s), 1 change(s), 0 state(s)"


def test_two_processes_run_a_job_once_per_interval(tmp_path: Path, store_url: str,
                                                   repo: Path) -> None:
    starts: list[float] = []
    lock = threading.Lock()

    def count() -> str:
        with lock:
            starts.append(time.monotonic())
        time.sleep(0.3)
        return "ok"

    job = Job("count", timedelta(seconds=1), count)
    # Two processes sharing one store (and so one fingerprint key file), as configured.
    runtimes = [_runtime(tmp_path, store_url, repo, watch_terraform=False) for _ in range(2)]
    daemons = [Daemon(rt, jobs=[job], notifier=Notifier("")) for rt in runtimes]
    for daemon in daemons:
        daemon.start()
    time.sleep(4.2)
    for daemon in daemons:
        daemon.stop()
    for rt in runtimes:
        rt.close()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) >= 3, "the job did not keep running"
    assert min(gaps) >= 0.85, f"two runs within one interval: {gaps}"
    assert len(starts) <= 5


def test_a_failing_job_is_recorded_and_retried_and_the_daemon_goes_on(
        tmp_path: Path, repo: Path) -> None:
    calls: list[int] = []

    def broken() -> str:
        calls.append(1)
        raise RuntimeError("AWS is down")

    rt = _runtime(tmp_path, f"sqlite:///{tmp_path / 'store.db'}", repo)
    daemon = Daemon(rt, jobs=[Job("flaky", timedelta(seconds=1), broken)],
                    notifier=Notifier(""))
    daemon.start()
    try:
        _wait_for(lambda: len(calls) >= 2)
        daemon.stop()
        (state,) = Leases(rt.store).states()
    finally:
        daemon.stop()
        rt.close()
    assert state.last_outcome == "error: AWS is down"


def test_notifier_outside_systemd_and_with_a_dead_socket(tmp_path: Path) -> None:
    assert not Notifier("").ready("x")  # no NOTIFY_SOCKET: nothing sent, nothing raised
    assert not Notifier(str(tmp_path / "gone.sock")).watchdog()


def test_notifier_speaks_to_an_abstract_socket() -> None:
    name = f"driftaudit-test-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        assert Notifier("@" + name).ready("up")
        message = sock.recv(4096).decode()
    assert message.splitlines()[:2] == ["READY=1", "STATUS=up"]


def test_watchdog_interval_is_half_of_watchdog_sec(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditd.daemon.sdnotify import watchdog_interval

    monkeypatch.setenv("WATCHDOG_USEC", "60000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert watchdog_interval() == 30.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # meant for another process
    assert watchdog_interval() is None
    monkeypatch.delenv("WATCHDOG_USEC")
    assert watchdog_interval() is None


def test_jobs_follow_the_configuration(tmp_path: Path, repo: Path) -> None:
    from auditd.config import AwsSettings, CloudTrailSettings
    from auditd.daemon.jobs import configured_jobs

    settings = Settings(
        state_dir=tmp_path, terraform=TerraformSettings(
            repositories=[TerraformRepository(path=repo, name="infra")]),
        aws=AwsSettings(region="eu-west-1", cloudtrail=CloudTrailSettings(bucket="trail")),
        daemon=DaemonSettings(watch_terraform=False, drift_interval="0"))
    rt = Runtime(settings, db_url=f"sqlite:///{tmp_path / 'store.db'}")
    try:
        jobs = {j.name: j.every for j in configured_jobs(rt)}
    finally:
        rt.close()
    assert jobs == {"terraform:infra": timedelta(minutes=5), "aws": timedelta(minutes=15),
                    "cloudtrail-s3": timedelta(minutes=5), "images": timedelta(minutes=10),
                    "audit-checkpoint": timedelta(hours=1)}
