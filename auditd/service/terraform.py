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

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from auditd.collectors.terraform.git import CommitInfo, GitError, GitRepository
from auditd.collectors.terraform.hcl import DeclaredCollection, FileIssue, collect_declared
from auditd.collectors.terraform.hcl_parse import file_kind
from auditd.collectors.terraform.state import collect_states
from auditd.collectors.terraform.state_events import StateMark, state_event
from auditd.collectors.terraform.state_types import StateDefaults, StateFailure, StateRead
from auditd.collectors.terraform.tree import SourceFile, SourceTree
from auditd.collectors.terraform.worktree import WorkingTree
from auditd.config import TerraformRepository
from auditd.errors import StaleSnapshot
from auditd.model import ChangeEvent, Resource, Snapshot
from auditd.service import Runtime, now_utc
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
_LOG_WINDOW = 500  # commits examined for attribution per collection


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
    attribution, head, notes = _attribution(rt, repo.path, name, tree)
    roots = tuple(_ingest_roots(rt, collection, attribution, f"terraform:{repo.path}", say,
                                name=name))
    listed = not any(s.reason.startswith("cannot list") for s in tree.skipped)
    if listed and repo.path.is_dir():  # a tree we could not read must not end any root
        roots += tuple(_end_vanished_roots(rt, collection, taken_at, f"terraform:{repo.path}",
                                           attribution, name=name))
    if head is not None:
        rt.store.set_cursor(_git_cursor(name), {"head": head})
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
            attribution = _Attribution.of_commits([commit], {commit.sha: git.review(commit)})
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


# --- git attribution -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Attribution:
    """For each repository path, the newest commit (in the examined range) that changed it.

    A resource is attributed to the newest commit that changed its own file.  When its
    file did not change, its value may still come from a commit that changed another
    file it reads (a ``.tfvars`` file, a variable default, a module call's inputs): it
    then takes the newest commit that changed a file directly in a folder its root
    module uses (the root folder and the module folders of the root's resources), with
    ``attribution: "root"`` so the indirect link is visible.  ``clean`` says whether a
    working-tree file still equals the committed one: an uncommitted edit is never
    credited to a commit (nor to its review).
    """

    by_path: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    rank: Mapping[str, int] = field(default_factory=dict)  # 0: the newest commit
    clean: Callable[[str], bool] = field(default=lambda _path: True)
    folders_clean: Callable[[set[str]], bool] = field(default=lambda _folders: True)

    @classmethod
    def of_commits(cls, commits: Sequence[CommitInfo], reviews: Mapping[str, Any], *,
                   clean: _CleanCheck | None = None) -> _Attribution:
        by_path: dict[str, dict[str, Any]] = {}
        rank: dict[str, int] = {}
        for index, commit in enumerate(commits):  # newest first: the first seen for a path wins
            details = _commit_provenance(commit, reviews.get(commit.sha))
            for change in commit.changes:
                for path in (change.path, change.old_path):
                    if path and path not in by_path:
                        by_path[path] = details
                        rank[path] = index
        if clean is None:
            return cls(by_path, rank)
        return cls(by_path, rank, clean, clean.folders_clean)

    def attribute(self, snapshot: Snapshot, root: str | None) -> Snapshot:
        """One root's snapshot with its resources attributed, and who removed what.

        ``root``: the root's folder ('' for the top), None when unknown.  Removals are
        credited by the removed version's file (the commit that deleted the block or
        the file), else (``"*"``) by the root's folders, as for a value set elsewhere.
        """
        if not self.by_path:
            return snapshot
        folders = {str(r.provenance.get("module_folder", "")) for r in snapshot.resources}
        if root is not None:
            folders.add(root)
        candidates = [p for p in self.by_path
                      if p.rpartition("/")[0] in folders and self.clean(p)]
        fallback = None
        if candidates and self.folders_clean(folders):  # else the value may be uncommitted
            fallback = {**self.by_path[min(candidates, key=self.rank.__getitem__)],
                        "attribution": "root"}

        def apply(resource: Resource) -> Resource:
            file = resource.provenance.get("file")
            if not isinstance(file, str) or not self.clean(file):
                return resource
            details = self.by_path.get(file, fallback)
            if details is None:
                return resource
            return replace(resource, provenance={**resource.provenance, **details})

        removals: dict[str, Mapping[str, Any]] = {
            path: details for path, details in self.by_path.items() if self.clean(path)}
        if fallback is not None:
            removals["*"] = fallback
        return replace(snapshot, resources=tuple(apply(r) for r in snapshot.resources),
                       removal_provenance=removals)


