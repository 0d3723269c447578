"""References stored in the form the configuration chose: compared in their short form.

An ECS service's ``cluster`` (ARN or name), ``task_definition`` (ARN or
``family:revision``) and ``iam_role`` (ARN or name, with the role's path) normalise alike
on every side, and a different cluster, revision or role still differs after
normalisation.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditd.model import unknown
from auditd.normalize import HmacFingerprinter, normalize_attrs, rules_for
from auditd.normalize.references import (
    cluster_name,
    role_name,
    short_references,
    task_definition_revision,
)

FP = HmacFingerprinter(b"k" * 32)
SVC = "aws_ecs_service"
PREFIX = "arn:aws:ecs:eu-west-1:123456789012"
IAM = "arn:aws:iam::123456789012"


def norm(attrs: dict[str, Any], tf_type: str = SVC) -> dict[str, Any]:
    return normalize_attrs(tf_type, attrs, FP)


@pytest.mark.parametrize(("value", "expected"), [
    (f"{PREFIX}:cluster/apps", "apps"),
    ("arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/prod_blue-2", "prod_blue-2"),
    ("apps", "apps"),
    (f"{PREFIX}:service/apps/api", f"{PREFIX}:service/apps/api"),  # not a cluster ARN
    ("arn:aws:iam::123456789012:role/cluster/apps", "arn:aws:iam::123456789012:role/cluster/apps"),
    ("", ""),
    (None, None),
])
def test_cluster_name(value: Any, expected: Any) -> None:
    assert cluster_name(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (f"{PREFIX}:task-definition/web:3", "web:3"),
    ("arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/my_app-x:112", "my_app-x:112"),
    ("web:3", "web:3"),
    ("web", "web"),  # a bare family (the latest revision): nothing to shorten
    (f"{PREFIX}:task-definition/web", f"{PREFIX}:task-definition/web"),
    (f"{PREFIX}:cluster/web", f"{PREFIX}:cluster/web"),
    (7, 7),
])
def test_task_definition_revision(value: Any, expected: Any) -> None:
    assert task_definition_revision(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (f"{IAM}:role/ecs-service", "ecs-service"),
    (f"{IAM}:role/service-role/ecs-service", "ecs-service"),
    ("arn:aws-cn:iam::123456789012:role/a/b/c/Deploy_Role+=,.@-1", "Deploy_Role+=,.@-1"),
    (f"{IAM}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
     "AWSServiceRoleForECS"),
    ("ecs-service", "ecs-service"),
    ("service-role/ecs-service", "ecs-service"),  # the provider's name form, path included
    ("/service-role/ecs-service", "ecs-service"),
    (f"{IAM}:user/ecs-service", f"{IAM}:user/ecs-service"),  # not a role
    (f"{IAM}:instance-profile/ecs", f"{IAM}:instance-profile/ecs"),
    (f"{PREFIX}:cluster/apps", f"{PREFIX}:cluster/apps"),
    (f"{IAM}:role/", f"{IAM}:role/"),
    ("arn:aws:iam::123:role/x", "arn:aws:iam::123:role/x"),  # not an account id
    ("a role", "a role"),
    ("service-role/", "service-role/"),
    ("", ""),
    (None, None),
    (3, 3),
])
def test_role_name(value: Any, expected: Any) -> None:
    assert role_name(value) == expected


def test_unknown_markers_pass_through() -> None:
    marker = unknown("aws_ecs_cluster.apps.id")
    assert cluster_name(marker) is marker
    assert norm({"cluster": marker, "task_definition": unknown("aws_ecs_task_definition.web.arn")}
                ) == {"cluster": marker,
                      "task_definition": unknown("aws_ecs_task_definition.web.arn")}


def test_arn_and_short_forms_normalise_alike() -> None:
    by_arn = {"name": "api", "cluster": f"{PREFIX}:cluster/apps",
              "task_definition": f"{PREFIX}:task-definition/web:3",
              "iam_role": f"{IAM}:role/service-role/ecs-service"}
    by_name = {"name": "api", "cluster": "apps", "task_definition": "web:3",
               "iam_role": "service-role/ecs-service"}
    short = {**by_name, "iam_role": "ecs-service"}
    assert norm(by_arn) == norm(by_name) == norm(short) == short
    assert norm({"iam_role": unknown("aws_iam_role.ecs.arn")}) == {
        "iam_role": unknown("aws_iam_role.ecs.arn")}


@pytest.mark.parametrize(("field", "other"), [
    ("cluster", f"{PREFIX}:cluster/batch"),
    ("task_definition", f"{PREFIX}:task-definition/web:4"),
    ("task_definition", f"{PREFIX}:task-definition/worker:3"),
    ("iam_role", f"{IAM}:role/ecs-other"),
])
def test_another_cluster_or_revision_still_differs(field: str, other: str) -> None:
    state = {"name": "api", "cluster": "apps", "task_definition": "web:3",
             "iam_role": "ecs-service"}
    live = {"name": "api", "cluster": f"{PREFIX}:cluster/apps",
            "task_definition": f"{PREFIX}:task-definition/web:3",
            "iam_role": f"{IAM}:role/ecs-service", field: other}
    assert norm(live)[field] != norm(state)[field]


def test_normalising_twice_changes_nothing() -> None:
    once = norm({"cluster": f"{PREFIX}:cluster/apps",
                 "task_definition": f"{PREFIX}:task-definition/web:3",
                 "iam_role": f"{IAM}:role/service-role/ecs-service"})
    assert norm(once) == once


def test_other_types_keep_their_arns() -> None:
    arn = f"{PREFIX}:cluster/apps"
    assert norm({"cluster": arn, "arn": arn}, "aws_ecs_cluster") == {"cluster": arn, "arn": arn}
    assert norm({"id": arn}) == {"id": arn}  # the service's own id is an ARN, and stays one
    role = f"{IAM}:role/ecs-service"
    assert norm({"iam_role": role}, "aws_instance") == {"iam_role": role}
    assert norm({"role": role}, "aws_lambda_function") == {"role": role}


def test_the_service_rules_name_its_references() -> None:
    assert dict(rules_for(SVC).value_forms) == {"cluster": cluster_name,
                                                "task_definition": task_definition_revision,
                                                "iam_role": role_name}
    assert short_references({"desired_count": 2}, rules_for(SVC).value_forms) == \
        {"desired_count": 2}
