"""A loaded, immutable set of rule packs with its index, and the questions it answers.

:class:`RuleSet` is built from pack texts (all valid, or :class:`RuleFileError`
and nothing built), applies ``disable`` lists, and answers: how is this subject
rated (:meth:`~RuleSet.evaluate`), is it muted by a maintenance window
(:meth:`~RuleSet.muted`), what review does it need (:meth:`~RuleSet.review_policy`;
:meth:`~RuleSet.review_needs_attrs` says whether that answer depends on attributes).

**Index.**  Rules are bucketed by exact ``tf_type``; rules with type globs (or
none) are kept apart.  The rules whose static part (provider, type, account,
region, kind) matches are cached per combination of those five, so a subject
costs one dict lookup plus the dynamic checks of its few candidates, instead of
a walk over every rule (``indexed=False``, kept to measure the difference).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from auditd.rules.cron import parse_cron
from auditd.rules.evaluate import Verdict, evaluate_subject
from auditd.rules.fieldtypes import SEVERITY_ORDER, Severity, parse_duration
from auditd.rules.ignoring import Refine
from auditd.rules.matching import CompiledRule, compile_rule
from auditd.rules.models import IgnoreRule, MaintenanceRule, ReviewRule, Window
from auditd.rules.parse import LoadedPack, RuleFileError, RuleIssue, load_pack
from auditd.rules.subject import Subject

__all__ = ["ReviewPolicy", "RuleSet"]

StaticKey = tuple[str, str, str, str, str]
_CACHE_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class ReviewPolicy:
    """The strictest of the matching review rules (defaults: 1 approval, not the author, 24 h)."""

    approvals: int = 1
    author_may_approve: bool = False
    emergency_window: timedelta = timedelta(hours=24)
    rules: tuple[str, ...] = ()
    # The shortest window a matching rule sets explicitly (None: no rule sets one, so the
    # caller's default applies, e.g. the settings' [review].emergency_window).
    explicit_window: timedelta | None = None


@dataclass(slots=True)
class _Index:
    by_type: dict[str, list[CompiledRule]] = field(default_factory=dict)
    other: list[CompiledRule] = field(default_factory=list)
    cache: dict[StaticKey, tuple[CompiledRule, ...]] = field(default_factory=dict)


class RuleSet:
    """Immutable after construction; share it freely between threads."""

    def __init__(self, packs: Sequence[LoadedPack] = ()) -> None:
        self.packs = tuple(packs)
        _check_ids(self.packs)
        disabled = {d for p in self.packs for d in p.pack.disable}
        self.rules: tuple[CompiledRule, ...] = tuple(
            compile_rule(rule, p.pack.pack, n)
            for n, (p, rule) in enumerate((p, r) for p in self.packs for r in p.pack.rules)
            if rule.id not in disabled)
        self._index = _Index()
        for c in self.rules:
            types = c.rule.match.types
            if types and not any(ch in t for t in types for ch in "*?["):
                for t in types:
                    self._index.by_type.setdefault(t, []).append(c)
            else:
                self._index.other.append(c)

    @classmethod
    def from_texts(cls, texts: Iterable[tuple[str, str]]) -> RuleSet:
        """``(source, text)`` pairs, in load order; every problem of every file is reported."""
        loaded: list[LoadedPack] = []
        issues: list[RuleIssue] = []
        for source, text in texts:
            try:
                loaded.append(load_pack(text, source))
            except RuleFileError as exc:
                issues.extend(exc.issues)
        if issues:
            raise RuleFileError(issues)
        return cls(loaded)

    def pack_only(self, name: str) -> RuleSet:
        """The rules of one pack alone (what its ``tests`` run against by default)."""
        return RuleSet([p for p in self.packs if p.pack.pack == name])

    def candidates(self, s: Subject, *, indexed: bool = True) -> Sequence[CompiledRule]:
        k = s.key
        static: StaticKey = (k.provider, k.tf_type, k.account, k.region, s.kind)
        if not indexed:
            return [c for c in self.rules if c.static_match(*static)]
        found = self._index.cache.get(static)
        if found is None:
            if len(self._index.cache) >= _CACHE_LIMIT:
                self._index.cache.clear()
            pool = self._index.by_type.get(k.tf_type, []) + self._index.other
            found = tuple(sorted((c for c in pool if c.static_match(*static)),
                                 key=lambda c: c.order))
            self._index.cache[static] = found
        return found

    def evaluate(self, subject: Subject, now: datetime, refine: Refine | None = None, *,
                 indexed: bool = True) -> Verdict:
        return evaluate_subject(subject, self.candidates(subject, indexed=indexed), now, refine)

    def muted(self, subject: Subject, at: datetime,
              severity: Severity = Severity.MEDIUM) -> tuple[str, ...]:
        """Ids of the maintenance rules whose window is open at ``at`` and whose scope matches."""
        out = []
        for c in self.candidates(subject):
            rule = c.rule
            if isinstance(rule, MaintenanceRule) and c.dynamic_match(subject) \
                    and SEVERITY_ORDER[severity] <= SEVERITY_ORDER[rule.mutes_up_to] \
                    and any(_open(w, at, rule.timezone) for w in rule.windows):
                out.append(rule.id)
        return tuple(out)

    def review_needs_attrs(self, subject: Subject) -> bool:
        """Would a review rule's ``when`` decide whether it applies to ``subject``?

        True when a review rule matching the subject in everything but its condition has
        one: only then must the caller read the change's stored attributes.
        """
        return any(isinstance(c.rule, ReviewRule) and c.when is not None
                   and c.match_besides_condition(subject) for c in self.candidates(subject))

    def review_policy(self, subject: Subject) -> ReviewPolicy:
        rules = [c.rule for c in self.candidates(subject)
                 if isinstance(c.rule, ReviewRule) and c.dynamic_match(subject)]
        if not rules:
            return ReviewPolicy()
        return ReviewPolicy(
            approvals=max(r.approvals for r in rules),
            author_may_approve=all(r.author_may_approve for r in rules),
            emergency_window=min(parse_duration(r.emergency_window) for r in rules),
            rules=tuple(r.id for r in rules),
            explicit_window=min((parse_duration(r.emergency_window) for r in rules
                                 if "emergency_window" in r.model_fields_set), default=None))

    def expiring(self, now: datetime, within: timedelta) -> tuple[IgnoreRule, ...]:
        """Active ignores that expire within ``within`` (to warn their owners)."""
        return tuple(c.rule for c in self.rules if isinstance(c.rule, IgnoreRule)
                     and c.rule.active(now) and c.rule.expires is not None
                     and c.rule.expires <= now + within)


def _open(window: Window, at: datetime, timezone: str) -> bool:
    if window.start is not None and window.end is not None:
        return window.start <= at < window.end
    assert window.cron is not None and window.duration is not None
    local = at.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    return parse_cron(window.cron).started_within(local, parse_duration(window.duration))


def _check_ids(packs: Sequence[LoadedPack]) -> None:
    first: dict[str, tuple[str, int]] = {}
    issues, all_ids = [], {r.id for p in packs for r in p.pack.rules}
    for p in packs:
        for rule in p.pack.rules:
            line = p.lines.get(rule.id, 1)
            if rule.id in first:
                where = "{}:{}".format(*first[rule.id])
                issues.append(RuleIssue(p.source, line, "id",
                                        f"rule id {rule.id!r} already defined at {where}"))
            first.setdefault(rule.id, (p.source, line))
        issues.extend(RuleIssue(p.source, p.lines.get(f"disable:{d}", 1), "disable",
                                f"no rule {d!r} to disable") for d in p.pack.disable
                      if d not in all_ids)
    if issues:
        raise RuleFileError(issues)
