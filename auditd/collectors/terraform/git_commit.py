"""What one git commit says about a change, and whether it was reviewed: pure data, no I/O.

:class:`CommitInfo` is filled by :mod:`auditd.collectors.terraform.git` from
``git log`` output; everything here works on strings already read, so it can
be tested and fuzzed without a repository.

- Trailers are parsed the way ``git interpret-trailers --parse`` does (the last
  paragraph, never the title; all lines trailers, or at least 25 % with a
  git-generated ``Signed-off-by:``; continuation lines unfolded), keys compared
  case-insensitively.
- Pull-request numbers are read from the messages GitHub ("Merge pull request
  #123 from org/branch", squash "Title (#123)"), GitLab ("See merge request
  group/proj!45"), Bitbucket and Azure DevOps write.
- Review evidence: :func:`approvals` lists ``Reviewed-by:``/``Approved-by:``
  trailers and, for a pull-request merge, the person who merged it;
  :func:`review_evidence` compares approvers with the change's authors
  (author plus ``Co-authored-by:``) so a self-approval is not mistaken for review.

This module must not run git, read files or look at a clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from auditd.model import Review

__all__ = [
    "Actor",
    "Approval",
    "ChangeStatus",
    "ChangedPath",
    "CommitInfo",
    "Person",
    "ReviewEvidence",
    "SignatureStatus",
    "Trailer",
    "approvals",
    "change_authors",
    "emergency_reason",
    "parse_person",
    "parse_trailers",
    "pr_number",
    "review_evidence",
    "reviews",
    "self_approved",
]

REVIEW_KEYS = ("reviewed-by", "approved-by")
EMERGENCY_KEYS = ("emergency", "break-glass")
_NEGATIVE = frozenset({"no", "false", "0", "none", "n/a", "off"})
_AFFIRMATIVE = frozenset({"yes", "true", "1", "on", "y"})
_TRAILER = re.compile(r"([A-Za-z0-9-]+)[ \t]*:(.*)", re.DOTALL)
_GIT_GENERATED = ("signed-off-by:", "(cherry picked from commit ")
_PERSON = re.compile(r"(.*?)\s*<([^<>]*)>\s*")
_NOREPLY = re.compile(r"(?:\d+\+)?([^@]+)@users\.noreply\.github\.com")
_PR_SUBJECT = (
    re.compile(r"Merge pull request #(\d+) from \S.*"),  # GitHub merge commit
    re.compile(r"Merged PR (\d+):.*"),  # Azure DevOps
    re.compile(r"Merged in \S+ \(pull request #(\d+)\).*"),  # Bitbucket
    re.compile(r".*\(#(\d+)\)"),  # GitHub squash merge: "Title (#123)"
)
_GITLAB = re.compile(r"^See merge request (\S+)!(\d+)\s*$", re.MULTILINE)


class SignatureStatus(StrEnum):
    """``git log --format=%G?`` folded into what an auditor needs to know."""

    GOOD = "good"  # G: valid signature from a trusted key
    UNTRUSTED = "untrusted"  # U: valid signature, key of unknown validity
    EXPIRED = "expired"  # X/Y: signature or key expired
    REVOKED = "revoked"  # R: made by a revoked key
    BAD = "bad"  # B: the signature does not match the commit
    UNVERIFIABLE = "unverifiable"  # E: signed, but cannot be checked (no key, no gpg)
    UNSIGNED = "unsigned"  # N
    UNKNOWN = "unknown"  # not checked (verification turned off)

    @classmethod
    def from_git(cls, code: str) -> SignatureStatus:
        return _SIGNATURE_CODES.get(code.strip(), cls.UNKNOWN)


_SIGNATURE_CODES = {
    "G": SignatureStatus.GOOD, "U": SignatureStatus.UNTRUSTED, "X": SignatureStatus.EXPIRED,
    "Y": SignatureStatus.EXPIRED, "R": SignatureStatus.REVOKED, "B": SignatureStatus.BAD,
    "E": SignatureStatus.UNVERIFIABLE, "N": SignatureStatus.UNSIGNED,
}


class ChangeStatus(StrEnum):
    """``git diff --name-status`` letters."""

    ADDED = "A"
    COPIED = "C"
    DELETED = "D"
    MODIFIED = "M"
    RENAMED = "R"
    TYPE_CHANGED = "T"
    UNMERGED = "U"
    UNKNOWN = "X"
    BROKEN = "B"


@dataclass(frozen=True, slots=True)
class ChangedPath:
    """One path a commit changed, against its first parent; ``old_path`` for renames and copies."""

    status: ChangeStatus
    path: str
    old_path: str = ""
    similarity: int | None = None  # percent, for renames and copies


@dataclass(frozen=True, slots=True)
class Person:
    """Someone named in a commit or a trailer; either part may be empty."""

    name: str
    email: str = ""

    def __str__(self) -> str:
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email

    def same_as(self, other: Person) -> bool:
        """Same email, or same name, or a bare handle matching the other's email login.

        Deliberately generous: a false "same person" flags a change as
        self-approved (an auditor looks at it); a false "different person"
        would let a self-approval pass as review.
        """
        mine, theirs = _email_key(self.email), _email_key(other.email)
        if mine and mine == theirs:
            return True
        if _name_key(self.name) and _name_key(self.name) == _name_key(other.name):
            return True
        return _handle_matches(self, other) or _handle_matches(other, self)


@dataclass(frozen=True, slots=True)
class Actor:
    """The author or committer of a commit: who, and when (timezone-aware, in their zone)."""

    name: str
    email: str
    time: datetime

    @property
    def person(self) -> Person:
        return Person(self.name, self.email)


@dataclass(frozen=True, slots=True)
class Trailer:
    key: str  # as written, e.g. "Reviewed-by"
    value: str  # unfolded, stripped


@dataclass(frozen=True, slots=True)
class CommitInfo:
    """One commit with everything provenance needs.

    ``changes`` are relative to the first parent (a merge shows what it brought
    to the mainline).  ``grafted`` marks the boundary of a shallow clone: its
    real parents are unknown and ``changes`` list every file as added.
    """

    sha: str
    parents: tuple[str, ...]
    author: Actor
    committer: Actor
    message: str
    trailers: tuple[Trailer, ...] = ()
    changes: tuple[ChangedPath, ...] = ()
    signature: SignatureStatus = SignatureStatus.UNKNOWN
    grafted: bool = False

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def subject(self) -> str:
        """The first paragraph on one line, as ``git log --format=%s`` shows it."""
        return " ".join(_paragraphs(self.message)[0]) if self.message.strip() else ""

    @property
    def body(self) -> str:
        return "\n\n".join("\n".join(p) for p in _paragraphs(self.message)[1:])

    @property
    def pr_number(self) -> int | None:
        return pr_number(self.subject, self.message)

    @property
    def emergency(self) -> bool:
        return emergency_reason(self.trailers) is not None

    @property
    def emergency_reason(self) -> str:
        return emergency_reason(self.trailers) or ""

    def trailer_values(self, key: str) -> list[str]:
        """Values of every trailer named ``key`` (case-insensitive), in message order."""
        wanted = key.lower()
        return [t.value for t in self.trailers if t.key.lower() == wanted]

    def provenance(self) -> dict[str, Any]:
        """A JSON-ready summary for :attr:`auditd.model.Resource.provenance`."""
        return {
            "commit": self.sha, "parents": list(self.parents), "subject": self.subject,
            "author": _actor_json(self.author), "committer": _actor_json(self.committer),
            "trailers": [[t.key, t.value] for t in self.trailers], "pr_number": self.pr_number,
            "emergency": self.emergency, "emergency_reason": self.emergency_reason,
            "signature": self.signature.value, "grafted": self.grafted,
        }


@dataclass(frozen=True, slots=True)
class Approval:
    """One piece of evidence that someone approved a commit."""

    person: Person
    kind: str  # "reviewed-by", "approved-by" or "merged-pr"
    evidence: str  # e.g. "Reviewed-by trailer in 1a2b3c4d5e6f"


@dataclass(frozen=True, slots=True)
class ReviewEvidence:
    """Whether a commit was reviewed by someone other than its authors."""

    authors: tuple[Person, ...]
    approvals: tuple[Approval, ...]
    independent: tuple[Approval, ...]  # approvals by someone who is not an author
    emergency: bool
    emergency_reason: str

    @property
    def reviewed(self) -> bool:
        return bool(self.independent)

    @property
    def self_approved(self) -> bool:
        """Approved, but only by its own authors (no approval at all is *unreviewed*)."""
        return bool(self.approvals) and not self.independent


def parse_trailers(message: str) -> tuple[Trailer, ...]:
    """The trailers of a commit message, as ``git interpret-trailers --parse`` finds them."""
    paragraphs = _paragraphs(message)
    if len(paragraphs) < 2:
        return ()
    entries, others = _trailer_entries(paragraphs[-1])
    recognised = any(line.lower().startswith(_GIT_GENERATED) for line in paragraphs[-1])
    if not entries or (others and not (recognised and len(entries) * 3 >= others)):
        return ()
    return tuple(entries)


def pr_number(subject: str, message: str = "") -> int | None:
    """The pull/merge request number a merge or squash message names, if any."""
    for pattern in _PR_SUBJECT:
        match = pattern.fullmatch(subject.strip())
        if match:
            return int(match.group(1))
    gitlab = _GITLAB.search(message)
    return int(gitlab.group(2)) if gitlab else None


def emergency_reason(trailers: Iterable[Trailer]) -> str | None:
    """The reason given by an ``Emergency:``/``Break-glass:`` trailer; None when there is none.

    ``Emergency: yes`` gives ``""``; ``Emergency: no`` (or false, none, 0) does not count.
    """
    reasons = [t.value for t in trailers
               if t.key.lower() in EMERGENCY_KEYS and t.value.lower() not in _NEGATIVE]
    if not reasons:
        return None
    return "; ".join(r for r in reasons if r.lower() not in _AFFIRMATIVE)


def parse_person(text: str) -> Person:
    """``"Ann <ann@x.org>"``, ``"ann@x.org"`` or ``"ann"`` as a :class:`Person`."""
    text = text.strip()
    match = _PERSON.fullmatch(text)
    if match:
        return Person(match.group(1).strip().strip('"'), match.group(2).strip())
    if "@" in text and " " not in text:
        return Person("", text)
    return Person(text)


def change_authors(commit: CommitInfo) -> tuple[Person, ...]:
    """The commit's author and every ``Co-authored-by:``."""
    co_authors = [parse_person(v) for v in commit.trailer_values("co-authored-by")]
    return (commit.author.person, *co_authors)


