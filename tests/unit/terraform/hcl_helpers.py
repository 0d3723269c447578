"""Shared helpers of the HCL collector tests: write a tree, collect it, find resources."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditd.collectors.terraform.hcl import DeclaredCollection, collect_declared
from auditd.collectors.terraform.worktree import WorkingTree
from auditd.model import Resource, Snapshot

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CORPUS = Path(__file__).resolve().parents[2] / "data" / "hcl"


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``{relative path: text or bytes}`` under ``root`` (text is dedented)."""
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content))
    return root


def collect(root: Path, cache_dir: Path | None = None, **options: Any) -> DeclaredCollection:
    options.setdefault("workers", 1)
    return collect_declared(WorkingTree(root), cache_dir=cache_dir, taken_at=T0, **options)


def snapshot(collection: DeclaredCollection, root: str = ".") -> Snapshot:
    matches = [s for s in collection.snapshots if s.scope.endswith("/" + root)]
    assert len(matches) == 1, [s.scope for s in collection.snapshots]
    return matches[0]


def resources(snap: Snapshot) -> dict[str, Resource]:
    """Resources by key id (the Terraform address; the provider address for lock pins)."""
    return {r.key.id: r for r in snap.resources}
