"""The HCL collector: a tree of Terraform files in, one declared snapshot per root module out.

``collect_declared(tree, cache_dir=..., taken_at=...)`` reads the tree's
``.tf``, ``.tf.json``, ``*.tfvars(.json)`` and ``.terraform.lock.hcl`` files
through :class:`~auditd.collectors.terraform.tree.SourceTree` (a working tree
or a git commit), parses what the cache does not already hold, finds the root
modules (rule in :mod:`~auditd.collectors.terraform.modules`) and evaluates
each into a :class:`~auditd.model.Snapshot` with scope
``terraform/<tree name>/<root folder or '.'>``.

A per-file problem never stops the collection: it is a :class:`FileIssue` of
the collection and a ``SnapshotError`` of every root using the file, which
makes that snapshot incomplete (so nothing it lacks is taken as deleted); the
file's last good parse stands in, flagged stale.

Rescans are cheap: unchanged files are not read (fingerprints), a folder's
discovery facts and a root's evaluated result are reused while nothing they
depend on changed (:mod:`~auditd.collectors.terraform.declared_cache`).  The
function reads no clock for the snapshot (``taken_at`` is passed in) and
writes only the cache.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from auditd.collectors.terraform.cache import ParseCache
from auditd.collectors.terraform.declared import MovedBlock, RootResult, evaluate_root
from auditd.collectors.terraform.declared_cache import (
    RecentResults,
    result_from_json,
    result_to_json,
    root_key,
)
from auditd.collectors.terraform.expand import Reporter
from auditd.collectors.terraform.hcl_files import FileIssue, LoadedFiles, Progress, load_files
from auditd.collectors.terraform.hcl_parse import LOCK_FILE, file_kind, parser_version
from auditd.collectors.terraform.modules import (
    LazyConfigs,
    Problem,
    find_roots,
    folder_of,
    module_facts,
)
from auditd.collectors.terraform.tree import SourceTree
from auditd.collectors.terraform.variables import auto_var_files, read_var_files
from auditd.collectors.terraform.worktree import matches_any
from auditd.model import Snapshot, SnapshotError

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "CollectStats",
    "DeclaredCollection",
    "FileIssue",
    "MovedBlock",
    "collect_declared",
    "scope_name",
]

DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024
_RECENT = RecentResults()  # root results of this process, by content key


@dataclass(frozen=True, slots=True)
class CollectStats:
    files: int = 0  # Terraform files in the tree
    parsed: int = 0  # parsed in this collection
    cached: int = 0  # read, and their content found in the cache
    unchanged: int = 0  # not even read: fingerprint unchanged
    roots: int = 0
    roots_evaluated: int = 0  # the others were unchanged and reused
    resources: int = 0
    workers: int = 1  # processes used for parsing
    parse_seconds: float = 0.0  # wall-clock time of the parsing
    parse_cpu_seconds: float = 0.0  # CPU time the parsing processes used
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class DeclaredCollection:
    snapshots: tuple[Snapshot, ...]
    file_errors: tuple[FileIssue, ...]  # files that could not be used as they are
    warnings: tuple[FileIssue, ...]  # skipped paths, values kept unknown after an error
    moved: Mapping[str, tuple[MovedBlock, ...]]  # by snapshot scope
    stats: CollectStats = field(default_factory=CollectStats)


def scope_name(tree_name: str, root: str) -> str:
    return f"terraform/{tree_name}/{root or '.'}"


class _Layout:
    """The tree's Terraform files by folder."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.modules: dict[str, list[str]] = {}
        self.every: dict[str, list[str]] = {}
        for path in paths:
            folder = folder_of(path)
            self.every.setdefault(folder, []).append(path)
            if file_kind(path) in ("tf", "tf-json"):
                self.modules.setdefault(folder, []).append(path)


def collect_declared(tree: SourceTree, *, cache_dir: Path | None, taken_at: datetime,
                     max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, ignore: Sequence[str] = (),
                     var_files: Mapping[str, Sequence[str]] | None = None,
                     workers: int | None = None,
                     progress: Progress | None = None) -> DeclaredCollection:
    """Collect the declared configuration of every root module of ``tree``.

    ``var_files`` names extra variable files per root folder (like ``-var-file``),
    applied after the automatic ones.  ``workers`` defaults to the CPU count.
    """
    started = time.perf_counter()
    files = [f for f in tree.files() if file_kind(f.path) and not matches_any(f.path, ignore)]
    cache = ParseCache(cache_dir, f"{type(tree).__name__}-{tree.name}", parser_version())
    loaded = load_files(tree, files, cache, max_file_bytes=max_file_bytes,
                        workers=workers or os.cpu_count() or 1, progress=progress)
    run = _Run(loaded, cache, var_files or {})
    roots = find_roots(run.discovery())
    collection = run.collection(tree, roots, taken_at, progress)
    run.forget_others(set(roots))
    cache.save()
    stats = CollectStats(files=len(files), parsed=loaded.parsed, cached=loaded.cached,
                         unchanged=loaded.unchanged, roots=len(roots),
                         roots_evaluated=run.evaluated,
                         resources=sum(len(s.resources) for s in collection.snapshots),
                         workers=loaded.workers, parse_seconds=loaded.parse_seconds,
                         parse_cpu_seconds=loaded.parse_cpu_seconds,
                         seconds=time.perf_counter() - started)
    return replace(collection, stats=stats)


