"""Attribute paths, Terraform style: ``ingress[2].cidr_blocks[0]``, ``tags["kubernetes.io/role"]``.

One place formats and parses them, so the diff engine, the normaliser's
sensitive paths and (later) ignore rules all speak the same language.
``*`` in a parsed path matches any one key or index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["WILDCARD", "PathSegment", "format_path", "parse_path", "path_matches"]

PathSegment = str | int
WILDCARD = "*"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_TOKEN = re.compile(
    r"""
    (?P<name>[A-Za-z_*][A-Za-z0-9_-]*)      # bare attribute name or *
    | \[(?P<index>\d+|\*)\]                 # [3] or [*]
    | \["(?P<quoted>(?:[^"\\]|\\.)*)"\]     # ["any key"]
    | (?P<dot>\.)
    """,
    re.VERBOSE,
)


def format_path(segments: Iterable[PathSegment]) -> str:
    out: list[str] = []
    for seg in segments:
        if isinstance(seg, int):
            out.append(f"[{seg}]")
        elif _IDENTIFIER.match(seg) or seg == WILDCARD:
            out.append(f".{seg}" if out else seg)
        else:
            escaped = seg.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'["{escaped}"]')
    return "".join(out)


def parse_path(text: str) -> tuple[PathSegment, ...]:
    """Parse a path; raises ValueError naming the offending position."""
    segments: list[PathSegment] = []
    pos = 0
    expect_name = True
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or (match.group("name") and not expect_name):
            raise ValueError(f"bad attribute path {text!r} at position {pos}")
        if match.group("dot"):
            if expect_name:
                raise ValueError(f"bad attribute path {text!r}: unexpected '.' at {pos}")
            expect_name = True
        elif match.group("name") is not None:
            segments.append(match.group("name"))
            expect_name = False
        elif match.group("index") is not None:
            index = match.group("index")
            segments.append(WILDCARD if index == WILDCARD else int(index))
            expect_name = False
        else:
            segments.append(re.sub(r"\\(.)", r"\1", match.group("quoted")))
            expect_name = False
        pos = match.end()
    if not segments or (expect_name and text.endswith(".")):
        raise ValueError(f"bad attribute path {text!r}")
    return tuple(segments)


def path_matches(pattern: tuple[PathSegment, ...], path: tuple[PathSegment, ...]) -> bool:
    """Exact-length match with ``*`` matching any one segment."""
    if len(pattern) != len(path):
        return False
    return all(p in (WILDCARD, s) for p, s in zip(pattern, path, strict=True))
