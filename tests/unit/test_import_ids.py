"""Import ids: the keys of types whose Terraform id AWS cannot tell, and what happens
when a state lacks the attributes they are built from."""

from __future__ import annotations

import json

import pytest

from auditd.collectors.aws._base import Within
from auditd.collectors.terraform.state import StateDefaults, parse_state
from auditd.normalize.typerules import IMPORT_ID_TYPES, import_id

ARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def test_role_policy_attachment_and_record_ids() -> None:
    assert import_id("aws_iam_role_policy_attachment",
                     {"role": "ci", "policy_arn": ARN}) == f"ci/{ARN}"
    record = {"zone_id": "Z1", "fqdn": "WWW.Example.com", "type": "A"}
    assert import_id("aws_route53_record", record) == "Z1_www.example.com_A"
    assert import_id("aws_route53_record", {**record, "set_identifier": "blue"}) == \
        "Z1_www.example.com_A_blue"
    assert set(IMPORT_ID_TYPES) == {"aws_iam_role_policy_attachment", "aws_route53_record"}


@pytest.mark.parametrize("attrs", [{}, {"role": "ci"}, {"role": "", "policy_arn": ARN},
                                   {"role": 7, "policy_arn": ARN}, {"role": None}])
def test_incomplete_attributes_give_no_import_id(attrs: dict[str, object]) -> None:
    assert import_id("aws_iam_role_policy_attachment", attrs) is None


def test_other_types_have_none() -> None:
    assert import_id("aws_vpc", {"id": "vpc-1", "role": "x", "policy_arn": ARN}) is None


def _read(attributes: dict[str, object]) -> tuple[str, str]:
    document = {"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "l",
                "outputs": {}, "resources": [{
                    "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "a",
                    "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                    "instances": [{"schema_version": 0, "attributes": attributes}]}]}
    (found,) = parse_state(json.dumps(document).encode(), "t.tfstate",
                           StateDefaults(account="123456789012", region="eu-west-1")).resources
    return found.key.id, str(found.provenance["id_source"])


def test_the_state_reader_keys_by_import_id_and_falls_back_to_terraforms_id() -> None:
    assert _read({"id": "ci-2024", "role": "ci", "policy_arn": ARN}) == (f"ci/{ARN}", "import-id")
    assert _read({"id": "ci-2024", "role": "ci"}) == ("ci-2024", "id")


def test_within_passes_plain_string_parents_to_every_parameter() -> None:
    within = Within(("list_clusters", "clusterArns"), {"cluster": "cluster"})
    assert within.request("arn:aws:ecs:eu-west-1:1:cluster/a") == {
        "cluster": "arn:aws:ecs:eu-west-1:1:cluster/a"}
    zones = Within(("list_hosted_zones", "HostedZones"), {"HostedZoneId": "Id"})
    assert zones.request({"Id": "/hostedzone/Z1", "Name": "a."}) == {
        "HostedZoneId": "/hostedzone/Z1"}
    assert list(zones.items_of({"HostedZones": None})) == []
