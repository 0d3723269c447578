"""Reading git objects through two long-lived ``git cat-file`` processes, with caches.

``git cat-file --batch`` (contents) and ``--batch-check`` (type and size) are
started once per repository and answer any number of requests without a new
process; requests are pipelined (written in chunks that fit in a pipe buffer,
then answered in order), so listing a tree or reading its blobs costs one
round trip per chunk, not per object.  Trees and blob sizes are cached by
object id (objects never change), so listing the trees of 50 consecutive
commits reads only the folders that changed.

This replaced ``git ls-tree -r`` + ``git rev-parse`` per commit after
``bench/git_provenance.py`` showed the process start-ups dominating
(9 ms per tree listing, against ~0.2 ms here once cached).
It must not write to the repository; requests are object names on stdin, so
no option injection is possible.
"""

from __future__ import annotations

import errno
import os
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from auditd.collectors.terraform.git_process import GitRunner

__all__ = ["ObjectInfo", "ObjectReader", "TreeEntry"]

CHUNK_BYTES = 4096  # one page: the smallest pipe buffer Linux gives, so writes never block
TREE_MODE = "40000"
_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    oid: str
    kind: str  # blob, tree, commit, tag
    size: int
    data: bytes | None = None  # with contents only


@dataclass(frozen=True, slots=True)
class TreeEntry:
    mode: str  # 100644, 100755, 120000 (symlink), 160000 (submodule)
    oid: str
    size: int


class _Batch:
    """One ``git cat-file --batch[-check]`` process; restarted after a fork or a failure."""

    def __init__(self, runner: GitRunner, option: str) -> None:
        self._runner = runner
        self._option = option
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._pid = 0

    def ask(self, names: Sequence[str]) -> list[ObjectInfo | None]:
        """One answer per name, in order; None for a name that is missing or ambiguous."""
        if any("\n" in n for n in names):
            raise ValueError("an object name cannot contain a newline")
        answers: list[ObjectInfo | None] = []
        for chunk in _chunks(names):
            answers.extend(self._ask_chunk(chunk))
        return answers

    def _ask_chunk(self, names: list[str]) -> list[ObjectInfo | None]:
        proc = self._process()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write("".join(f"{n}\n" for n in names).encode("utf-8", "surrogateescape"))
            proc.stdin.flush()
            return [self._answer(proc.stdout) for _ in names]
        except (OSError, ValueError) as exc:
            message = self._stderr_text()
            self.close()
            raise OSError(errno.EIO, f"git cat-file {self._option} failed: {message or exc}"
                          ) from exc

    def _answer(self, out: IO[bytes]) -> ObjectInfo | None:
        header = out.readline()
        parts = header.split()
        if len(parts) != 3:
            if header.endswith((b" missing\n", b" ambiguous\n")):
                return None
            raise ValueError(f"unexpected cat-file answer {header[:100]!r}")
        oid, kind, size = parts[0].decode("ascii"), parts[1].decode("ascii"), int(parts[2])
        if self._option != "--batch":
            return ObjectInfo(oid, kind, size)
        data = out.read(size + 1)
        if len(data) != size + 1:
            raise ValueError("cat-file output ended inside an object")
        return ObjectInfo(oid, kind, size, data[:-1])

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._pid == os.getpid() and self._proc.poll() is None:
            return self._proc
        self.close()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        self._proc = subprocess.Popen(self._runner.argv(["cat-file", self._option]),
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self._stderr, env=self._runner.env)
        self._pid = os.getpid()
        return self._proc

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace").strip()

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and self._pid == os.getpid():
            _stop(proc)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


class ObjectReader:
    """Objects of one repository by name or id; thread-safe (one lock), caches trees and sizes."""

    def __init__(self, runner: GitRunner) -> None:
        self._lock = threading.Lock()
        self._contents = _Batch(runner, "--batch")
        self._check = _Batch(runner, "--batch-check")
        self._trees: dict[str, tuple[tuple[str, str, str], ...]] = {}
        self._sizes: dict[str, int] = {}
        self.closed = False

    def close(self) -> None:
        """End both processes; the reader cannot be used afterwards."""
        with self._lock:
            self.closed = True
            self._contents.close()
            self._check.close()

    def info(self, names: Sequence[str]) -> list[ObjectInfo | None]:
        """Type and size of each named object (any name git understands, e.g. ``v1^{commit}``)."""
        with self._lock:
            self._check_open()
            return self._check.ask(names)

    def read(self, names: Sequence[str]) -> list[ObjectInfo | None]:
        """Type, size and content of each named object."""
        with self._lock:
            self._check_open()
            return self._contents.ask(names)

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("the git repository was closed; open a new GitRepository")

    def list_tree(self, tree: str) -> dict[str, TreeEntry]:
        """Every non-folder entry under tree object ``tree``, by slash-separated path."""
        with self._lock:
            self._check_open()
            found: dict[str, tuple[str, str]] = {}
            level = [("", tree)]
            while level:
                self._load_trees([oid for _, oid in level])
                level = self._expand(level, found)
            self._load_sizes([oid for mode, oid in found.values() if mode != "160000"])
            return {path: TreeEntry(mode.zfill(6), oid, self._sizes.get(oid, 0))
                    for path, (mode, oid) in found.items()}

    def _expand(self, level: list[tuple[str, str]],
                found: dict[str, tuple[str, str]]) -> list[tuple[str, str]]:
        deeper: list[tuple[str, str]] = []
        for prefix, oid in level:
            for mode, name, child in self._trees[oid]:
                if mode == TREE_MODE:
                    deeper.append((f"{prefix}{name}/", child))
                else:
                    found[prefix + name] = (mode, child)
        return deeper

    def _load_trees(self, oids: list[str]) -> None:
        wanted = sorted({o for o in oids if o not in self._trees})
        if len(self._trees) + len(wanted) > _CACHE_LIMIT:
            self._trees.clear()
        for oid, obj in zip(wanted, self._contents.ask(wanted), strict=True):
            if obj is None or obj.data is None or obj.kind != "tree":
                raise OSError(errno.EIO, f"tree object {oid} is missing or not a tree")
            self._trees[oid] = parse_tree_object(obj.data, len(oid) // 2)

    def _load_sizes(self, oids: list[str]) -> None:
        wanted = sorted({o for o in oids if o not in self._sizes})
        if len(self._sizes) + len(wanted) > _CACHE_LIMIT:
            self._sizes.clear()
        for oid, obj in zip(wanted, self._check.ask(wanted), strict=True):
            if obj is not None:
                self._sizes[oid] = obj.size


def parse_tree_object(data: bytes, oid_bytes: int) -> tuple[tuple[str, str, str], ...]:
    """``(mode, name, oid)`` entries of a raw tree object (``<mode> <name>\\0<binary id>``)."""
    entries: list[tuple[str, str, str]] = []
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        oid = data[nul + 1:nul + 1 + oid_bytes].hex()
        entries.append((data[pos:space].decode("ascii"),
                        data[space + 1:nul].decode("utf-8", "surrogateescape"), oid))
        pos = nul + 1 + oid_bytes
    return tuple(entries)


def _chunks(names: Sequence[str]) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    size = 0
    for name in names:
        length = len(name.encode("utf-8", "surrogateescape")) + 1
        if chunks[-1] and size + length > CHUNK_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(name)
        size += length
    return [c for c in chunks if c]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End a cat-file process: closing its stdin lets it exit; kill it if it does not."""
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
