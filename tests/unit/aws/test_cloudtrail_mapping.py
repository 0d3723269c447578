"""The event-to-resource table: every registered AWS type is mapped, ids as Terraform's."""

from __future__ import annotations

from typing import Any

import pytest

from auditd.collectors.aws._base import registered_types
from auditd.collectors.aws.cloudtrail.mapping import RULES, UNMAPPED, keys_of, mapped_types
from auditd.collectors.aws.cloudtrail.records import parse_record


def test_every_registered_type_has_rules_or_a_reason() -> None:
    missing = set(registered_types()) - mapped_types() - set(UNMAPPED)
    assert not missing, (f"no CloudTrail rules for {sorted(missing)}: add them to RULES in "
                         "auditd/collectors/aws/cloudtrail/mapping.py, or list the type in "
                         "UNMAPPED with the reason")
    assert all(reason.strip() for reason in UNMAPPED.values())


def test_rules_name_real_event_sources_and_paths() -> None:
    for rule in RULES:
        assert rule.source and rule.names and rule.targets
        for target in rule.targets:
            assert target.tf_type.startswith("aws_")
            assert all(p.split(".")[0] in {"request", "response"} for p in target.paths)


def _event(source: str, name: str, request: Any = None, response: Any = None,
           region: str = "eu-west-1") -> Any:
    event = parse_record({"eventID": "e", "eventTime": "2026-01-01T00:00:00Z",
                          "eventSource": f"{source}.amazonaws.com", "eventName": name,
                          "awsRegion": region, "recipientAccountId": "111122223333",
                          "requestParameters": request, "responseElements": response}, "t")
    assert not isinstance(event, Exception) and hasattr(event, "event_id")
    return event


@pytest.mark.parametrize(("source", "name", "request_", "response", "expected"), [
    ("ec2", "CreateSecurityGroup", {"groupName": "web"}, {"groupId": "sg-1"},
     ("aws_security_group", "sg-1", "eu-west-1")),
    ("ec2", "RunInstances", {}, {"instancesSet": {"items": [{"instanceId": "i-1"},
                                                            {"instanceId": "i-2"}]}},
     ("aws_instance", "i-1", "eu-west-1")),
    ("ec2", "CreateTags", {"resourcesSet": {"items": [{"resourceId": "vpc-9"}]}}, None,
     ("aws_vpc", "vpc-9", "eu-west-1")),
    ("route53", "CreateHostedZone", {}, {"hostedZone": {"id": "/hostedzone/Z123"}},
     ("aws_route53_zone", "Z123", "global")),
    ("kms", "EnableKeyRotation",
     {"keyId": "arn:aws:kms:eu-west-1:111122223333:key/1234-abcd"}, None,
     ("aws_kms_key", "1234-abcd", "eu-west-1")),
    ("ecs", "UpdateCluster", {"cluster": "main"}, None,
     ("aws_ecs_cluster", "arn:aws:ecs:eu-west-1:111122223333:cluster/main", "eu-west-1")),
    ("s3", "PutBucketVersioning", {"bucketName": "logs"}, None,
     ("aws_s3_bucket_versioning", "logs", "eu-west-1")),
    ("dynamodb", "TagResource",
     {"resourceArn": "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"}, None,
     ("aws_dynamodb_table", "orders", "eu-west-1")),
    ("route53", "ChangeResourceRecordSets", {"hostedZoneId": "/hostedzone/Z9", "changeBatch": {
        "changes": [{"action": "UPSERT", "resourceRecordSet": {"name": "WWW.Example.com.",
                                                              "type": "A"}}]}}, None,
     ("aws_route53_record", "Z9_www.example.com_A", "global")),
    ("ecs", "RegisterTaskDefinition", {"family": "web"}, {"taskDefinition": {
        "family": "web", "revision": 3}}, ("aws_ecs_task_definition", "web", "eu-west-1")),
    ("ecs", "DeregisterTaskDefinition", {"taskDefinition": "web:3"}, None,
     ("aws_ecs_task_definition", "web", "eu-west-1")),
    ("elasticloadbalancing", "ModifyListener", {"listenerArn": "arn:aws:elasticloadbalancing:"
                                                "eu-west-1:111122223333:listener/app/a/b/c"},
     None, ("aws_lb_listener", "arn:aws:elasticloadbalancing:eu-west-1:111122223333:"
                               "listener/app/a/b/c", "eu-west-1")),
])
def test_ids_are_terraform_ids(source: str, name: str, request_: Any, response: Any,
                               expected: tuple[str, str, str]) -> None:
    keys = keys_of(_event(source, name, request_, response))
    assert (keys[0].tf_type, keys[0].id, keys[0].region) == expected
    assert keys[0].account == "111122223333"


def test_unsupported_events_and_types_touch_no_key() -> None:
    assert keys_of(_event("ssm", "SendCommand", {"instanceIds": ["i-1"]})) == ()
    assert keys_of(_event("kms", "DisableKey", {"keyId": "alias/app"})) == ()
    event = _event("ec2", "CreateVpc", {}, {"vpc": {"vpcId": "vpc-1"}})
    assert keys_of(event, supported=lambda t: t != "aws_vpc") == ()


def test_the_docs_list_every_mapped_type() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "cloudtrail.md").read_text()
    missing = [t for t in sorted(mapped_types()) if f"`{t}`" not in docs]
    assert not missing, f"docs/cloudtrail.md does not list {missing}: regenerate its table"
