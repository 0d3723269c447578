"""Real-time collection: watch working trees, collect after a moment of quiet.

:class:`TreeWatcher` turns inotify events (via watchdog) into calls of one
callback, at most one at a time:

- events are filtered: Terraform files (``.tf``, ``.tf.json``, ``.tfvars``,
  ``.tfvars.json``, ``.terraform.lock.hcl``) and, inside ``.git``, only ``HEAD``,
  ``packed-refs`` and ``refs/`` (a new commit, a checkout, a pull); everything else,
  ``.terraform/`` and the configured ignore globs are dropped; a folder deleted or
  moved away counts too (its files vanish without events of their own);
- the callback runs once the tree has been quiet for ``debounce`` seconds, so an
  editor's save-rename-chmod burst or a ``git pull`` touching 200 files is one
  collection;
- a full rescan runs every ``rescan_interval`` seconds anyway, because inotify
  can drop events (queue overflow, network file systems);
- a callback that raises is reported through ``on_error`` and the watcher keeps
  running.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from auditd.collectors.terraform.worktree import matches_any
from auditd.config import TerraformRepository
from auditd.service import Runtime
from auditd.service.terraform import TerraformReport, collect_terraform

__all__ = ["TreeWatcher", "is_relevant", "watch_repositories"]

_log = logging.getLogger(__name__)
_TERRAFORM_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json", ".terraform.lock.hcl")
_GIT_REFS = ("HEAD", "packed-refs")


def is_relevant(relpath: str, ignore: Sequence[str] = (), *, folder: bool = False) -> bool:
    """Whether a change at ``relpath`` (relative to the tree, POSIX) may change what we collect.

    ``ignore`` globs skip what the collector skips: a path whose own text, or whose
    file or folder names, match one (``examples`` ignores ``examples/main.tf``).
    ``folder``: the path is a folder that was deleted or moved, which removes every
    Terraform file below it (inotify reports only the folder when it leaves the tree).
    """
    parts = PurePosixPath(relpath).parts
    if not parts:
        return False
    if parts[0] == ".git":
        ref_file = len(parts) == 2 and parts[1] in _GIT_REFS
        return ref_file or (len(parts) > 2 and parts[1] == "refs")
    if ".terraform" in parts or any(
            matches_any("/".join(parts[:depth]), ignore) for depth in range(1, len(parts) + 1)):
        return False
    return folder or relpath.endswith(_TERRAFORM_SUFFIXES)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: TreeWatcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        # A folder deleted or moved away takes its files along without an event for them.
        folder = event.is_directory and event.event_type in ("deleted", "moved")
        if event.is_directory and not folder:
            return  # "modified" folders: their files' own events say what changed
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                self._watcher.notice(raw if isinstance(raw, str) else raw.decode(),
                                     folder=folder)


class TreeWatcher:
    """Watch one directory tree; call ``on_change(reason)`` after changes settle."""

    def __init__(self, root: Path, on_change: Callable[[str], None], *, debounce: float = 1.0,
                 rescan_interval: float = 300.0, ignore: Sequence[str] = (),
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        self.root = root.resolve()
        self._on_change = on_change
        self._on_error = on_error or (lambda _exc: None)
        self._debounce = debounce
        self._rescan_interval = rescan_interval
        self._ignore = tuple(ignore)
        self._wake = threading.Condition()
        self._pending: str | None = None
        self._last_event = 0.0
        self._stopping = False
        self._observer = Observer()
        self._worker = threading.Thread(target=self._run, name=f"watch:{self.root.name}",
                                        daemon=True)

    def start(self) -> None:
        """Start watching; raises OSError (no such folder, inotify limits) with nothing left."""
        try:
            self._observer.schedule(_Handler(self), str(self.root), recursive=True)
            self._observer.start()
        except BaseException:
            self._observer.stop()  # ends the inotify threads that did start
            raise
        self._worker.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join(timeout=10)
        if self._worker.is_alive():
            self._worker.join(timeout=60)

    def notice(self, path: str, *, folder: bool = False) -> None:
        """Called for every raw event; keeps the relevant ones and restarts the quiet timer."""
        try:
            relpath = Path(path).resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return
        if is_relevant(relpath, self._ignore, folder=folder):
            self.request(f"changed: {relpath}")

    def request(self, reason: str) -> None:
        with self._wake:
            self._pending = self._pending or reason
            self._last_event = _now()
            self._wake.notify_all()

    def _run(self) -> None:
        next_rescan = _now() + self._rescan_interval
        while True:
            reason = self._wait_for_work(next_rescan)
            if reason is None:
                return
            if reason == "periodic rescan":
                next_rescan = _now() + self._rescan_interval
            try:
                self._on_change(reason)
            except Exception as exc:  # the daemon must survive any one failed collection
                try:
                    self._on_error(exc)
                except Exception:  # nor may a failing report stop the watcher
                    _log.exception("on_error failed while reporting %r", exc)

    def _wait_for_work(self, next_rescan: float) -> str | None:
        with self._wake:
            while not self._stopping:
                now = _now()
                if self._pending is not None and now - self._last_event >= self._debounce:
                    reason, self._pending = self._pending, None
                    return reason
                if self._pending is None and now >= next_rescan:
                    return "periodic rescan"
                deadline = next_rescan if self._pending is None else (
                    self._last_event + self._debounce)
                self._wake.wait(timeout=max(0.01, deadline - now))
            return None


def _now() -> float:
    return time.monotonic()


def watch_repositories(rt: Runtime, repos: Sequence[TerraformRepository], stop: threading.Event,
                       *, on_report: Callable[[TerraformReport], None],
                       on_error: Callable[[BaseException], None],
                       progress: Callable[[str], None] | None = None) -> None:
    """Collect each repository now, then again on every settled change, until ``stop`` is set."""
    settings = rt.settings.terraform
    # Open the store and the fingerprint key here, once: the watchers' threads would
    # otherwise race to open them (two stores; two threads creating the key file).
    _ = rt.store, rt.fingerprinter
    watchers: list[TreeWatcher] = []
    try:
        for repo in repos:
            def collect(reason: str, repo: TerraformRepository = repo) -> None:
                if progress is not None:
                    progress(f"{repo.path}: {reason}")
                on_report(collect_terraform(rt, repo, progress=progress))

            watcher = TreeWatcher(repo.path, collect, debounce=settings.debounce,
                                  rescan_interval=settings.rescan_interval, ignore=repo.ignore,
                                  on_error=on_error)
            watcher.start()  # may fail (no such folder, inotify limit): stop the others
            watchers.append(watcher)
            watcher.request("initial collection")
        stop.wait()
    finally:
        for watcher in watchers:
            watcher.stop()