def approvals(commit: CommitInfo) -> list[Approval]:
    """Approvers from ``Reviewed-by:``/``Approved-by:`` trailers and, for a PR merge, the merger.

    On GitHub, GitLab and Bitbucket the author of a merge commit is the person
    who pressed "merge"; merging counts as approving.  A squash merge records
    the pull request's author instead, so it adds no approver.
    """
    found = [Approval(parse_person(t.value), t.key.lower(), f"{t.key} trailer in {commit.sha[:12]}")
             for t in commit.trailers if t.key.lower() in REVIEW_KEYS and t.value]
    if commit.is_merge and commit.pr_number is not None:
        found.append(Approval(commit.author.person, "merged-pr",
                              f"merged pull request #{commit.pr_number} in {commit.sha[:12]}"))
    return found


def review_evidence(commit: CommitInfo, authors: Sequence[Person] = ()) -> ReviewEvidence:
    """Review state of ``commit``; ``authors`` defaults to :func:`change_authors`.

    For a merge commit pass the authors of the merged commits (see
    ``GitRepository.review``): the merge's own author is only the merger.
    """
    people = tuple(authors) or change_authors(commit)
    found = tuple(approvals(commit))
    independent = tuple(a for a in found if not any(a.person.same_as(p) for p in people))
    return ReviewEvidence(people, found, independent, commit.emergency, commit.emergency_reason)