def _commit_provenance(commit: CommitInfo, review: Any) -> dict[str, Any]:
    actor = commit.author.email or commit.author.name
    details: dict[str, Any] = {"git": commit.provenance(), "actor": actor, "via": "git"}
    if review is not None:
        authors = _unique(p.email or p.name for p in review.authors)
        if commit.is_merge and authors:
            # A merge commit's author is whoever pressed "merge" (an approver); the change
            # itself was written by the authors of the commits the merge brought in.
            details["actor"] = authors[0]
        details["review"] = {
            "reviewed": review.reviewed, "self_approved": review.self_approved,
            "approvers": sorted({a.person.email or a.person.name for a in review.approvals}),
            "authors": authors,
            "emergency": review.emergency, "emergency_reason": review.emergency_reason,
        }
    return details


def _unique(values: Iterable[str]) -> list[str]:
    """Non-empty values in first-seen order, without repeats (ignoring case)."""
    seen: dict[str, str] = {}
    for value in values:
        if value:
            seen.setdefault(value.lower(), value)
    return list(seen.values())


def _git_cursor(name: str) -> str:
    return f"git/{name}"


def _attribution(rt: Runtime, path: Path, name: str,
                 tree: WorkingTree) -> tuple[_Attribution, str | None, tuple[str, ...]]:
    """Commits since the last collection, newest first; no git repository means no attribution."""
    try:
        with GitRepository(path) as git:
            if git.is_empty:
                return _Attribution(), None, ()
            head = git.head()
            previous = (rt.store.cursor(_git_cursor(name)) or {}).get("head")
            commits = _since(git.log(max_count=_LOG_WINDOW), previous)
            if not commits:
                return _Attribution(), head, ()
            reviews = {c.sha: git.review(c) for c in commits}
            committed = {f.path: f.fingerprint for f in git.tree(head).files()}
            clean = _CleanCheck(tree, committed)
            return _Attribution.of_commits(commits, reviews, clean=clean), head, ()
    except GitError as exc:
        note = f"{path}: no git attribution ({exc.message})"
        return _Attribution(), None, (note,)


class _CleanCheck:
    """Whether a working-tree file holds exactly its committed content (git's blob id)."""

    def __init__(self, tree: WorkingTree, committed: Mapping[str, str]) -> None:
        self._tree = tree
        self._committed = committed
        self._known: dict[str, bool] = {}
        self._listed: list[str] | None = None

    def folders_clean(self, folders: set[str]) -> bool:
        """Whether every Terraform file directly in these folders is as committed."""
        if self._listed is None:
            on_disk = {f.path for f in self._tree.files()}
            self._listed = sorted(p for p in on_disk | set(self._committed) if file_kind(p))
        return all(self(p) for p in self._listed if p.rpartition("/")[0] in folders)

    def __call__(self, path: str) -> bool:
        if path not in self._known:
            self._known[path] = self._check(path)
        return self._known[path]

    def _check(self, path: str) -> bool:
        blob = self._committed.get(path)
        try:
            data = self._tree.read(path)
        except OSError:
            return blob is None  # deleted in the commit and absent here: clean
        if blob is None:
            return False  # not in HEAD: untracked, or deleted by the commit then re-created
        algorithm = hashlib.sha256 if len(blob) == 64 else hashlib.sha1
        return algorithm(b"blob %d\0" % len(data) + data).hexdigest() == blob


def _since(commits: list[CommitInfo], previous: str | None) -> list[CommitInfo]:
    for index, commit in enumerate(commits):
        if commit.sha == previous:
            return commits[:index]
    return commits


# --- ingest ------------------------------------------------------------------------------


def _ingest_roots(rt: Runtime, collection: DeclaredCollection, attribution: _Attribution,
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
                        source: str, attribution: _Attribution, *,
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
