"""The answer to "which change caused incident X?": a stable, documented JSON contract.

:meth:`SuspectReport.to_dict` produces the ``driftaudit.suspects/v1`` document
described in ``docs/correlation.md``.  Fields are only ever added within v1;
removing or renaming one means v2.  Times are ISO-8601 UTC with a ``Z``.
Pure data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from auditd.correlate.candidates import Candidate
from auditd.model import Incident
from auditd.timeutil import iso_utc as iso

__all__ = ["SCHEMA", "Exclusion", "Hint", "Missing", "Reason", "Suspect", "SuspectReport",
           "Verdict", "change_dict", "iso", "minutes_text"]

SCHEMA = "driftaudit.suspects/v1"
Verdict = Literal["change", "no-change", "no-candidates"]




def minutes_text(minutes: float) -> str:
    """``42 s``, ``4 min``, ``2 h 5 min``, ``3 d 4 h``."""
    if minutes < 1:
        return f"{round(minutes * 60)} s"
    if minutes < 60:
        return f"{round(minutes)} min"
    if minutes < 1440:
        hours, rest = divmod(round(minutes), 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, rest = divmod(round(minutes / 60), 24)
    return f"{days} d {rest} h" if rest else f"{days} d"


@dataclass(frozen=True, slots=True)
class Reason:
    """One chip: ``code`` is stable, ``text`` is for people, ``value``/``unit`` the number in it.

    ``weight`` is the chip's contribution to the candidate's score (log-odds);
    positive chips argue for the change, negative ones against it.
    """

    code: str
    text: str
    value: float | None = None
    unit: str = ""
    weight: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "value": _round(self.value),
                "unit": self.unit, "weight": round(self.weight, 3)}


@dataclass(frozen=True, slots=True)
class Suspect:
    rank: int
    candidate: Candidate
    probability: float
    score: float
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "probability": round(self.probability, 4),
                "score": round(self.score, 3), "change": change_dict(self.candidate),
                "reasons": [r.to_dict() for r in self.reasons]}


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A change left out, with a stable ``reason`` code and a sentence."""

    candidate: Candidate
    reason: str  # after-onset | before-window | no-path | duplicate
    text: str

    def to_dict(self) -> dict[str, Any]:
        c = self.candidate
        return {"ref": c.ref, "kind": c.kind, "summary": c.summary,
                "started_at": iso(c.started_at), "services": list(c.services),
                "reason": self.reason, "text": self.text}


@dataclass(frozen=True, slots=True)
class Missing:
    """Data the answer would have used but did not have."""

    what: str  # telemetry | service-model | window | candidates
    text: str
    subject: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what, "subject": self.subject, "text": self.text}


@dataclass(frozen=True, slots=True)
class Hint:
    """Rollback or hotfix advice for the top suspect."""

    action: str  # rollback | halt-and-rollback | revert-flag | hotfix | investigate
    text: str
    ref: str
    previous: str | None
    minutes_since_change: float
    stateful: bool
    later_changes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "text": self.text, "ref": self.ref,
                "previous": self.previous,
                "minutes_since_change": round(self.minutes_since_change, 1),
                "stateful": self.stateful, "later_changes": list(self.later_changes)}


@dataclass(frozen=True, slots=True)
class SuspectReport:
    incident: Incident
    window_start: datetime
    window_end: datetime
    verdict: Verdict
    message: str
    p_no_change: float
    suspects: tuple[Suspect, ...]
    candidates_total: int
    exclusions: tuple[Exclusion, ...]
    exclusions_total: int
    exclusions_by_reason: dict[str, int]
    missing: tuple[Missing, ...]
    hint: Hint | None
    model: dict[str, Any]

    @property
    def window(self) -> timedelta:
        return self.window_end - self.window_start

    def to_dict(self) -> dict[str, Any]:
        i = self.incident
        return {
            "schema": SCHEMA,
            "incident": {"id": i.id, "onset": iso(i.onset), "services": list(i.services),
                         "severity": i.severity, "title": i.title, "source": i.source},
            "window": {"start": iso(self.window_start), "end": iso(self.window_end),
                       "seconds": int(self.window.total_seconds())},
            "verdict": self.verdict, "message": self.message,
            "p_no_change": round(self.p_no_change, 4),
            "suspects": [s.to_dict() for s in self.suspects],
            "candidates_total": self.candidates_total,
            "exclusions": [e.to_dict() for e in self.exclusions],
            "exclusions_total": self.exclusions_total,
            "exclusions_by_reason": dict(sorted(self.exclusions_by_reason.items())),
            "missing": [m.to_dict() for m in self.missing],
            "hint": None if self.hint is None else self.hint.to_dict(),
            "model": self.model,
        }


def change_dict(c: Candidate) -> dict[str, Any]:
    return {"ref": c.ref, "source": c.source, "kind": c.kind, "summary": c.summary,
            "started_at": iso(c.started_at), "finished_at": iso(c.finished_at),
            "services": list(c.services), "resources": list(c.resources), "actor": c.actor,
            "links": list(c.links), "version": c.version,
            "previous_version": c.previous_version, "rollout": c.rollout,
            "reviewed": c.reviewed, "emergency": c.emergency}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