def self_approved(commit: CommitInfo, authors: Sequence[Person] = ()) -> bool:
    """True when the commit has approvals and every approver is one of its authors."""
    return review_evidence(commit, authors).self_approved


def reviews(commit: CommitInfo, change_ref: str) -> list[Review]:
    """The commit's approvals as :class:`auditd.model.Review` records (time: the commit time)."""
    return [Review(change_ref=change_ref, reviewer=str(a.person),
                   reviewed_at=commit.committer.time, reason=a.kind, evidence=f"git:{a.evidence}")
            for a in approvals(commit)]


def _paragraphs(message: str) -> list[list[str]]:
    """Non-empty paragraphs of a message, each a list of right-stripped lines."""
    paragraphs: list[list[str]] = [[]]
    for line in message.replace("\r\n", "\n").split("\n"):
        if line.strip():
            paragraphs[-1].append(line.rstrip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p] or [[]]


def _trailer_entries(lines: list[str]) -> tuple[list[Trailer], int]:
    """Trailers in a paragraph (continuations unfolded) and the count of other lines."""
    keys: list[str] = []
    values: list[list[str]] = []
    others = 0
    for line in lines:
        if line.startswith("#"):
            continue  # a comment line, ignored by git too
        if line[:1] in (" ", "\t") and values and values[-1]:
            values[-1].append(line.strip())
            continue
        match = _TRAILER.fullmatch(line)
        if match:
            keys.append(match.group(1))
            values.append([match.group(2).strip()])
        else:
            others += 1
            values.append([])  # a separator: later indented lines are not continuations
            keys.append("")
    trailers = [Trailer(k, " ".join(x for x in v if x)) for k, v in zip(keys, values, strict=True)
                if k]
    return trailers, others


def _email_key(email: str) -> str:
    email = email.strip().lower()
    noreply = _NOREPLY.fullmatch(email)
    return f"{noreply.group(1)}@users.noreply.github.com" if noreply else email


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _handle_matches(bare: Person, other: Person) -> bool:
    """``Approved-by: ann`` (no email, one word) names the owner of ``ann@...``."""
    if bare.email or " " in bare.name.strip() or not bare.name or not other.email:
        return False
    login = _email_key(other.email).split("@", 1)[0]
    return _name_key(bare.name) == login


def _actor_json(actor: Actor) -> dict[str, str]:
    return {"name": actor.name, "email": actor.email, "time": actor.time.isoformat()}
