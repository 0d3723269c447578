"""Compiled rule matches: globs as regular expressions, paths parsed once.

A :class:`CompiledRule` splits a rule's ``match`` into the *static* part
(provider, type, account, region, kind: the same for every subject of one
resource class, so the index caches it) and the *dynamic* part (address, key,
scope, changed fields, condition), checked per subject.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from auditd.model import FieldChange
from auditd.paths import WILDCARD, PathSegment, parse_path
from auditd.rules.conditions import Predicate, compile_condition
from auditd.rules.models import IgnoreRule, Match, Rule
from auditd.rules.subject import Subject

__all__ = ["CompiledRule", "GlobSet", "Selector", "compile_rule", "field_path", "under"]

Path = tuple[PathSegment, ...]
Selector = tuple[Path, Predicate | None]  # an ignore's field path and element condition


class GlobSet:
    """Any-of a list of fnmatch globs; an empty list matches everything."""

    __slots__ = ("exact", "pattern", "universal")

    def __init__(self, globs: Sequence[str]) -> None:
        self.universal = not globs or "*" in globs
        self.exact = frozenset(g for g in globs if not any(c in g for c in "*?["))
        wild = [fnmatch.translate(g) for g in globs if g not in self.exact]
        self.pattern = re.compile("|".join(wild)) if wild else None

    def __call__(self, value: str) -> bool:
        return (self.universal or value in self.exact
                or (self.pattern is not None and self.pattern.match(value) is not None))


@lru_cache(maxsize=65536)
def field_path(text: str) -> Path:
    """A FieldChange path parsed (cached: the same paths recur across subjects)."""
    try:
        return parse_path(text)
    except ValueError:
        return (text,)


def _segments_match(pattern: Path, path: Path) -> bool:
    return all(p in (WILDCARD, s) for p, s in zip(pattern, path, strict=False))


def under(path: Path, pattern: Path) -> bool:
    """``path`` is at or below ``pattern``."""
    return len(path) >= len(pattern) and _segments_match(pattern, path)


def _overlaps(path: Path, pattern: Path) -> bool:
    return _segments_match(pattern, path)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    pack: str
    order: int  # load order: packs in order, rules in file order
    providers: GlobSet
    types: GlobSet
    accounts: GlobSet
    regions: GlobSet
    kinds: frozenset[str]
    addresses: GlobSet
    keys: GlobSet
    scopes: GlobSet
    fields: tuple[Path, ...]
    only_fields: tuple[Path, ...]
    when: Predicate | None
    selectors: tuple[Selector, ...]  # of an ignore rule

    @property
    def id(self) -> str:
        return self.rule.id

    def static_match(self, provider: str, tf_type: str, account: str, region: str,
                     kind: str) -> bool:
        return ((not self.kinds or kind in self.kinds) and self.types(tf_type)
                and self.accounts(account) and self.regions(region) and self.providers(provider))

    def dynamic_match(self, s: Subject) -> bool:
        return self.match_besides_condition(s) and (
            self.when is None or self.when(s.attrs, s.before))

    def match_besides_condition(self, s: Subject) -> bool:
        """The dynamic part without ``when``: decided without the subject's attributes."""
        m: Match = self.rule.match
        if m.addresses and not self.addresses(s.address):
            return False
        if (m.keys and not self.keys(str(s.key))) or (m.scopes and not self.scopes(s.scope)):
            return False
        if self.fields and not _any_field(s.fields, self.fields):
            return False
        return not self.only_fields or _only_fields(s.fields, self.only_fields)

    def matches(self, s: Subject) -> bool:
        k = s.key
        return (self.static_match(k.provider, k.tf_type, k.account, k.region, s.kind)
                and self.dynamic_match(s))


def _any_field(fields: Sequence[FieldChange], patterns: tuple[Path, ...]) -> bool:
    return any(_overlaps(field_path(f.path), p) for f in fields for p in patterns)


def _only_fields(fields: Sequence[FieldChange], patterns: tuple[Path, ...]) -> bool:
    return bool(fields) and all(any(under(field_path(f.path), p) for p in patterns)
                                for f in fields)


def compile_rule(rule: Rule, pack: str, order: int) -> CompiledRule:
    m = rule.match
    return CompiledRule(
        rule=rule, pack=pack, order=order, providers=GlobSet(m.providers),
        types=GlobSet(m.types), accounts=GlobSet(m.accounts), regions=GlobSet(m.regions),
        kinds=frozenset(m.kinds), addresses=GlobSet(m.addresses), keys=GlobSet(m.keys),
        scopes=GlobSet(m.scopes), fields=tuple(parse_path(p) for p in m.fields),
        only_fields=tuple(parse_path(p) for p in m.only_fields),
        when=None if m.when is None else compile_condition(m.when),
        selectors=_selectors(rule))


def _selectors(rule: Rule) -> tuple[Selector, ...]:
    if not isinstance(rule, IgnoreRule):
        return ()
    return tuple((parse_path(f.path), None if f.element is None else compile_condition(f.element))
                 for f in rule.fields)
