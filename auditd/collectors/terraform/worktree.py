"""A :class:`~auditd.collectors.terraform.tree.SourceTree` over a directory on disk.

``WorkingTree`` lists every regular file under a root folder, skipping ``.git``,
``.terraform`` and configurable ignore globs.  It never leaves the tree: a
symlink (to a file or a folder) is followed only when its target resolves
inside the root, each real folder is walked once (so symlink loops end), and
anything it cannot or must not follow is recorded in :attr:`WorkingTree.skipped`
instead of raising.

It does not judge file contents: size limits and binary detection belong to the
collector, which must know that a ``.tf`` file exists even when it cannot use
it (dropping it silently would look like "all its resources were deleted").
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditd.collectors.terraform.tree import SourceFile

__all__ = ["ALWAYS_SKIPPED", "SkippedPath", "WorkingTree", "matches_any"]

# Folders that never hold configuration: git internals and Terraform's download cache.
ALWAYS_SKIPPED = frozenset({".git", ".terraform"})


@dataclass(frozen=True, slots=True)
class SkippedPath:
    """A path the tree did not list, and why (symlink escaping the tree, loop, unreadable)."""

    path: str
    reason: str


def matches_any(relpath: str, globs: Sequence[str]) -> bool:
    """True when ``relpath`` or its last component matches one of the ``fnmatch`` globs."""
    name = relpath.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(relpath, g) or fnmatch.fnmatchcase(name, g) for g in globs)


@dataclass(slots=True)
class WorkingTree:
    """The files under ``root``; paths are relative and POSIX-style.

    ``fingerprint`` is ``"mtime_ns:size:inode"`` of the file (of a symlink's
    target), so an unchanged file is recognised without reading it.
    """

    root: Path
    name: str = ""
    ignore: Sequence[str] = ()
    skipped: list[SkippedPath] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if not self.name:
            self.name = self.root.resolve().name or "root"

    def files(self) -> Iterator[SourceFile]:
        self.skipped = []
        real_root = os.path.realpath(self.root)
        yield from self._walk(real_root, "", real_root, frozenset({real_root}))

    def read(self, path: str) -> bytes:
        full = self._inside(path)
        with open(full, "rb") as handle:  # noqa: PTH123 - a plain open is the fastest read
            return handle.read()

    def _inside(self, path: str) -> str:
        real_root = os.path.realpath(self.root)
        full = os.path.realpath(os.path.join(real_root, path))  # noqa: PTH118
        if full != real_root and not full.startswith(real_root + os.sep):
            raise PermissionError(f"{path}: resolves outside the tree {self.root}")
        return full

    def _walk(self, folder: str, prefix: str, real_root: str,
              ancestors: frozenset[str]) -> Iterator[SourceFile]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            self.skipped.append(SkippedPath(prefix or ".", f"cannot list folder: {exc.strerror}"))
            return
        for entry in entries:
            rel = f"{prefix}{entry.name}"
            if entry.name in ALWAYS_SKIPPED or matches_any(rel, self.ignore):
                continue
            if entry.is_symlink():
                yield from self._symlink(entry, rel, real_root, ancestors)
            elif entry.is_dir(follow_symlinks=False):
                yield from self._walk(entry.path, rel + "/", real_root, ancestors | {entry.path})
            elif entry.is_file(follow_symlinks=False):
                yield from self._file(entry.path, rel)

    def _symlink(self, entry: os.DirEntry[str], rel: str, real_root: str,
                 ancestors: frozenset[str]) -> Iterator[SourceFile]:
        target = os.path.realpath(entry.path)
        if target != real_root and not target.startswith(real_root + os.sep):
            self.skipped.append(SkippedPath(rel, "symlink points outside the tree; not followed"))
            return
        try:
            mode = os.stat(target).st_mode  # noqa: PTH116 - str paths: no pathlib cost
        except OSError:
            self.skipped.append(SkippedPath(rel, "broken symlink (or a symlink loop)"))
            return
        if stat.S_ISDIR(mode):
            if target in ancestors:
                self.skipped.append(SkippedPath(rel, "symlink loop: points at a folder that "
                                                     "contains it; not followed"))
                return
            yield from self._walk(target, rel + "/", real_root, ancestors | {target})
        elif stat.S_ISREG(mode):
            yield from self._file(target, rel)

    def _file(self, full: str, rel: str) -> Iterator[SourceFile]:
        try:
            info = os.stat(full)  # noqa: PTH116 - str paths: no pathlib cost per file
        except OSError as exc:
            self.skipped.append(SkippedPath(rel, f"cannot stat: {exc.strerror}"))
            return
        yield SourceFile(path=rel, size=info.st_size,
                         fingerprint=f"{info.st_mtime_ns}:{info.st_size}:{info.st_ino}")