class _Run:
    """Discovery and root evaluation of one collection, reusing what did not change."""

    def __init__(self, loaded: LoadedFiles, cache: ParseCache,
                 var_files: Mapping[str, Sequence[str]]) -> None:
        self.loaded = loaded
        self.cache = cache
        self.var_files = var_files
        self.layout = _Layout(loaded.paths)
        self.configs = LazyConfigs(self.layout.modules, loaded.doc)
        self.evaluated = 0

    def collection(self, tree: SourceTree, roots: Sequence[str], taken_at: datetime,
                   progress: Progress | None) -> DeclaredCollection:
        """One snapshot per root, with the collection's issues, warnings and moves."""
        snapshots, moved = [], {}
        warnings = [FileIssue(s.path, 0, s.reason, "warning")
                    for s in getattr(tree, "skipped", ())]
        for done, root in enumerate(roots, 1):
            scope = scope_name(tree.name, root)
            with _collector_paused():
                result = self.root(root)
            snapshots.append(_snapshot(scope, taken_at, root, result, self.loaded))
            moved[scope] = tuple(result.moved)
            warnings.extend(FileIssue(w.file, w.line, w.message, "warning")
                            for w in result.warnings)
            if progress is not None:
                progress("evaluate", done, len(roots))
        return DeclaredCollection(tuple(snapshots), tuple(self.loaded.issues.values()),
                                  tuple(warnings), moved)

    def discovery(self) -> dict[str, Any]:
        facts = {}
        for folder, paths in self.layout.modules.items():
            digest = _digest(self.loaded.token(p) for p in paths)
            entry = self.cache.entry("folders", folder)
            if entry is not None and entry[0] == digest:
                facts[folder] = entry[1]
            else:
                facts[folder] = module_facts(self.configs[folder])
                self.cache.set_entry("folders", folder, [digest, facts[folder]])
        return facts

    def root(self, root: str) -> RootResult:
        extra = list(self.var_files.get(root, ()))
        entry = self.cache.entry("roots", root)
        if entry is not None and entry[0] == self._key(root, entry[1], extra):
            result = _RECENT.get(entry[0])
            data = self.cache.load(entry[0], "roots") if result is None else None
            if data is not None:
                result = result_from_json(data)
                _RECENT.put(entry[0], result)
            if result is not None:
                return result
        result = self._evaluate(root, extra)
        self.evaluated += 1
        folders = sorted(result.folders)
        key = self._key(root, folders, extra)
        self.cache.store(key, result_to_json(result), "roots")
        self.cache.set_entry("roots", root, [key, folders])
        _RECENT.put(key, result)
        return result

    def _key(self, root: str, folders: Sequence[str], extra: Sequence[str]) -> str:
        paths = [p for folder in folders for p in self.layout.every.get(folder, ())]
        tokens = [self.loaded.token(p) for p in [*paths, *extra]]
        return root_key(self.cache.parser_version, root, tokens, extra)

    def _evaluate(self, root: str, extra: Sequence[str]) -> RootResult:
        reporter = Reporter()
        paths = [*auto_var_files(root, self.layout.every.get(root, ())), *extra]
        docs = {p: d for p in paths if (d := self.loaded.doc(p)) is not None}
        provided = read_var_files(paths, docs, reporter)
        lock_path = LOCK_FILE if root == "." else f"{root}/{LOCK_FILE}"
        lock_doc = self.loaded.doc(lock_path) if lock_path in self.loaded.keys else None
        result = evaluate_root(root, self.configs, provided, stale_files=self.loaded.stale,
                               lock=(lock_path, lock_doc) if lock_doc else None,
                               reporter=reporter)
        for path in extra:
            if path not in self.loaded.keys and path not in self.loaded.issues:
                result.warnings.append(Problem(path, 0, "variable file named for this root "
                                                        "does not exist"))
        return result

    def forget_others(self, roots: set[str]) -> None:
        self.cache.keep_only("files", set(self.loaded.paths))
        self.cache.keep_only("good", set(self.loaded.paths))
        self.cache.keep_only("folders", set(self.layout.modules))
        self.cache.keep_only("roots", roots)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while building a root's (acyclic) resources.

    Thousands of new dicts otherwise trigger full collections that scan the whole
    heap: that, not the work itself, dominated an unchanged rescan.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _digest(tokens: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for token in sorted(tokens):
        digest.update(token.encode() + b"\0")
    return digest.hexdigest()


def _uses(root: str, result: RootResult, issue: FileIssue) -> bool:
    folder = folder_of(issue.path)
    if file_kind(issue.path) in ("vars", "vars-json", "lock"):
        return folder == root
    return folder in result.folders


def _snapshot(scope: str, taken_at: datetime, root: str, result: RootResult,
              loaded: LoadedFiles) -> Snapshot:
    errors = [SnapshotError(message=str(issue), kind=issue.kind)
              for issue in loaded.issues.values() if _uses(root, result, issue)]
    errors.extend(SnapshotError(message=f"{p.file}:{p.line}: {p.message}", kind="config-error")
                  for p in result.errors)
    return Snapshot(scope=scope, taken_at=taken_at, resources=tuple(result.resources),
                    complete=not errors, errors=tuple(errors))
