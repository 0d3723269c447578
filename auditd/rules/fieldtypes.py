"""Validated scalar types of rule packs: globs, attribute paths, severities, durations.

Each type rejects a bad value with a message saying what is wrong and what a
good one looks like, so the loader can report it with file, line and field.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field

from auditd.paths import parse_path

__all__ = [
    "SEVERITY_ORDER",
    "ClassTag",
    "DurationText",
    "Glob",
    "Interruption",
    "PathPattern",
    "RuleId",
    "Severity",
    "parse_duration",
]


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


SEVERITY_ORDER = {s: n for n, s in enumerate(reversed(list(Severity)))}  # info 0 … critical 4


class Interruption(StrEnum):
    """What kind of interruption a class of change tends to cause (most severe first)."""

    OUTAGE = "outage"
    DATA_LOSS = "data-loss"
    DEGRADATION = "degradation"
    EXPOSURE = "exposure"
    NONE = "none"


_KNOWN_TAGS = ("security-exposure", "availability", "data-integrity", "cost", "performance",
               "compliance")


def _check_tag(value: str) -> str:
    if value in _KNOWN_TAGS or re.fullmatch(r"x-[a-z0-9][a-z0-9-]*", value):
        return value
    raise ValueError(f"unknown class tag {value!r}: use one of {', '.join(_KNOWN_TAGS)} "
                     "or a custom tag starting with 'x-'")


def _check_glob(value: str) -> str:
    if not value:
        raise ValueError("empty glob: use '*' to match everything")
    depth = 0
    for char in value:
        if char == "[":
            if depth:
                raise ValueError(f"bad glob {value!r}: '[' inside a [...] class")
            depth = 1
        elif char == "]" and depth:
            depth = 0
    if depth:
        raise ValueError(f"bad glob {value!r}: '[' is never closed; write '[[]' for a literal '['")
    return value


def _check_path(value: str) -> str:
    parse_path(value)  # raises ValueError naming the position
    return value


_DURATION = re.compile(r"(\d+)([smhdw])\Z")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"bad duration {text!r}: write a number and a unit s, m, h, d or w, "
                         "e.g. '24h'")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _check_duration(value: str) -> str:
    parse_duration(value)
    return value


Glob = Annotated[str, AfterValidator(_check_glob)]
PathPattern = Annotated[str, AfterValidator(_check_path)]
ClassTag = Annotated[str, AfterValidator(_check_tag)]
DurationText = Annotated[str, AfterValidator(_check_duration),
                         Field(json_schema_extra={"pattern": r"^\d+[smhdw]$"})]
RuleId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)]
