"""Rollback or hotfix? Advice for the top suspect, with the facts it rests on.

Roll back when the previous version (digest, commit, flag value) is known and
the change holds no state; halt the rollout first when it is still rolling;
prefer a forward fix (hotfix) when the change is stateful or irreversible
(schema migrations, deletions of data stores), since rolling those back can
lose data.  Later changes on the same service are listed: a rollback may undo
them too.  Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from auditd.correlate.candidates import Candidate, kind_group
from auditd.correlate.report import Hint, minutes_text

__all__ = ["rollback_hint"]


def rollback_hint(top: Candidate, others: Sequence[Candidate], onset: datetime) -> Hint:
    minutes = max(0.0, (onset - top.started_at).total_seconds() / 60)
    later = tuple(c.ref for c in others if c.ref != top.ref and c.started_at > top.started_at
                  and set(c.services) & set(top.services))
    action, text = _advice(top, minutes, top.in_progress_at(onset))
    if later:
        text += f"; {len(later)} later change(s) on the same service may be undone with it"
    return Hint(action=action, text=text, ref=top.ref, previous=top.previous_version,
                minutes_since_change=minutes, stateful=top.stateful or top.irreversible,
                later_changes=later)


def _advice(top: Candidate, minutes: float, rolling: bool) -> tuple[str, str]:
    age = f"changed {minutes_text(minutes)} before onset"
    if top.stateful or top.irreversible:
        what = "irreversible" if top.irreversible else "stateful"
        return "hotfix", f"prefer a forward fix: the change is {what} ({top.kind}), " \
            f"rolling back may lose or corrupt data; {age}"
    if rolling:
        target = top.previous_version or "the previous version"
        done = f" ({top.rollout:.0%} done)" if top.rollout is not None else ""
        return "halt-and-rollback", f"halt the rollout{done} and roll back to {target}; {age}"
    if kind_group(top.kind) == "flag":
        return "revert-flag", f"turn the flag back to its previous value; {age}"
    if top.previous_version:
        return "rollback", f"roll back to {top.previous_version}; {age}"
    return "investigate", f"no previous version recorded for this change, so the way back " \
        f"is unknown; {age}"
