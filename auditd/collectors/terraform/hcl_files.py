"""Reading and parsing a tree's Terraform files: size limit, cache, worker processes.

For each file, cheapest first: an unchanged fingerprint reuses the cached
parse without reading; otherwise the bytes are read and hashed and a cached
parse of the same content is reused; only new content is parsed.  Cold parses
are spread over worker processes (``forkserver``, so a threaded daemon never
forks itself) when there are enough of them to repay the start-up (each worker
imports python-hcl2 and loads its grammar); a handful are parsed in-process.

A file that is too large, binary, unreadable or does not parse yields a
:class:`FileIssue`; its last good parse (when the cache has one) stands in for
it and is flagged stale, so its resources are never reported as deleted.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from auditd.collectors.terraform.cache import ParseCache
from auditd.collectors.terraform.hcl_parse import parse_source, warm_up
from auditd.collectors.terraform.tree import SourceFile, SourceTree

__all__ = ["FileIssue", "LoadedFiles", "Progress", "load_files", "parse_many"]

Progress = Callable[[str, int, int], None]  # (stage, done, total)
MIN_PARALLEL_FILES = 32
MIN_PARALLEL_BYTES = 256 * 1024
CHUNKS_PER_WORKER = 4


@dataclass(frozen=True, slots=True)
class FileIssue:
    """A file that could not be used as it is: ``path:line: message``.

    ``kind``: ``parse-error``, ``file-skipped`` (too large, binary), ``unreadable``,
    ``config-error`` or ``warning``.  ``stale``: its last good parse was used instead.
    """

    path: str
    line: int
    message: str
    kind: str = "parse-error"
    stale: bool = False

    def __str__(self) -> str:
        note = ("; its last good parse is used (stale)" if self.stale else
                "; no earlier parse is known, its resources are unknown"
                if self.kind in ("parse-error", "file-skipped", "unreadable") else "")
        return f"{self.path}:{self.line}: {self.message}{note}"


class LoadedFiles:
    """The tree's Terraform files after scanning: issues, and each file's document on demand.

    ``key(path)`` names the document in use (the current parse, or the last good
    one when the file failed, or "" when there is none); ``token(path)`` is what
    a result computed from the file depends on.  Documents are loaded from the
    cache only when asked for, so an unchanged tree never loads them.
    """

    def __init__(self, tree: SourceTree, cache: ParseCache) -> None:
        self.tree = tree
        self.cache = cache
        self.paths: list[str] = []
        self.keys: dict[str, str] = {}
        self.issues: dict[str, FileIssue] = {}
        self.stale: set[str] = set()
        self.parsed = self.cached = self.unchanged = 0
        self.workers = 1
        self.parse_seconds = 0.0
        self.parse_cpu_seconds = 0.0  # CPU time of the parsing processes
        self._docs: dict[str, dict[str, Any]] = {}

    def doc(self, path: str) -> dict[str, Any] | None:
        if path in self._docs:
            return self._docs[path]
        key = self.keys.get(path)
        result = self.cache.load(key) if key else None
        if key and result is None:  # the cache lost it since the scan: parse the file again
            result = self._reparse(path)
        doc = result["doc"] if result is not None and result.get("ok") else None
        if doc is not None:
            self._docs[path] = doc
        return doc

    def _reparse(self, path: str) -> dict[str, Any] | None:
        try:
            data = self.tree.read(path)
        except OSError:
            return None
        result = parse_source(path, data)
        key = self.cache.key(data)
        self.cache.store(key, result)
        if path in self.stale or not result["ok"]:
            return None
        self.keys[path] = key
        return result

    def token(self, path: str) -> str:
        issue = self.issues.get(path)
        return f"{path}|{self.keys.get(path, '')}|{issue or ''}"


def load_files(tree: SourceTree, files: Sequence[SourceFile], cache: ParseCache, *,
               max_file_bytes: int, workers: int, progress: Progress | None = None
               ) -> LoadedFiles:
    """Scan ``files``: reuse cached parses, parse what is new, record issues."""
    loaded = LoadedFiles(tree, cache)
    pending: list[tuple[SourceFile, str, bytes]] = []
    for file in files:
        loaded.paths.append(file.path)
        data = _read(loaded, file, max_file_bytes)
        if data is not None:
            key = cache.key(data)
            result = cache.load(key)
            if result is None:
                pending.append((file, key, data))
            else:
                loaded.cached += 1
                _record(loaded, file, key, result)
    started = time.perf_counter()
    parsed = parse_many([(f.path, d) for f, _, d in pending], workers, progress)
    results, loaded.workers, loaded.parse_cpu_seconds = parsed
    loaded.parse_seconds = time.perf_counter() - started
    for (file, key, _), result in zip(pending, results, strict=True):
        cache.store(key, result)
        loaded.parsed += 1
        _record(loaded, file, key, result)
    return loaded


def _read(loaded: LoadedFiles, file: SourceFile, limit: int) -> bytes | None:
    """The file's bytes when they must be looked at; None when handled already."""
    if file.size > limit:
        _fail(loaded, FileIssue(file.path, 0, f"{file.size} bytes is over the limit of "
                                f"{limit}; skipped", "file-skipped"))
        return None
    known = loaded.cache.known(file.path, file.fingerprint)
    if known is not None and known[1]:
        loaded.unchanged += 1
        loaded.keys[file.path] = known[0]
        return None
    if known is not None:
        result = loaded.cache.load(known[0])
        if result is not None:
            loaded.unchanged += 1
            _record(loaded, file, known[0], result)
            return None
    try:
        data = loaded.tree.read(file.path)
    except OSError as exc:
        _fail(loaded, FileIssue(file.path, 0, f"cannot read: {exc}", "unreadable"))
        return None
    if len(data) > limit:
        _fail(loaded, FileIssue(file.path, 0, f"{len(data)} bytes is over the limit of "
                                f"{limit}; skipped", "file-skipped"))
        return None
    return data


