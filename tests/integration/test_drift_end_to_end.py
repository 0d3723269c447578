"""Every drift class from real sources: a moto server on 127.0.0.1 (live), a tfstate file
and a git repository of HCL, collected by ``driftaudit collect`` and compared by ``drift``.

In sync first (only a stray bucket is unmanaged: nothing is invented from attributes only
one side knows, nor from set ordering); then someone opens SSH to the world and deletes a
bucket (changed with one added rule, missing), and a merged edit is not applied
(unapplied).  A live collection that cannot reach AWS never turns the deleted bucket
into ``missing`` (the false-missing guard end to end).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.cli_support import run
from tests.integration.drift_support import estate_config
from tests.integration.test_collect_terraform import Repo
from tests.moto_support import moto_server

ACC, WEST = "123456789012", "eu-west-1"
RULE_443 = {"cidr_blocks": ["10.0.0.0/8"], "description": "", "from_port": 443,
            "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp",
            "security_groups": [], "self": False, "to_port": 443}
EGRESS = {**RULE_443, "cidr_blocks": ["0.0.0.0/0"], "from_port": 0, "to_port": 0,
          "protocol": "-1"}


@pytest.fixture
def endpoint(cli_state: Path, moto_reset: None) -> Iterator[str]:
    with moto_server(WEST) as url:
        yield url


def _aws(endpoint: str, service: str) -> Any:
    return boto3.client(service, region_name=WEST, endpoint_url=endpoint)


def _live_estate(endpoint: str) -> str:
    ec2 = _aws(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="web", Description="web servers",
                                      VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    s3 = _aws(endpoint, "s3")
    for name in ("acme-logs", "acme-stray"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": WEST})
    return group


def _state(group: str, vpc: str) -> str:
    sg = {"arn": f"arn:aws:ec2:{WEST}:{ACC}:security-group/{group}", "description": "web servers",
          "egress": [EGRESS], "id": group, "ingress": [RULE_443], "name": "web",
          "name_prefix": "", "owner_id": ACC, "revoke_rules_on_delete": False, "tags": {},
          "tags_all": {}, "timeouts": None, "vpc_id": vpc}
    bucket = {"arn": "arn:aws:s3:::acme-logs", "bucket": "acme-logs", "id": "acme-logs",
              "force_destroy": False, "object_lock_enabled": False, "region": WEST,
              "tags": {}, "tags_all": {}}
    return json.dumps({"version": 4, "terraform_version": "1.9.8", "serial": 3,
                       "lineage": "e2e", "outputs": {}, "resources": [
                           _instance("aws_security_group", "web", sg),
                           _instance("aws_s3_bucket", "logs", bucket)]})


def _instance(tf_type: str, name: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {"mode": "managed", "type": tf_type, "name": name,
            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
            "instances": [{"schema_version": 0, "attributes": attributes,
                           "sensitive_attributes": []}]}


def _hcl(vpc: str, description: str = "web servers") -> str:
    return (f'resource "aws_security_group" "web" {{\n  name = "web"\n'
            f'  description = "{description}"\n  vpc_id = "{vpc}"\n'
            '  ingress {\n    from_port = 443\n    to_port = 443\n    protocol = "tcp"\n'
            '    cidr_blocks = ["10.0.0.0/8"]\n  }\n}\n'
            'resource "aws_s3_bucket" "logs" {\n  bucket = "acme-logs"\n}\n')


def _config(tmp_path: Path, endpoint: str, repo: Path, state: Path) -> str:
    return estate_config(tmp_path, endpoint, repo, state, ("aws_security_group", "aws_s3_bucket"))


def _collect(capsys: pytest.CaptureFixture[str], config: str, what: str) -> None:
    code, _, err = run(capsys, "--config", config, "collect", what)
    assert code == 0, err


def _findings(capsys: pytest.CaptureFixture[str], config: str) -> list[dict[str, Any]]:
    code, out, err = run(capsys, "--config", config, "drift", "--json")
    assert code in (0, 1), err
    return list(json.loads(out)["findings"])


def _kinds(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((f["kind"], f["address"] or f["resource_id"]) for f in found)


def _collected_estate(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                      endpoint: str) -> tuple[str, str, Repo, str]:
    """The live estate, its repository and state, collected once: (group, vpc, repo, config)."""
    group = _live_estate(endpoint)
    vpc = _aws(endpoint, "ec2").describe_security_groups(GroupIds=[group])[
        "SecurityGroups"][0]["VpcId"]
    repo = Repo.init(tmp_path / "infra")
    repo.write("main.tf", _hcl(vpc))
    repo.commit("initial", "web group and log bucket", "alice")
    state = tmp_path / "terraform.tfstate"
    state.write_text(_state(group, vpc))
    config = _config(tmp_path, endpoint, repo.path, state)
    _collect(capsys, config, "terraform")
    _collect(capsys, config, "aws")
    return group, vpc, repo, config


def test_every_drift_class_from_moto_tfstate_and_git(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, endpoint: str) -> None:
    group, vpc, repo, config = _collected_estate(capsys, tmp_path, endpoint)
    assert _kinds(_findings(capsys, config)) == [("unmanaged", "acme-stray")]

    ec2 = _aws(endpoint, "ec2")
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    _aws(endpoint, "s3").delete_bucket(Bucket="acme-logs")
    repo.write("main.tf", _hcl(vpc, "web servers (tls only)"))
    repo.commit("describe", "describe the web group", "bob")
    _collect(capsys, config, "terraform")
    _collect(capsys, config, "aws")
    found = _findings(capsys, config)
    assert _kinds(found) == [("changed", "aws_security_group.web"),
                             ("missing", "aws_s3_bucket.logs"),
                             ("unapplied", "aws_security_group.web"),
                             ("unmanaged", "acme-stray")]
    changed = next(f for f in found if f["kind"] == "changed")
    assert changed["severity"] == "critical"
    [added] = changed["fields"]  # one new rule: its neighbours are not "changed"
    assert (added["op"], added["after"]["from_port"], added["after"]["cidr_blocks"]) == \
        ("added", 22, ["0.0.0.0/0"])
    unapplied = next(f for f in found if f["kind"] == "unapplied")
    assert [(x["path"], x["after"]) for x in unapplied["fields"]] == \
        [("description", "web servers (tls only)")]
    assert all(f["time_to_detect_s"] is not None for f in found if f["kind"] != "missing")


def test_a_failed_live_collection_never_yields_missing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, endpoint: str) -> None:
    *_, config = _collected_estate(capsys, tmp_path, endpoint)
    _aws(endpoint, "s3").delete_bucket(Bucket="acme-logs")
    # the next collection cannot reach AWS at all: nothing it did not see is gone
    text = Path(config).read_text().replace(f'endpoint_url = "{endpoint}"',
                                            'endpoint_url = "http://127.0.0.1:9"')
    Path(config).write_text(text)
    code, out, _ = run(capsys, "--config", config, "collect", "aws")
    assert code == 0 and "cannot open the account" in out and "3 kept unseen" in out
    assert _kinds(_findings(capsys, config)) == [("unmanaged", "acme-stray")]
