"""The files of one git commit as a :class:`~auditd.collectors.terraform.tree.SourceTree`.

Built from a flat ``path -> (mode, blob id, size)`` listing; contents are read
on demand by blob id through a reader the repository passes in (its
``git cat-file`` process).  It lists what :class:`~auditd.collectors.terraform.worktree.WorkingTree`
would list for a checkout of the same commit, so collecting a past commit and
collecting the working tree give the same answer:

- ``.git``/``.terraform`` folders and the ``ignore`` globs are left out silently;
- a symlink to a file or folder inside the tree is followed (a folder's files
  appear under the link's path); one that leaves the tree, dangles, loops or
  points at a submodule is left out and recorded in :attr:`GitTree.skipped`;
- submodules (gitlinks) are never entered.

``SourceFile.fingerprint`` is the blob id, so an unchanged file is recognised
across commits without reading it.  It must not run git itself.
"""

from __future__ import annotations

import errno
import posixpath
from collections.abc import Callable, Iterator, Sequence

from auditd.collectors.terraform.git_objects import TreeEntry
from auditd.collectors.terraform.git_process import BlobTooLarge
from auditd.collectors.terraform.tree import SourceFile
from auditd.collectors.terraform.worktree import ALWAYS_SKIPPED, SkippedPath, matches_any

__all__ = ["GitTree"]

MAX_SYMLINK_HOPS = 40
SYMLINK = "120000"
SUBMODULE = "160000"
BlobReader = Callable[[str, str], bytes]  # (blob id, path for messages) -> content


class GitTree:
    """The files of one commit; ``name`` is the repository's folder name, ``commit`` its id."""

    def __init__(self, name: str, commit: str, entries: dict[str, TreeEntry], reader: BlobReader,
                 *, max_blob_bytes: int, ignore: Sequence[str] = ()) -> None:
        self.name = name
        self.commit = commit
        self.max_blob_bytes = max_blob_bytes
        self._reader = reader
        self.skipped: tuple[SkippedPath, ...] = ()
        if _plain(entries, ignore):
            self._files = dict(entries)
            return
        links = {p: reader(e.oid, p).decode("utf-8", "surrogateescape")
                 for p, e in entries.items() if e.mode == SYMLINK}
        lister = _Lister(entries, links, ignore)
        for path in entries:
            lister.add(path, path, None)
        self._files = lister.files
        self.skipped = tuple(lister.skipped)

    def __repr__(self) -> str:
        return f"GitTree({self.name!r}, {self.commit[:12]}, {len(self._files)} files)"

    def files(self) -> Iterator[SourceFile]:
        for path in sorted(self._files):
            entry = self._files[path]
            yield SourceFile(path=path, size=entry.size, fingerprint=entry.oid)

    def read(self, path: str) -> bytes:
        """The file's bytes; FileNotFoundError if absent, :class:`BlobTooLarge` over the limit."""
        entry = self._files.get(path)
        if entry is None:
            raise FileNotFoundError(errno.ENOENT, f"not a file in commit {self.commit[:12]}", path)
        if entry.size > self.max_blob_bytes:
            raise BlobTooLarge(path, entry.size, self.max_blob_bytes)
        return self._reader(entry.oid, path)


class _Lister:
    """Resolves symlinks over a flat ``path -> entry`` map, the way the working tree walks."""

    def __init__(self, entries: dict[str, TreeEntry], links: dict[str, str],
                 ignore: Sequence[str]) -> None:
        self.entries = entries
        self.links = links
        self.ignore = ignore
        self.files: dict[str, TreeEntry] = {}
        self.skipped: list[SkippedPath] = []

    def add(self, real: str, shown: str, ancestors: frozenset[str] | None) -> None:
        """List ``real`` as ``shown``; ``ancestors``: real folders above ``shown`` (None: own)."""
        entry = self.entries[real]
        if _ignored(shown, self.ignore):
            return
        if entry.mode == SUBMODULE:
            self.skipped.append(SkippedPath(shown, "submodule; not followed"))
        elif entry.mode != SYMLINK:
            self.files[shown] = entry
        else:
            self._link(real, shown, _parents(real) if ancestors is None else ancestors)

    def _link(self, real: str, shown: str, ancestors: frozenset[str]) -> None:
        kind, target = self._resolve(real)
        if kind == "skip":
            self.skipped.append(SkippedPath(shown, target))
        elif kind == "file":
            self.files[shown] = self.entries[target]
        elif target in ancestors:
            self.skipped.append(SkippedPath(
                shown, "symlink loop: points at a folder that contains it; not followed"))
        else:
            inside = ancestors | {target}
            prefix = f"{target}/" if target else ""
            for path in [p for p in self.entries if p.startswith(prefix)]:
                self.add(path, f"{shown}/{path[len(prefix):]}", inside)

    def _resolve(self, path: str) -> tuple[str, str]:
        """``("file", path)``, ``("folder", path)`` or ``("skip", reason)`` for a symlink."""
        current = path
        for _ in range(MAX_SYMLINK_HOPS):
            current = self._through_linked_folders(current)
            if _outside(current):
                return "skip", "symlink points outside the tree (through a linked folder)"
            entry = self.entries.get(current)
            if entry is None:
                return self._not_an_entry(current)
            if entry.mode == SUBMODULE:
                return "skip", "symlink to a submodule; not followed"
            if entry.mode != SYMLINK:
                return "file", current
            target = self.links[current]
            current = posixpath.normpath(posixpath.join(posixpath.dirname(current), target))
            if _outside(current):
                return "skip", f"symlink points outside the tree ({target}); not followed"
        return "skip", "broken symlink (or a symlink loop)"

    def _not_an_entry(self, path: str) -> tuple[str, str]:
        if path in (".", ""):
            return "folder", ""
        if any(p.startswith(path + "/") for p in self.entries):
            return "folder", path
        return "skip", f"broken symlink: {path} is not in the tree"

    def _through_linked_folders(self, path: str) -> str:
        """``a/link/x.tf`` with ``a/link -> ../b`` becomes ``b/x.tf`` (one linked folder)."""
        parts = path.split("/")
        for i in range(1, len(parts)):
            entry = self.entries.get("/".join(parts[:i]))
            if entry is not None and entry.mode == SYMLINK:
                head = "/".join(parts[:i])
                joined = posixpath.join(posixpath.dirname(head), self.links[head], *parts[i:])
                return posixpath.normpath(joined)
        return path


def _plain(entries: dict[str, TreeEntry], ignore: Sequence[str]) -> bool:
    """Nothing to follow, skip or ignore: the listing is the answer (the common, fast case)."""
    if ignore or any(e.mode in (SYMLINK, SUBMODULE) for e in entries.values()):
        return False
    joined = "\0".join(entries)
    return not any(name in joined for name in ALWAYS_SKIPPED)


def _parents(path: str) -> frozenset[str]:
    """Every folder containing ``path``, the root as ``""``."""
    parts = path.split("/")[:-1]
    return frozenset({"", *("/".join(parts[:i]) for i in range(1, len(parts) + 1))})


def _outside(path: str) -> bool:
    return path.startswith("/") or path == ".." or path.startswith("../")


def _ignored(path: str, ignore: Sequence[str]) -> bool:
    """Under ``.git``/``.terraform``, or the path or one of its folders matches an ignore glob."""
    if not ignore and not any(name in path for name in ALWAYS_SKIPPED):
        return False  # the common case, without splitting the path
    parts = path.split("/")
    if ALWAYS_SKIPPED.intersection(parts):
        return True
    return bool(ignore) and any(matches_any("/".join(parts[:i]), ignore)
                                for i in range(1, len(parts) + 1))