def _record(loaded: LoadedFiles, file: SourceFile, key: str, result: dict[str, Any]) -> None:
    loaded.cache.remember(file.path, file.fingerprint, key, ok=bool(result["ok"]))
    if result["ok"]:
        loaded.keys[file.path] = key
        return
    kind = "file-skipped" if result.get("skipped") else "parse-error"
    _fail(loaded, FileIssue(file.path, int(result["line"]), str(result["message"]), kind))


def _fail(loaded: LoadedFiles, issue: FileIssue) -> None:
    good = loaded.cache.last_good_key(issue.path)
    if good is not None and loaded.cache.last_good(issue.path) is not None:
        loaded.keys[issue.path] = good
        loaded.stale.add(issue.path)
        issue = FileIssue(issue.path, issue.line, issue.message, issue.kind, stale=True)
    loaded.issues[issue.path] = issue


def parse_many(items: Sequence[tuple[str, bytes]], workers: int,
               progress: Progress | None = None) -> tuple[list[dict[str, Any]], int, float]:
    """Parse results in the order of ``items``, the processes used and their CPU seconds."""
    total_bytes = sum(len(data) for _, data in items)
    if workers > 1 and len(items) >= MIN_PARALLEL_FILES and total_bytes >= MIN_PARALLEL_BYTES:
        try:
            results, cpu_seconds = _parallel(items, workers, progress)
            return results, workers, cpu_seconds
        except (OSError, BrokenProcessPool, RuntimeError):
            pass  # no processes here (sandbox, resource limits): parse in-process instead
    started = time.process_time()
    results = []
    for done, (path, data) in enumerate(items, 1):
        results.append(parse_source(path, data))
        if progress is not None and (done % 50 == 0 or done == len(items)):
            progress("parse", done, len(items))
    return results, 1, time.process_time() - started


def _chunks(items: Sequence[tuple[str, bytes]], count: int) -> list[list[tuple[int, str, bytes]]]:
    """Balanced chunks: largest files first, each to the currently lightest chunk."""
    chunks: list[list[tuple[int, str, bytes]]] = [[] for _ in range(count)]
    weights = [0] * count
    order = sorted(range(len(items)), key=lambda i: -len(items[i][1]))
    for index in order:
        lightest = weights.index(min(weights))
        chunks[lightest].append((index, *items[index]))
        weights[lightest] += len(items[index][1]) + 512
    return [c for c in chunks if c]


def _parallel(items: Sequence[tuple[str, bytes]], workers: int,
              progress: Progress | None) -> tuple[list[dict[str, Any]], float]:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    results: list[dict[str, Any] | None] = [None] * len(items)
    done, cpu_seconds = 0, 0.0
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=warm_up) as pool:
        futures = [pool.submit(_parse_chunk, chunk)
                   for chunk in _chunks(items, workers * CHUNKS_PER_WORKER)]
        for future in as_completed(futures):
            chunk_cpu, chunk_results = future.result()
            cpu_seconds += chunk_cpu
            for index, result in chunk_results:
                results[index] = result
                done += 1
            if progress is not None:
                progress("parse", done, len(items))
    return [r for r in results if r is not None], cpu_seconds


def _parse_chunk(chunk: list[tuple[int, str, bytes]]
                 ) -> tuple[float, list[tuple[int, dict[str, Any]]]]:
    """Parse in a worker; returns the CPU seconds it took and the indexed results."""
    started = time.process_time()
    results = [(index, parse_source(path, data)) for index, path, data in chunk]
    return time.process_time() - started, results
