"""Drift findings rated by a rule set: the join of :mod:`auditd.diff.drift` and :mod:`auditd.rules`.

Field ignores are applied by masking both sides and comparing again with the
finding's own compare rule (:func:`refine_fields`), so ignoring one element of a
set-like list (an ingress rule) is exact even when indexes shift.  Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from auditd.diff.drift_compare import declared_fields, live_fields, set_fields_of
from auditd.diff.drift_inputs import Drift
from auditd.model import DriftFinding, FieldChange
from auditd.rules import Refine, RuleSet, Verdict

__all__ = ["RatedDrift", "evaluate_drift", "refine_fields"]


def refine_fields(kind: str, before: Mapping[str, Any], after: Mapping[str, Any], *,
                  mapped: frozenset[str] | None = None,
                  set_fields: frozenset[str] = frozenset(),
                  tf_type: str = "") -> tuple[FieldChange, ...]:
    """The compare rule of ``kind``: declared vs state for ``unapplied``, else live vs state."""
    if kind == "unapplied":
        return declared_fields(after, before, tf_type)
    return live_fields(after, before, mapped, set_fields)


def _refiner(mapped: Mapping[str, frozenset[str]], tf_type: str) -> Refine:
    fields = mapped.get(tf_type)
    sets = set_fields_of(tf_type)

    def refine(kind: str, before: Mapping[str, Any],
               after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
        return refine_fields(kind, before, after, mapped=fields, set_fields=sets,
                             tf_type=tf_type)
    return refine


@dataclass(frozen=True, slots=True)
class RatedDrift:
    drift: Drift
    verdict: Verdict

    @property
    def finding(self) -> DriftFinding:
        """The finding with the rules' severity and the fields no ignore removed."""
        return replace(self.drift.finding, severity=self.verdict.severity.value,
                       fields=self.verdict.fields)


def evaluate_drift(drifts: Iterable[Drift], rules: RuleSet, now: datetime, *,
                   mapped_fields: Mapping[str, frozenset[str]] | None = None,
                   indexed: bool = True) -> list[RatedDrift]:
    """Every drift with its verdict; suppressed ones included (``verdict.suppressed``).

    Pass the same ``mapped_fields`` as :class:`~auditd.diff.drift_inputs.DriftInput`'s.
    """
    mapped = mapped_fields or {}
    return [RatedDrift(d, rules.evaluate(d.subject(), now, _refiner(mapped, d.finding.key.tf_type),
                                         indexed=indexed))
            for d in drifts]
