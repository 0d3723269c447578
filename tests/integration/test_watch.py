"""Real-time collection: the event filter, then real watchdog on real git working trees.

Each watching test runs :func:`auditd.watch.watch_repositories` in a thread over a
repository in ``tmp_path`` and a SQLite store, with a short debounce (0.3 s) and a
rescan period far longer than the test, so every stored change was caused by a
file event.  The tests poll the store (never sleep for a fixed time to "let it
happen"), and the fixture checks that setting the stop event ends the thread.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import auditd.watch
from auditd.cli import main
from auditd.config import Settings, TerraformRepository
from auditd.keys import load_or_create_key
from auditd.model import ChangeKind
from auditd.service import Runtime
from auditd.service.terraform import TerraformReport
from auditd.store import ChangeFilter
from auditd.watch import TreeWatcher, is_relevant, watch_repositories

DEBOUNCE = 0.3
DEADLINE = 10.0  # seconds a watched change may take to reach the store
PEOPLE = {"alice": ("Alice Ops", "alice@example.com"), "dave": ("Dave Dev", "dave@example.com")}


# --- (a) which events matter -------------------------------------------------------------------


@pytest.mark.parametrize(("relpath", "relevant"), [
    ("main.tf", True),
    ("envs/prod/network.tf", True),
    ("envs/prod/main.tf.json", True),
    ("terraform.tfvars", True),
    ("envs/prod/prod.tfvars", True),
    ("envs/prod/prod.tfvars.json", True),
    (".terraform.lock.hcl", True),
    ("envs/prod/.terraform.lock.hcl", True),
    (".git/HEAD", True),
    (".git/packed-refs", True),
    (".git/refs/heads/main", True),
    (".git/refs/heads/feature/x", True),
    (".git/refs/remotes/origin/main", True),
    (".git/objects/ab/cdef0123", False),
    (".git/objects/pack/pack-1.pack", False),
    (".git/index", False),
    (".git/logs/HEAD", False),
    (".git/ORIG_HEAD", False),
    (".git/config", False),
    (".terraform/modules/vpc/main.tf", False),
    ("envs/prod/.terraform/providers/x.tf", False),
    ("README.md", False),
    ("main.tf.swp", False),
    (".main.tf.swp", False),
    ("main.tf~", False),
    ("scripts/deploy.sh", False),
    ("", False),
])
def test_is_relevant(relpath: str, relevant: bool) -> None:
    assert is_relevant(relpath) is relevant


@pytest.mark.parametrize(("relpath", "ignore", "relevant"), [
    ("examples/basic/main.tf", ["examples"], False),  # a folder name, as the collector skips it
    ("modules/x/examples/main.tf", ["examples"], False),
    ("examples/basic/main.tf", ["examples/*"], False),
    ("test/fixtures/main.tf", ["test/**"], False),
    ("sandbox.tf", ["sandbox*"], False),
    ("envs/dev/main.tf", ["envs/dev/*.tf"], False),
    ("envs/prod/main.tf", ["envs/dev/*.tf"], True),
    ("main.tf", ["examples"], True),
    (".git/HEAD", ["*"], True),  # git refs are never ignored: a commit must be seen
])
def test_is_relevant_with_ignore_globs(relpath: str, ignore: list[str], relevant: bool) -> None:
    assert is_relevant(relpath, ignore) is relevant


@pytest.mark.parametrize(("relpath", "relevant"), [
    ("envs/staging", True),  # deleted or moved away: its files went with it
    ("modules", True),
    (".terraform", False),
    ("envs/prod/.terraform/modules", False),
    (".git/objects/ab", False),
    ("examples", False),
])
def test_removed_folders(relpath: str, relevant: bool) -> None:
    assert is_relevant(relpath, ["examples"], folder=True) is relevant


def test_tree_watcher_debounces_and_reports_failures(tmp_path: Path) -> None:
    """TreeWatcher alone: notices become one call after the quiet time; a failing call
    goes to on_error and the next notice is handled."""
    calls: list[str] = []
    errors: list[BaseException] = []
    happened = threading.Event()

    def on_change(reason: str) -> None:
        calls.append(reason)
        happened.set()
        if len(calls) == 1:
            raise RuntimeError("first call fails")

    watcher = TreeWatcher(tmp_path, on_change, debounce=0.2, rescan_interval=3600,
                          ignore=["skip"], on_error=errors.append)
    watcher.start()
    try:
        for _ in range(10):
            watcher.notice(str(tmp_path / "main.tf"))
            watcher.notice(str(tmp_path / "skip" / "main.tf"))  # ignored
            watcher.notice("/elsewhere/main.tf")  # outside the tree
            time.sleep(0.02)
        assert happened.wait(5)
        happened.clear()
        assert calls == ["changed: main.tf"]
        assert [str(e) for e in errors] == ["first call fails"]
        watcher.notice(str(tmp_path / ".git" / "refs" / "heads" / "main"))
        assert happened.wait(5)
        assert calls == ["changed: main.tf", "changed: .git/refs/heads/main"]
    finally:
        watcher.stop()
    assert len(errors) == 1


def test_rescan_runs_without_events(tmp_path: Path) -> None:
    calls: list[str] = []
    done = threading.Event()

    def on_change(reason: str) -> None:
        calls.append(reason)
        if len(calls) == 2:
            done.set()

    watcher = TreeWatcher(tmp_path, on_change, debounce=0.1, rescan_interval=0.3)
    watcher.start()
    try:
        assert done.wait(5)
    finally:
        watcher.stop()
    assert calls[:2] == ["periodic rescan", "periodic rescan"]


# --- (b) real watchdog on real repositories ---------------------------------------------------


def git_env(who: str = "alice") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    name, email = PEOPLE[who]
    env.update({"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C",
                "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
                "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email})
    return env


def git(path: Path, *args: str, who: str = "alice") -> str:
    done = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True,
                          env=git_env(who), check=True)
    return done.stdout.strip()


def vpc(cidr: str) -> str:
    return f'resource "aws_vpc" "main" {{\n  cidr_block = "{cidr}"\n}}\n'


def bucket(name: str) -> str:
    return f'resource "aws_s3_bucket" "logs" {{\n  bucket = "{name}"\n}}\n'


def wait_for(condition: Callable[[], Any], timeout: float = DEADLINE) -> Any:
    """Poll until ``condition()`` is truthy; return its value (fail after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s")
        time.sleep(0.05)


@dataclass
class Watched:
    """A repository being watched, and what the watcher reported so far."""

    path: Path
    rt: Runtime
    reports: list[TerraformReport] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def changes(self, **flt: Any) -> list[Any]:
        return self.rt.store.changes(ChangeFilter(**flt))

    def change_of(self, address: str, kind: ChangeKind, after: int = 0) -> Any:
        """The first stored change of ``address`` of ``kind`` with an id above ``after``."""
        def found() -> Any:
            return next((c for c in self.changes() if c.address == address and c.kind is kind
                         and (c.id or 0) > after), None)
        return wait_for(found)

    def last_id(self) -> int:
        return max((c.id or 0 for c in self.changes()), default=0)

    def settle(self) -> None:
        """Wait until no collection is pending: the quiet time passed twice without one."""
        while True:
            seen = len(self.reports)
            time.sleep(DEBOUNCE * 2 + 0.3)
            if len(self.reports) == seen:
                return


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Watched]:
    repo = tmp_path / "infra"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "main.tf").write_text(vpc("10.0.0.0/16"))
    (repo / "logs.tf").write_text(bucket("logs-1"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Initial")
    settings = Settings(state_dir=tmp_path / "state",
                        terraform={"debounce": DEBOUNCE, "rescan_interval": 3600})
    rt = Runtime(settings, db_url=f"sqlite:///{tmp_path / 'store.db'}")
    handle = Watched(repo, rt)
    stop = threading.Event()
    thread = threading.Thread(
        target=watch_repositories, name="test-watch",
        args=(rt, [TerraformRepository(path=repo)], stop),
        kwargs={"on_report": handle.reports.append, "on_error": handle.errors.append})
    thread.start()
    try:
        wait_for(lambda: handle.reports)  # the initial collection
        assert len(handle.changes()) == 2
        yield handle
    finally:
        stop.set()
        thread.join(timeout=15)
        alive = thread.is_alive()
        rt.close()
    assert not alive, "watch_repositories did not return after the stop event"
    assert not [t for t in threading.enumerate() if t.name == "watch:infra"]


def test_saved_file_becomes_a_stored_change(watched: Watched) -> None:
    (watched.path / "main.tf").write_text(vpc("10.1.0.0/16"))
    change = watched.change_of("aws_vpc.main", ChangeKind.MODIFIED)
    assert [(f.path, f.before, f.after) for f in change.fields] == [
        ("cidr_block", "10.0.0.0/16", "10.1.0.0/16")]
    assert change.actor is None  # not committed: nobody to credit yet
    assert watched.errors == []


def test_pulled_commit_is_stored_with_its_author(watched: Watched, tmp_path: Path) -> None:
    (watched.path / "main.tf").write_text(vpc("10.1.0.0/16"))  # an uncommitted edit first
    watched.change_of("aws_vpc.main", ChangeKind.MODIFIED)
    watched.settle()

    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(watched.path), str(other))
    (other / "logs.tf").write_text(bucket("logs-2"))
    git(other, "commit", "-q", "-am", "Rename the log bucket", who="dave")
    sha = git(other, "rev-parse", "HEAD")
    before = watched.last_id()
    git(watched.path, "pull", "-q", "--ff-only", str(other), "main")

    change = watched.change_of("aws_s3_bucket.logs", ChangeKind.MODIFIED, after=before)
    assert change.actor == "dave@example.com"
    assert change.provenance["git"]["commit"] == sha
    assert change.provenance["git"]["subject"] == "Rename the log bucket"
    wait_for(lambda: watched.reports[-1].commit == sha)  # the report follows the commit
    assert [c.address for c in watched.changes() if (c.id or 0) > before] == [
        "aws_s3_bucket.logs"]  # the edited main.tf was stored already: no change again
    assert watched.errors == []


def test_commit_in_the_watched_tree_is_seen(watched: Watched) -> None:
    (watched.path / "extra.tf").write_text(bucket("extra").replace('"logs"', '"extra"'))
    git(watched.path, "add", "extra.tf")
    git(watched.path, "commit", "-q", "-m", "Add a bucket", who="dave")
    change = watched.change_of("aws_s3_bucket.extra", ChangeKind.ADDED)
    # The file event and the commit may land in one collection or two; either way the
    # commit is recorded as collected.
    wait_for(lambda: watched.reports[-1].commit == git(watched.path, "rev-parse", "HEAD"))
    assert change.kind is ChangeKind.ADDED


def test_burst_of_saves_is_one_collection(watched: Watched) -> None:
    before = len(watched.reports)
    last_id = watched.last_id()
    for i in range(20):  # an editor's burst: far quicker than the debounce
        (watched.path / "main.tf").write_text(vpc(f"10.{i}.0.0/16"))
    change = watched.change_of("aws_vpc.main", ChangeKind.MODIFIED, after=last_id)
    watched.settle()
    assert len(watched.reports) == before + 1
    assert [f.after for f in change.fields] == ["10.19.0.0/16"]
    assert len([c for c in watched.changes() if (c.id or 0) > last_id]) == 1


def test_failed_collection_is_reported_and_watching_goes_on(
        watched: Watched, monkeypatch: pytest.MonkeyPatch) -> None:
    real = auditd.watch.collect_terraform
    failures = [OSError("disk on fire")]

    def flaky(*args: Any, **kwargs: Any) -> TerraformReport:
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)

    monkeypatch.setattr(auditd.watch, "collect_terraform", flaky)
    (watched.path / "main.tf").write_text(vpc("10.1.0.0/16"))
    wait_for(lambda: watched.errors)
    assert [str(e) for e in watched.errors] == ["disk on fire"]

    (watched.path / "main.tf").write_text(vpc("10.2.0.0/16"))  # the next save is collected
    change = watched.change_of("aws_vpc.main", ChangeKind.MODIFIED)
    assert [f.after for f in change.fields] == ["10.2.0.0/16"]
    assert len(watched.errors) == 1


