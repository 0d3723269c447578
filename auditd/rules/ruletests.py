"""Run the example cases packs carry in ``tests:`` (the future ``driftaudit rules test``).

Each case builds a :class:`~auditd.rules.subject.Subject`, evaluates it at the
case's ``now`` against its own pack (or every pack, ``against: all``) and
compares the items ``expect`` names.  Fields are filtered, not recomputed
(no ``refine``), so cases are self-contained data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditd.model import FieldChange, ResourceKey
from auditd.rules.models import RuleCase
from auditd.rules.ruleset import RuleSet
from auditd.rules.subject import Subject

__all__ = ["CaseResult", "run_rule_tests", "subject_of"]


@dataclass(frozen=True, slots=True)
class CaseResult:
    pack: str
    source: str
    name: str
    ok: bool
    problems: tuple[str, ...] = ()

    def __str__(self) -> str:
        status = "ok" if self.ok else "FAILED"
        detail = "".join(f"\n    {p}" for p in self.problems)
        return f"{status}  {self.pack}: {self.name}{detail}"


def subject_of(case: RuleCase) -> Subject:
    s = case.subject
    fields = tuple(FieldChange(f.path, f.op, f.before, f.after) for f in s.fields)
    return Subject(key=ResourceKey.parse(s.key), kind=s.kind, address=s.address, fields=fields,
                   attrs=s.attrs, before=s.before, scope=s.scope)


def run_rule_tests(ruleset: RuleSet) -> list[CaseResult]:
    """Every case of every pack, in load order."""
    results = []
    for loaded in ruleset.packs:
        own = ruleset.pack_only(loaded.pack.pack)
        for case in loaded.pack.tests:
            rules = own if case.against == "pack" else ruleset
            problems = _check(rules, case)
            results.append(CaseResult(loaded.pack.pack, loaded.source, case.name, not problems,
                                      tuple(problems)))
    return results


def _check(rules: RuleSet, case: RuleCase) -> list[str]:
    try:
        subject = subject_of(case)
    except ValueError as exc:
        return [f"bad subject: {exc}"]
    verdict = rules.evaluate(subject, case.now)
    e = case.expect
    got: dict[str, Any] = {
        "severity": verdict.severity, "suppressed": verdict.suppressed,
        "fields": sorted(f.path for f in verdict.fields),
        "ignored_fields": sorted(f.path for f in verdict.ignored_fields),
        "ignored_by": sorted(verdict.ignored_by),
        "overridden_ignores": sorted(verdict.overridden_ignores),
        "tags": sorted(verdict.tags), "interruption": verdict.interruption,
        "muted": bool(rules.muted(subject, case.now, verdict.severity)),
        "approvals": rules.review_policy(subject).approvals,
    }
    problems = []
    for name in e.model_fields_set:
        want = getattr(e, name)
        want = sorted(want) if isinstance(want, list) else want
        if want != got[name]:
            problems.append(f"{name}: expected {want!r}, got {got[name]!r} "
                            f"(matched rules: {', '.join(verdict.matched) or 'none'})")
    return problems
