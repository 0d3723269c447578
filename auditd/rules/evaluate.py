"""Rating one subject with the rules that match it: the precedence lives here.

Precedence (``docs/rules.md``):

1. **critical beats ignore.**  The severity is first decided on the subject as
   it is, before any ignore.  If it is ``critical``, no ignore applies: the
   subject is reported whole and the verdict names the overridden ignores.  A
   critical exposure is never hidden by an ignore; accept the finding (owner,
   reason, expiry) or narrow the severity rule instead.
2. **ignores** that are active at ``now`` (not expired) apply next: an ignore
   without ``fields`` suppresses the subject; field ignores remove fields, and a
   subject whose every field was removed is suppressed.
3. **severity** of what remains: the matching severity rules with the highest
   ``priority`` decide, the highest severity among them wins; none: ``medium``.
4. **classify** rules that match add their tags; the most severe interruption wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from auditd.model import FieldChange
from auditd.rules.fieldtypes import SEVERITY_ORDER, Interruption, Severity
from auditd.rules.ignoring import Refine, remaining_fields
from auditd.rules.matching import CompiledRule
from auditd.rules.models import ClassifyRule, IgnoreRule, SeverityRule
from auditd.rules.subject import Subject

__all__ = ["DEFAULT_SEVERITY", "Verdict", "decide_severity", "evaluate_subject"]

DEFAULT_SEVERITY = Severity.MEDIUM
_INTERRUPTION_ORDER = {i: n for n, i in enumerate(reversed(list(Interruption)))}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the rules say about one subject."""

    severity: Severity
    suppressed: bool = False
    fields: tuple[FieldChange, ...] = ()
    ignored_fields: tuple[FieldChange, ...] = ()
    ignored_by: tuple[str, ...] = ()
    overridden_ignores: tuple[str, ...] = ()
    expired_ignores: tuple[str, ...] = ()
    severity_rule: str | None = None
    tags: tuple[str, ...] = ()
    interruption: Interruption | None = None
    matched: tuple[str, ...] = ()


def decide_severity(rules: Sequence[CompiledRule]) -> tuple[Severity, str | None]:
    best: tuple[tuple[int, int], CompiledRule] | None = None
    for c in rules:
        rule = c.rule
        assert isinstance(rule, SeverityRule)
        rank = (rule.priority, SEVERITY_ORDER[rule.severity])
        if best is None or rank > best[0]:
            best = (rank, c)
    if best is None:
        return DEFAULT_SEVERITY, None
    rule = best[1].rule
    assert isinstance(rule, SeverityRule)
    return rule.severity, rule.id


def _of(rules: Sequence[CompiledRule], kind: str) -> list[CompiledRule]:
    return [c for c in rules if c.rule.kind == kind]


def evaluate_subject(subject: Subject, candidates: Sequence[CompiledRule], now: datetime,
                     refine: Refine | None = None) -> Verdict:
    """Apply the precedence above to the rules whose static match already holds."""
    matched = [c for c in candidates if c.dynamic_match(subject)]
    severity, by = decide_severity(_of(matched, "severity"))
    ignores = _of(matched, "ignore")
    active = [c for c in ignores if _ignore(c).active(now)]
    expired = tuple(c.id for c in ignores if c not in active)
    ids = tuple(c.id for c in matched)
    if severity is Severity.CRITICAL or not active:
        overridden = tuple(c.id for c in active if _would_apply(c, subject, refine))
        return _final(subject, matched, severity, by, ids, expired=expired,
                      overridden=overridden)
    if any(not c.selectors for c in active):
        return Verdict(severity, True, (), subject.fields, tuple(c.id for c in active
                       if not c.selectors), (), expired, by, (), None, ids)
    fields, used = _apply_field_ignores(subject, active, refine)
    if not used:  # nothing removed: the verdict is the one without ignores
        return _final(subject, matched, severity, by, ids, expired=expired, overridden=())
    return _after_field_ignores(subject, candidates, fields, used, ids=ids, expired=expired)


def _apply_field_ignores(subject: Subject, active: list[CompiledRule], refine: Refine | None
                         ) -> tuple[tuple[FieldChange, ...], list[str]]:
    used: list[str] = []
    fields = subject.fields
    for c in active:
        current = subject if fields is subject.fields else replace(subject, fields=fields)
        kept = remaining_fields(current, c.selectors, refine)
        if kept != fields:
            used.append(c.id)
        fields = kept
    return fields, used


def _after_field_ignores(subject: Subject, candidates: Sequence[CompiledRule],
                         fields: tuple[FieldChange, ...], used: list[str], *,
                         ids: tuple[str, ...], expired: tuple[str, ...]) -> Verdict:
    ignored = tuple(f for f in subject.fields if f.path not in {k.path for k in fields})
    if subject.fields and not fields:
        return Verdict(DEFAULT_SEVERITY, True, (), ignored, tuple(used), (), expired,
                       None, (), None, ids)
    masked = replace(subject, fields=fields)
    rematched = [c for c in candidates if c.rule.kind in ("severity", "classify")
                 and c.dynamic_match(masked)]
    severity, by = decide_severity(_of(rematched, "severity"))
    verdict = _final(masked, rematched, severity, by, ids, expired=expired, overridden=())
    return replace(verdict, ignored_fields=ignored, ignored_by=tuple(used))


def _final(subject: Subject, matched: Sequence[CompiledRule], severity: Severity,
           by: str | None, ids: tuple[str, ...], *, expired: tuple[str, ...],
           overridden: tuple[str, ...]) -> Verdict:
    tags: list[str] = []
    interruption: Interruption | None = None
    for c in _of(matched, "classify"):
        rule = c.rule
        assert isinstance(rule, ClassifyRule)
        tags.extend(t for t in rule.tags if t not in tags)
        if rule.interruption is not None and (
                interruption is None
                or _INTERRUPTION_ORDER[rule.interruption] > _INTERRUPTION_ORDER[interruption]):
            interruption = rule.interruption
    return Verdict(severity, False, subject.fields, (), (), overridden, expired, by,
                   tuple(tags), interruption, ids)


def _would_apply(c: CompiledRule, subject: Subject, refine: Refine | None) -> bool:
    return not c.selectors or remaining_fields(subject, c.selectors, refine) != subject.fields


def _ignore(c: CompiledRule) -> IgnoreRule:
    assert isinstance(c.rule, IgnoreRule)
    return c.rule
