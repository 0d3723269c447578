"""Collecting a Terraform repository: declared (HCL) per root module, applied (tfstate),
git attribution of declared changes, and Terraform applies recorded as change events.

Order of work for one repository:

1. HCL: every root module becomes one snapshot of scope ``terraform/<name>/<root>``.
2. git: resources whose file changed since the last collected commit carry that
   commit's provenance (author, PR, trailers, review evidence), so the stored
   change names its author and its review state.  A resource whose own file did not
   change but whose root's folders did (a ``.tfvars`` value, a module input) takes the
   newest such commit, marked ``attribution: "root"``; a file with uncommitted edits is
   never credited to a commit.  A merge's actor is the author of what it merged.
   Removals are credited the same way (``Snapshot.removal_provenance``), and a root
   folder that is gone gets an empty snapshot, so its resources are removed.
3. tfstate: every configured state (file or ``s3://``, every workspace) becomes one
   snapshot of scope ``tfstate/<location>``; a rise of ``serial`` within a
   ``lineage`` is recorded as a ``terraform-apply`` event in the same transaction.

A failure in one part never stops the others and never deletes anything: a state
that cannot be read is stored as an incomplete snapshot; an HCL file that does not
parse keeps its last good parse (see :mod:`auditd.collectors.terraform.hcl`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from auditd.collectors.terraform.git import GitRepository
from auditd.collectors.terraform.hcl import DeclaredCollection, FileIssue, collect_declared
from auditd.collectors.terraform.state import collect_states
from auditd.collectors.terraform.state_events import StateMark, state_event
from auditd.collectors.terraform.state_types import StateDefaults, StateFailure, StateRead
from auditd.collectors.terraform.tree import SourceFile, SourceTree
from auditd.collectors.terraform.worktree import WorkingTree
from auditd.config import TerraformRepository
from auditd.errors import StaleSnapshot
from auditd.model import ChangeEvent, Snapshot
from auditd.service import Runtime, now_utc
from auditd.service.attribution import Attribution, attribution_since_last, git_cursor
from auditd.store import IngestExtras, IngestResult

__all__ = [
    "RootOutcome",
    "StateOutcome",
    "TerraformReport",
    "backfill_terraform",
    "collect_terraform",
    "repository_name",
]

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class RootOutcome:
    scope: str
    result: IngestResult | None  # None: skipped (older than the stored history)
    note: str = ""


@dataclass(frozen=True, slots=True)
class StateOutcome:
    scope: str
    source: str
    result: IngestResult
    failure: str = ""
    event: ChangeEvent | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TerraformReport:
    repository: str
    path: str
    commit: str | None  # the commit collected (HEAD, or the backfilled commit)
    roots: tuple[RootOutcome, ...]
    states: tuple[StateOutcome, ...] = ()
    file_errors: tuple[FileIssue, ...] = ()
    warnings: tuple[str, ...] = ()
    parsed_files: int = 0
    cached_files: int = 0
    seconds: float = 0.0


def repository_name(repo: TerraformRepository) -> str:
    return repo.name or repo.path.resolve().name


def collect_terraform(rt: Runtime, repo: TerraformRepository, *, now: datetime | None = None,
                      progress: Progress | None = None) -> TerraformReport:
    """Collect the working tree and the states of one repository, now."""
    say = progress or (lambda _msg: None)
    taken_at = now or now_utc()
    name = repository_name(repo)
    tree = WorkingTree(repo.path, name=name, ignore=tuple(repo.ignore))
    say(f"{name}: parsing Terraform files in {repo.path}")
    collection = _declared(rt, tree, repo, taken_at)
    attribution, head, notes = attribution_since_last(rt, repo.path, name, tree)
    roots = tuple(_ingest_roots(rt, collection, attribution, f"terraform:{repo.path}", say,
                                name=name))
    listed = not any(s.reason.startswith("cannot list") for s in tree.skipped)
    if listed and repo.path.is_dir():  # a tree we could not read must not end any root
        roots += tuple(_end_vanished_roots(rt, collection, taken_at, f"terraform:{repo.path}",
                                           attribution, name=name))
    if head is not None:
        rt.store.set_cursor(git_cursor(name), {"head": head})
    states = tuple(_collect_states(rt, repo, taken_at, say))
    return _report(collection, name=name, path=repo.path, commit=head, roots=roots,
                   states=states, notes=notes)


def backfill_terraform(rt: Runtime, repo: TerraformRepository, commits: int, *,
                       progress: Progress | None = None) -> list[TerraformReport]:
    """Rebuild the declared configuration at each of the last ``commits`` commits, oldest first.

    Each commit becomes a snapshot at its committer time, attributed to that commit.
    History is append-only: commits not newer than a scope's latest snapshot are skipped.
    """
    say = progress or (lambda _msg: None)
    name = repository_name(repo)
    reports = []
    with GitRepository(repo.path) as git:
        history = list(reversed(git.log(max_count=commits, first_parent=True)))
        for index, commit in enumerate(history, 1):
            say(f"{name}: commit {index}/{len(history)} {commit.sha[:12]} {commit.subject[:60]}")
            tree = _Renamed(git.tree(commit.sha, ignore=tuple(repo.ignore)), name)
            collection = _declared(rt, tree, repo, commit.committer.time)
            attribution = Attribution.of_commits([commit], {commit.sha: git.review(commit)})
            roots = tuple(_ingest_roots(rt, collection, attribution, f"git:{commit.sha}", say,
                                        name=name))
            roots += tuple(_end_vanished_roots(rt, collection, commit.committer.time,
                                               f"git:{commit.sha}", attribution, name=name))
            reports.append(_report(collection, name=name, path=repo.path, commit=commit.sha,
                                   roots=roots))
    return reports


def _declared(rt: Runtime, tree: SourceTree, repo: TerraformRepository,
              taken_at: datetime) -> DeclaredCollection:
    settings = rt.settings.terraform
    return collect_declared(
        tree, cache_dir=rt.settings.cache_dir / "hcl", taken_at=taken_at,
        max_file_bytes=settings.max_file_bytes, ignore=tuple(repo.ignore),
        var_files={root: tuple(files) for root, files in repo.var_files.items()})


def _report(collection: DeclaredCollection, *, name: str, path: Path, commit: str | None,
            roots: tuple[RootOutcome, ...], states: tuple[StateOutcome, ...] = (),
            notes: Sequence[str] = ()) -> TerraformReport:
    warnings = tuple(notes) + tuple(str(w) for w in collection.warnings)
    return TerraformReport(
        repository=name, path=str(path), commit=commit, roots=roots, states=states,
        file_errors=collection.file_errors, warnings=warnings,
        parsed_files=collection.stats.parsed, cached_files=collection.stats.cached,
        seconds=collection.stats.seconds)


class _Renamed:
    """A SourceTree under another name, so a git tree and the working tree share scopes."""

    def __init__(self, tree: SourceTree, name: str) -> None:
        self._tree = tree
        self.name = name

    def files(self) -> Iterator[SourceFile]:
        return self._tree.files()

    def read(self, path: str) -> bytes:
        return self._tree.read(path)


# --- ingest ------------------------------------------------------------------------------


def _ingest_roots(rt: Runtime, collection: DeclaredCollection, attribution: Attribution,
                  source: str, say: Progress, *, name: str) -> Iterator[RootOutcome]:
    prefix = f"terraform/{name}/"
    for snapshot in collection.snapshots:
        attributed = attribution.attribute(snapshot, _root_folder(snapshot.scope, prefix))
        try:
            result = rt.store.ingest(attributed, rt.fingerprinter, source=source)
        except StaleSnapshot:
            yield RootOutcome(snapshot.scope, None, "skipped: not newer than stored history")
            continue
        say(f"{snapshot.scope}: {result.added} added, {result.modified} modified, "
            f"{result.removed} removed")
        yield RootOutcome(snapshot.scope, result)


def _root_folder(scope: str, prefix: str) -> str | None:
    """``envs/prod`` of ``terraform/<name>/envs/prod``; '' for the top folder ('.')."""
    if not scope.startswith(prefix):
        return None
    root = scope.removeprefix(prefix)
    return "" if root == "." else root


def _end_vanished_roots(rt: Runtime, collection: DeclaredCollection, taken_at: datetime,
                        source: str, attribution: Attribution, *,
                        name: str) -> Iterator[RootOutcome]:
    """A root module folder that is gone (deleted, moved, now called as a module) declares
    nothing any more: its scope gets an empty snapshot, so its resources are removed.

    The roots of the last collection are kept in a cursor, so this costs one read."""
    prefix = f"terraform/{name}/"
    present = sorted(s.scope for s in collection.snapshots)
    cursor = rt.store.cursor(_roots_cursor(name))
    known = cursor["roots"] if cursor is not None else [
        info.name for info in rt.store.scopes()
        if info.name.startswith(prefix) and info.current_resources]
    for scope in sorted(set(known) - set(present)):
        try:
            empty = Snapshot(scope=scope, taken_at=taken_at, resources=())
            result = rt.store.ingest(attribution.attribute(empty, _root_folder(scope, prefix)),
                                     rt.fingerprinter, source=source)
        except StaleSnapshot:
            continue
        yield RootOutcome(scope, result, "no longer a root module of the tree")
    if known != present:
        rt.store.set_cursor(_roots_cursor(name), {"roots": present})


def _roots_cursor(name: str) -> str:
    return f"terraform-roots/{name}"


def _state_cursor(scope: str) -> str:
    return f"tfstate/{scope}"


def _collect_states(rt: Runtime, repo: TerraformRepository, taken_at: datetime,
                    say: Progress) -> Iterator[StateOutcome]:
    settings = rt.settings.terraform
    defaults = StateDefaults(account=settings.default_account, region=settings.default_region)
    for location in repo.states:
        say(f"reading state {location}")
        reader = _s3_reader(rt) if location.startswith("s3://") else None
        for read in collect_states(location, max_bytes=settings.max_state_bytes,
                                   defaults=defaults, reader=reader,
                                   workspace_key_prefix=settings.workspace_key_prefix):
            yield _ingest_state(rt, read, taken_at)


def _ingest_state(rt: Runtime, read: StateRead | StateFailure, taken_at: datetime) -> StateOutcome:
    snapshot: Snapshot = read.to_snapshot(taken_at)
    if isinstance(read, StateFailure):
        result = rt.store.ingest(snapshot, rt.fingerprinter, source=read.source)
        return StateOutcome(read.scope, read.source, result, failure=read.message,
                            warnings=read.warnings)
    previous = rt.store.cursor(_state_cursor(read.scope))
    mark = None if previous is None else StateMark(previous["lineage"], int(previous["serial"]))
    recorded: list[ChangeEvent] = []

    def extras(result: IngestResult) -> IngestExtras:
        event = state_event(read, mark, changed=result.changed_addresses, at=taken_at)
        recorded.extend([event] if event is not None else [])
        return IngestExtras(events=tuple(recorded), cursors={
            _state_cursor(read.scope): {"lineage": read.lineage, "serial": read.serial}})

    result = rt.store.ingest(snapshot, rt.fingerprinter, source=read.source, extras=extras)
    return StateOutcome(read.scope, read.source, result, event=recorded[0] if recorded else None,
                        warnings=read.warnings)


def _s3_reader(rt: Runtime) -> Any:
    from auditd.collectors.aws.s3 import S3Reader, make_s3_client

    aws = rt.settings.aws
    return S3Reader(make_s3_client(endpoint_url=aws.endpoint_url, region_name=aws.region,
                                   profile_name=aws.profile))
