"""A family-only declared ECS task definition stands for any revision of that family."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from auditd.diff.drift_compare import declared_fields
from auditd.diff.drift_declared_forms import task_definition_family_matches
from auditd.diff.drift_eval import evaluate_drift, refine_fields
from auditd.model import DriftKind
from auditd.rules import RuleSet
from tests.unit.drift.builders import declared, run, state, unknown

SVC = "aws_ecs_service"
ADDR = "aws_ecs_service.api"
ARN = "arn:aws:ecs:eu-west-1:123456789012:service/apps/api"
TD_ARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7"


def _unapplied(declared_td: Any, applied_td: str, **more: Any) -> list[tuple[str, Any, Any]]:
    applied = state(ARN, ADDR, {"name": "api", "cluster": "apps",
                                "task_definition": applied_td, "desired_count": 2}, SVC)
    decl = declared(ADDR, {"name": "api", "cluster": "apps", "task_definition": declared_td,
                           **more}, SVC)
    return [(f.path, f.before, f.after) for d in run([], [applied], [decl]).drifts
            for f in d.finding.fields if d.finding.kind is DriftKind.UNAPPLIED]


@pytest.mark.parametrize(("declared_td", "applied_td", "match"), [
    ("web", "web:7", True),
    ("web", "web:1", True),
    ("web_2-b", "web_2-b:12", True),
    ("web", "api:7", False),        # another family
    ("web", "web-blue:7", False),   # a family whose name starts with the declared one
    ("web", "web", False),          # equal values are not this rule's business
    ("web:7", "web:8", False),      # a declared revision is exact
    ("web:7", "web:7", False),
    (TD_ARN, "web:7", False),       # ARNs are shortened by the normaliser, not here
    ("web", "web:x", False),
    ("", "web:7", False),
    (None, "web:7", False),
    (7, "web:7", False),
    ("web", None, False),
])
def test_family_match(declared_td: Any, applied_td: Any, match: bool) -> None:
    assert task_definition_family_matches(declared_td, applied_td) is match


def test_family_only_declaration_is_not_unapplied() -> None:
    assert _unapplied("web", "web:7") == []
    assert _unapplied("web", TD_ARN) == []  # a state holding the ARN: shortened to web:7


def test_another_family_or_revision_is_still_unapplied() -> None:
    assert _unapplied("api", "web:7") == [("task_definition", "web:7", "api")]
    assert _unapplied("web:6", "web:7") == [("task_definition", "web:7", "web:6")]
    assert _unapplied("web", "web:7", desired_count=3) == [("desired_count", 2, 3)]


def test_unknown_task_definition_stays_uncompared() -> None:
    assert _unapplied(unknown("aws_ecs_task_definition.web.family"), "web:7") == []


def test_the_rule_is_per_type_and_attribute() -> None:
    declared_attrs, applied_attrs = {"task_definition": "web"}, {"task_definition": "web:7"}
    assert declared_fields(declared_attrs, applied_attrs, SVC) == ()
    assert len(declared_fields(declared_attrs, applied_attrs)) == 1  # no type: exact
    assert len(declared_fields(declared_attrs, applied_attrs, "aws_instance")) == 1
    assert len(declared_fields({"family": "web"}, {"family": "web:7"}, SVC)) == 1


def test_refining_after_an_ignore_keeps_the_family_match() -> None:
    before = {"task_definition": "web:7", "desired_count": 2}
    after = {"task_definition": "web", "desired_count": 3}
    fields = refine_fields("unapplied", before, after, tf_type=SVC)
    assert [f.path for f in fields] == ["desired_count"]
    assert [f.path for f in refine_fields("unapplied", before, after)] == [
        "desired_count", "task_definition"]


def test_rated_finding_with_an_ignored_field_does_not_bring_the_family_back() -> None:
    applied = state(ARN, ADDR, {"name": "api", "task_definition": "web:7",
                                "desired_count": 2, "propagate_tags": "NONE"}, SVC)
    decl = declared(ADDR, {"name": "api", "task_definition": "web", "desired_count": 3,
                           "propagate_tags": "SERVICE"}, SVC)
    unapplied = [d for d in run([], [applied], [decl]).drifts
                 if d.finding.kind is DriftKind.UNAPPLIED]
    rules = RuleSet.from_texts([("t.yaml", (
        "pack: t\nrules:\n  - id: tags\n    kind: ignore\n    owner: o\n    reason: r\n"
        "    fields: [{path: propagate_tags}]\n"))])
    [rated] = evaluate_drift(unapplied, rules, datetime(2026, 11, 1, tzinfo=UTC))
    assert [f.path for f in rated.finding.fields] == ["desired_count"]
