"""Turning ``git log -z --name-status`` output into :class:`CommitInfo`: pure, no I/O.

The format puts a ``\\x01`` marker before each commit, then NUL-separated
fields with the free-text message last; ``-z`` makes git end the record with
NUL and list the changed paths as NUL-separated ``status, path[, path]``
tokens.  The parser walks those tokens by position, so any byte a path or a
message may hold (spaces, newlines, ``\\x01``) is read correctly; output it
cannot account for raises :class:`ValueError` rather than guessing.

Text (names, messages) is decoded as UTF-8 with replacement characters, as git
has already re-encoded commits that declare another encoding; paths use
``surrogateescape`` so a non-UTF-8 file name still round-trips to git.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from auditd.collectors.terraform.git_commit import (
    Actor,
    ChangedPath,
    ChangeStatus,
    CommitInfo,
    SignatureStatus,
    parse_trailers,
)

__all__ = ["log_format", "parse_log"]

MARKER = b"\x01"
_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%at", "%cn", "%ce", "%cI", "%ct", "%G?", "%B")
_N_FIELDS = len(_FIELDS)
_SHA = re.compile(rb"[0-9a-f]{40}|[0-9a-f]{64}")
_STATUS = re.compile(rb"([ACDMRTUXB])(\d*)")


def log_format(signatures: bool) -> str:
    """The ``--format`` value; without ``signatures`` the ``%G?`` field stays empty (no gpg run)."""
    fields = [f if signatures or f != "%G?" else "" for f in _FIELDS]
    return "tformat:%x01" + "%x00".join(fields)


def parse_log(data: bytes, grafted: frozenset[str] = frozenset()) -> list[CommitInfo]:
    """Commits in the order git printed them; ``grafted`` are a shallow clone's boundary commits."""
    tokens = data.split(b"\0")
    commits: list[CommitInfo] = []
    pos = 0
    while pos < len(tokens):
        if not tokens[pos].strip(b"\n"):
            pos += 1
            continue
        header = tokens[pos:pos + _N_FIELDS]
        if len(header) < _N_FIELDS or not _is_record_start(header[0]):
            raise ValueError(f"unexpected git log output at token {pos}: {tokens[pos][:80]!r}")
        changes, pos = _parse_changes(tokens, pos + _N_FIELDS)
        commits.append(_commit(header, changes, grafted))
    return commits


def _is_record_start(token: bytes) -> bool:
    return token.startswith(MARKER) and _SHA.fullmatch(token[1:]) is not None


def _parse_changes(tokens: list[bytes], pos: int) -> tuple[tuple[ChangedPath, ...], int]:
    changes: list[ChangedPath] = []
    while pos < len(tokens) and not _is_record_start(tokens[pos]):
        token = tokens[pos].lstrip(b"\n")
        if not token:
            pos += 1
            continue
        match = _STATUS.fullmatch(token)
        if match is None:
            raise ValueError(f"unexpected git log output, not a change status: {token[:80]!r}")
        status = ChangeStatus(match.group(1).decode())
        score = int(match.group(2)) if match.group(2) else None
        if status in (ChangeStatus.RENAMED, ChangeStatus.COPIED):
            old, new = _path(tokens, pos + 1), _path(tokens, pos + 2)
            changes.append(ChangedPath(status, new, old, score))
            pos += 3
        else:
            changes.append(ChangedPath(status, _path(tokens, pos + 1)))
            pos += 2
    return tuple(changes), pos


def _path(tokens: list[bytes], pos: int) -> str:
    if pos >= len(tokens):
        raise ValueError("unexpected end of git log output inside a change entry")
    return tokens[pos].decode("utf-8", "surrogateescape")


def _commit(header: list[bytes], changes: tuple[ChangedPath, ...],
            grafted: frozenset[str]) -> CommitInfo:
    sha_b, parents, an, ae, a_iso, a_ts, cn, ce, c_iso, c_ts, sig, message = header
    sha = sha_b[1:].decode("ascii")
    text = message.decode("utf-8", "replace")
    return CommitInfo(
        sha=sha,
        parents=tuple(parents.decode("ascii").split()),
        author=Actor(_text(an), _text(ae), _time(a_iso, a_ts)),
        committer=Actor(_text(cn), _text(ce), _time(c_iso, c_ts)),
        message=text,
        trailers=parse_trailers(text),
        changes=changes,
        signature=SignatureStatus.from_git(sig.decode("ascii", "replace")),
        grafted=sha in grafted,
    )


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _time(iso: bytes, epoch: bytes) -> datetime:
    """The strict ISO time with the committer's offset; UTC from the epoch if the zone is odd."""
    try:
        return datetime.fromisoformat(iso.decode("ascii"))
    except ValueError:
        try:
            return datetime.fromtimestamp(int(epoch or b"0"), UTC)
        except (ValueError, OverflowError, OSError):
            return datetime.fromtimestamp(0, UTC)