def test_folder_moved_out_of_the_tree_is_a_removal(watched: Watched, tmp_path: Path) -> None:
    """Only the folder's own event arrives; its resources must still go."""
    (watched.path / "envs" / "old").mkdir(parents=True)
    (watched.path / "envs" / "old" / "main.tf").write_text(vpc("10.9.0.0/16"))
    watched.change_of("aws_vpc.main", ChangeKind.ADDED, after=watched.last_id())
    watched.settle()
    last_id = watched.last_id()
    shutil.move(watched.path / "envs", tmp_path / "attic")
    removed = watched.change_of("aws_vpc.main", ChangeKind.REMOVED, after=last_id)
    assert removed.scope == "terraform/infra/envs/old"


def test_watchers_started_before_a_failure_are_stopped(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    rt = Runtime(Settings(state_dir=tmp_path / "state"),
                 db_url=f"sqlite:///{tmp_path / 'store.db'}")
    repos = [TerraformRepository(path=good), TerraformRepository(path=tmp_path / "missing")]
    with pytest.raises(FileNotFoundError):
        watch_repositories(rt, repos, threading.Event(), on_report=lambda _r: None,
                           on_error=lambda _e: None)
    rt.close()
    names = {t.name for t in threading.enumerate()}
    assert "watch:good" not in names and "watch:missing" not in names


def test_watch_command_refuses_a_missing_configured_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A clear error (exit 2) before any watcher or signal handler is set up."""
    config = tmp_path / "driftaudit.toml"
    config.write_text(f'[[terraform.repositories]]\npath = "{tmp_path / "gone"}"\n')
    monkeypatch.setenv("DRIFTAUDIT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DRIFTAUDIT_DB", f"sqlite:///{tmp_path / 'store.db'}")
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(config), "watch", "terraform"])
    _, err = capsys.readouterr()
    assert exited.value.code == 2
    assert f"cannot watch {tmp_path / 'gone'}: not a folder" in err
    assert "internal error" not in err


def test_key_creation_from_two_threads_of_one_process(tmp_path: Path) -> None:
    key = tmp_path / "state" / "fingerprint.key"
    key.parent.mkdir()
    # Another thread of this process is between creating its temporary file and linking it:
    # temporary names carry a random part, so the two never collide.
    (key.parent / f".{key.name}.{os.getpid()}.tmp").write_bytes(b"")
    assert len(load_or_create_key(key)) == 32
