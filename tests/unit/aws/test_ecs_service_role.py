"""An ECS service's ``iam_role``, read live from ``DescribeServices`` (``roleArn``).

Terraform's state keeps ``iam_role`` in the form the configuration used: the role's ARN,
or its name (the ARN's resource without ``role/``, so with the role's path).  AWS answers
the ARN.  Every form compares equal after normalisation (the role's name); another role
is a ``changed`` finding.

moto 5 returns ``roleArn`` from ``DescribeServices``, echoing what ``CreateService`` was
given (AWS itself always answers the ARN), so these tests create services with the ARN.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditd.collectors.aws._base import Location, get_type
from auditd.collectors.terraform.state import StateDefaults, parse_state
from auditd.diff.drift import compute_drift
from auditd.diff.drift_inputs import DriftInput, Stack
from auditd.model import DriftKind, Resource
from auditd.normalize import HmacFingerprinter, normalize_attrs, normalize_resource
from auditd.service.drift_mapped import registry_mapped_fields
from tests.unit.aws.scenarios_containers import ecs_service_role, register_web
from tests.unit.aws.support import ACCOUNT, REGION, client, collect, resources

TF_TYPE = "aws_ecs_service"
FP = HmacFingerprinter(b"k" * 32)
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/ecs-service"
FIXTURE = Path(__file__).resolve().parents[2] / "data" / "aws" / f"{TF_TYPE}.json"


def _services(**roles: str | None) -> dict[str, str]:
    """One service per name, with that role (None: none); their ARNs by name."""
    ecs = client("ecs")
    ecs.create_cluster(clusterName="apps")
    task = register_web(ecs)
    made = {}
    for name, role in roles.items():
        extra = {} if role is None else {"role": role}
        made[name] = ecs.create_service(cluster="apps", serviceName=name, taskDefinition=task,
                                        desiredCount=1, launchType="EC2", **extra
                                        )["service"]["serviceArn"]
    return made


def _live() -> dict[str, Resource]:
    outcomes = collect([TF_TYPE])
    assert [o.error for o in outcomes if o.error] == []
    return {r.attrs["name"]: r for r in resources(outcomes)}


def _state(arn: str, iam_role: str) -> Resource:
    """The fixture's service (``tests/data/aws``) with this id and ``iam_role``."""
    text = FIXTURE.read_text()
    for name, value in {"id": arn, "cluster": "apps", "task_definition": "web:1",
                        "iam_role": iam_role}.items():
        text = text.replace("{{" + name + "}}", value)
    document = json.loads(text)
    attributes = document["resources"][0]["instances"][0]["attributes"]
    attributes.update(desired_count=1, propagate_tags="NONE", tags={}, tags_all={},
                      name=arn.rsplit("/", 1)[1])
    read = parse_state(json.dumps(document).encode(), "ecs.tfstate",
                       StateDefaults(account=ACCOUNT, region=REGION))
    [found] = read.resources
    return normalize_resource(found, FP)


def _changed(live: Resource, state: Resource) -> list[tuple[str, Any, Any]]:
    report = compute_drift(DriftInput(
        live=[normalize_resource(live, FP)], stacks=[Stack("ecs.tfstate", applied=[state])],
        observed_at=datetime(2026, 11, 2, tzinfo=UTC), mapped_fields=registry_mapped_fields()))
    return [(f.path, f.before, f.after) for d in report.drifts
            if d.finding.kind is DriftKind.CHANGED for f in d.finding.fields]


def test_describe_services_role_arn_is_read_as_iam_role(mocked: None) -> None:
    role = ecs_service_role()
    assert role == ROLE_ARN
    _services(api=role, plain=None)
    live = _live()
    assert live["api"].attrs["iam_role"] == ROLE_ARN  # as AWS answers it
    assert live["plain"].attrs["iam_role"] is None  # no role: stored without the attribute
    assert normalize_resource(live["api"], FP).attrs["iam_role"] == "ecs-service"
    assert "iam_role" not in normalize_resource(live["plain"], FP).attrs
    assert "iam_role" in registry_mapped_fields()[TF_TYPE]  # so `changed` compares it


@pytest.mark.parametrize("stored", [ROLE_ARN, "service-role/ecs-service", "ecs-service"])
def test_every_form_the_state_keeps_matches_the_live_arn(mocked: None, stored: str) -> None:
    arns = _services(api=ecs_service_role())
    assert _changed(_live()["api"], _state(arns["api"], stored)) == []


def test_another_role_is_a_change(mocked: None) -> None:
    arns = _services(api=ecs_service_role())
    other = f"arn:aws:iam::{ACCOUNT}:role/ecs-legacy"
    assert _changed(_live()["api"], _state(arns["api"], other)) == [
        ("iam_role", "ecs-legacy", "ecs-service")]


def test_a_role_only_live_is_a_change(mocked: None) -> None:
    arns = _services(api=ecs_service_role())
    assert _changed(_live()["api"], _state(arns["api"], "")) == [
        ("iam_role", None, "ecs-service")]


def test_the_service_linked_role_aws_reports_matches_the_providers_name_form() -> None:
    """A recorded ``DescribeServices`` shape: the service-linked role AWS fills in."""
    linked = (f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/"
              "AWSServiceRoleForECS")
    ecs_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
    raw = {"serviceArn": f"{ecs_arn}:service/apps/api",
           "described": [{"serviceName": "api", "status": "ACTIVE", "roleArn": linked,
                          "clusterArn": f"{ecs_arn}:cluster/apps",
                          "taskDefinition": f"{ecs_arn}:task-definition/web:1",
                          "desiredCount": 1}]}
    attrs = get_type(TF_TYPE)(Location(ACCOUNT, REGION)).to_attrs(raw)
    assert attrs["iam_role"] == linked
    provider_form = "aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
    assert normalize_attrs(TF_TYPE, {"iam_role": attrs["iam_role"]}, FP) == \
        normalize_attrs(TF_TYPE, {"iam_role": provider_form}, FP) == \
        {"iam_role": "AWSServiceRoleForECS"}
