"""The rule-pack schema: pydantic models of every rule kind (``docs/rules.md``).

A pack is YAML data: ``pack``, optional ``disable`` (ids of rules of other packs
to switch off), ``rules`` and example ``tests``.  Every model forbids unknown
fields, so a typo is an error, never a silently inert rule.  No model can name
Python code.  ``rules/schema.json`` is generated from :class:`RulePack`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from auditd.rules.conditions import Condition
from auditd.rules.cron import parse_cron
from auditd.rules.fieldtypes import (
    ClassTag,
    DurationText,
    Glob,
    Interruption,
    PathPattern,
    RuleId,
    Severity,
    parse_duration,
)

__all__ = [
    "ClassifyRule",
    "FieldSelector",
    "IgnoreRule",
    "MaintenanceRule",
    "Match",
    "ReviewRule",
    "Rule",
    "RulePack",
    "SeverityRule",
    "Window",
]

SubjectKind = Literal["unmanaged", "missing", "changed", "unapplied", "added", "removed",
                      "modified"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Match(_Strict):
    """Which subjects a rule applies to; every given criterion must hold (globs: fnmatch)."""

    types: list[Glob] = []
    addresses: list[Glob] = []
    keys: list[Glob] = []
    accounts: list[Glob] = []
    regions: list[Glob] = []
    providers: list[Glob] = []
    scopes: list[Glob] = []
    kinds: list[SubjectKind] = []
    fields: list[PathPattern] = Field(default=[], description=(
        "some changed field is at, under or above one of these paths"))
    only_fields: list[PathPattern] = Field(default=[], description=(
        "the subject has changed fields and every one is at or under one of these paths"))
    when: Condition | None = Field(default=None, description=(
        "a condition on the resource's current attributes"))


class _Rule(_Strict):
    id: RuleId
    description: str = ""
    match: Match = Match()


class FieldSelector(_Strict):
    """A path to ignore; with ``element``, only the list elements the condition selects."""

    path: PathPattern
    element: Condition | None = None


def _aware(value: datetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("expires needs a timezone, e.g. 2026-07-01T00:00:00Z")
        return value
    return datetime.combine(value, time(), tzinfo=UTC)


class IgnoreRule(_Rule):
    """Ignore whole subjects, or only ``fields`` of them, until ``expires``."""

    kind: Literal["ignore"]
    owner: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    expires: datetime | date | None = Field(default=None, description=(
        "the rule stops applying at this instant; a date means 00:00 UTC that day"))
    fields: list[FieldSelector] = []

    @field_validator("expires")
    @classmethod
    def _timezone(cls, value: datetime | date | None) -> datetime | None:
        return _aware(value)

    def active(self, now: datetime) -> bool:
        return self.expires is None or now < self.expires


class SeverityRule(_Rule):
    kind: Literal["severity"]
    severity: Severity
    priority: int = Field(default=0, description="higher wins before severity is compared")


class ClassifyRule(_Rule):
    kind: Literal["classify"]
    tags: list[ClassTag] = Field(min_length=1)
    interruption: Interruption | None = None


class ReviewRule(_Rule):
    kind: Literal["review"]
    approvals: int = Field(default=1, ge=0, le=10)
    author_may_approve: bool = False
    emergency_window: DurationText = "24h"

    @property
    def window(self) -> timedelta:
        return parse_duration(self.emergency_window)


class Window(_Strict):
    """``cron`` + ``duration`` (a recurring window) or ``start`` + ``end`` (a fixed one)."""

    cron: str | None = None
    duration: DurationText | None = None
    start: datetime | None = None
    end: datetime | None = None

    @model_validator(mode="after")
    def _shape(self) -> Window:
        recurring = self.cron is not None and self.duration is not None
        fixed = self.start is not None and self.end is not None
        if recurring == fixed or (self.cron is None) != (self.duration is None):
            raise ValueError("a window is either cron + duration or start + end")
        if self.cron is not None:
            parse_cron(self.cron)
        if fixed:
            _aware(self.start)
            if self.end <= self.start:  # type: ignore[operator]
                raise ValueError("a window's end must be after its start")
        return self


class MaintenanceRule(_Rule):
    kind: Literal["maintenance"]
    windows: list[Window] = Field(min_length=1)
    timezone: str = "UTC"
    mutes_up_to: Severity = Field(default=Severity.HIGH, description=(
        "subjects rated above this still notify during the window"))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as "
                             "'Europe/Berlin' or 'UTC'") from None
        return value


Rule = Annotated[IgnoreRule | SeverityRule | ClassifyRule | ReviewRule | MaintenanceRule,
                 Field(discriminator="kind")]


class CaseField(_Strict):
    path: PathPattern
    op: Literal["added", "removed", "changed"] = "changed"
    before: Any = None
    after: Any = None


class CaseSubject(_Strict):
    kind: SubjectKind
    key: str = Field(description="provider/tf_type/account/region/id")
    address: str = ""
    scope: str = ""
    fields: list[CaseField] = []
    attrs: dict[str, Any] = {}
    before: dict[str, Any] | None = None


class Expect(_Strict):
    """What the case must produce; only the given items are checked."""

    severity: Severity | None = None
    suppressed: bool | None = None
    fields: list[str] | None = None
    ignored_fields: list[str] | None = None
    ignored_by: list[str] | None = None
    overridden_ignores: list[str] | None = None
    tags: list[str] | None = None
    interruption: Interruption | None = None
    muted: bool | None = None
    approvals: int | None = None


class RuleCase(_Strict):
    name: str = Field(min_length=1)
    subject: CaseSubject
    now: datetime
    expect: Expect
    against: Literal["pack", "all"] = Field(default="pack", description=(
        "evaluate with this pack's rules alone, or with every loaded pack"))


class RulePack(_Strict):
    version: Literal[1] = 1
    pack: RuleId
    description: str = ""
    disable: list[RuleId] = []
    rules: list[Rule] = []
    tests: list[RuleCase] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> RulePack:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice in this pack")
            seen.add(rule.id)
        return self
