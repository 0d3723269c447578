"""Change events from the HTTP API: the checked body in, the same outcome as the CLI's out.

The API reads NDJSON line by line before the service sees it (see
:mod:`auditd.api.bodies`); a line it could not parse arrives here as ``{}`` plus its
reason, so line numbers stay true.  This module swaps the service's complaint about
such a placeholder for the real reason and otherwise returns exactly what
:func:`auditd.service.correlation.ingest_events` returns.  It does not parse JSON itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from auditd.correlate import EventProblem
from auditd.service import Runtime
from auditd.service.correlation import EventsOutcome, ingest_events

__all__ = ["ingest_checked_events"]


def ingest_checked_events(rt: Runtime, text: str, *, source: str,
                          unreadable: Sequence[tuple[int, str]] = ()) -> EventsOutcome:
    """Store the readable events of ``text``; ``unreadable`` lists (line, reason) left out."""
    mine = [EventProblem(line, reason) for line, reason in unreadable]
    bad_lines = {line for line, _ in unreadable}
    if len(bad_lines) >= sum(1 for line in text.splitlines() if line.strip()):
        return EventsOutcome(received=0, new=0, problems=tuple(mine) or (
            EventProblem(0, "no events: the input is empty"),))
    outcome = ingest_events(rt, text, source=source)
    kept = [p for p in outcome.problems if p.item not in bad_lines]
    problems = sorted([*kept, *mine], key=lambda p: p.item)
    return EventsOutcome(received=outcome.received, new=outcome.new, problems=tuple(problems))
