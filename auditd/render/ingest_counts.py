"""The parts of an ingest summary shown only when they happened: restated resources.

A resource is *restated* when its stored form changed only because the normaliser did
(an upgrade, :mod:`auditd.diff.restate`): it gets a new stored version but no change.
``IngestResult.unchanged`` counts it; the summaries name it apart, so an upgrade that
rewrote stored versions is visible and not mistaken for a quiet collection.  Every
collect and import summary (text and ``--json``) uses these two helpers, so they say it
the same way.  Presentation only: no I/O, nothing imported at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the store is slow to import
    from auditd.store import IngestResult

__all__ = ["restated_counts", "restated_text"]


def restated_text(r: IngestResult) -> str:
    """``"3 restated after a normaliser upgrade"``, or ``""`` when none was."""
    return f"{r.restated} restated after a normaliser upgrade" if r.restated else ""


def restated_counts(r: IngestResult) -> dict[str, int]:
    """``{"restated": 3}`` to merge into a JSON summary's counts, or ``{}`` when none was."""
    return {"restated": r.restated} if r.restated else {}
