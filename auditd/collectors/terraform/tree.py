"""Where Terraform source files come from: a working tree on disk or a git commit.

The HCL collector reads files only through :class:`SourceTree`, so the same
code collects the working tree now and any past commit (``--backfill``).
Paths are relative, POSIX-style (``modules/net/main.tf``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

__all__ = ["SourceFile", "SourceTree"]


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # relative POSIX path
    size: int
    # A cheap identity of the content when the tree knows one without reading the
    # file (git blob id; or "mtime_ns:size:inode" on disk); "" when unknown.
    fingerprint: str = ""


class SourceTree(Protocol):
    """A read-only tree of files."""

    name: str  # for messages and scope names, e.g. the repository's folder name

    def files(self) -> Iterator[SourceFile]:
        """Every regular file (no directories, no symlinks escaping the tree)."""
        ...

    def read(self, path: str) -> bytes:
        """The file's bytes; raises OSError (FileNotFoundError...) when it cannot."""
        ...
