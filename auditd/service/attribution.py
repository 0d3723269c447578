"""Git attribution of declared changes: which commit, author and review each change gets.

For a working-tree collection, the commits since the last collected HEAD (newest
first) map each changed path to its commit; a resource whose file changed takes that
commit's provenance, one whose root changed elsewhere (tfvars, module inputs) takes the
newest commit in its root (``attribution: "root"``), and a file with uncommitted edits is
credited to no commit.  A merge's actor is the author of what it merged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from auditd.collectors.terraform.git import CommitInfo, GitError, GitRepository
from auditd.collectors.terraform.hcl_parse import file_kind
from auditd.collectors.terraform.worktree import WorkingTree
from auditd.model import Resource, Snapshot
from auditd.service import Runtime

__all__ = ["Attribution", "attribution_since_last", "git_cursor"]

_LOG_WINDOW = 500  # commits examined for attribution per collection


@dataclass(frozen=True, slots=True)
class Attribution:
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
                   clean: _CleanCheck | None = None) -> Attribution:
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


def git_cursor(name: str) -> str:
    return f"git/{name}"


def attribution_since_last(rt: Runtime, path: Path, name: str,
                           tree: WorkingTree) -> tuple[Attribution, str | None, tuple[str, ...]]:
    """Commits since the last collection, newest first; no git repository means no attribution."""
    try:
        with GitRepository(path) as git:
            if git.is_empty:
                return Attribution(), None, ()
            head = git.head()
            previous = (rt.store.cursor(git_cursor(name)) or {}).get("head")
            commits = _since(git.log(max_count=_LOG_WINDOW), previous)
            if not commits:
                return Attribution(), head, ()
            reviews = {c.sha: git.review(c) for c in commits}
            committed = {f.path: f.fingerprint for f in git.tree(head).files()}
            clean = _CleanCheck(tree, committed)
            return Attribution.of_commits(commits, reviews, clean=clean), head, ()
    except GitError as exc:
        note = f"{path}: no git attribution ({exc.message})"
        return Attribution(), None, (note,)


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
