"""Drift from real sources for two references live AWS reports differently from state.

A moto server on 127.0.0.1 (live), a tfstate file and HCL, collected by
``driftaudit collect`` and compared by ``drift``:

* an ECS service whose configuration names its cluster (``apps``) and task definition
  (``web:2``) shortly, as the provider then stores them, while ``DescribeServices``
  answers ARNs: in sync, no finding; moved to another revision, one ``changed``;
* a container-image Lambda function: its ``image_uri`` is read live (``GetFunction``),
  compared with state, and discovered by ``collect images`` from the live record alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditd.collectors.images import parse_ref
from auditd.config import load_settings
from auditd.service import Runtime
from auditd.service.images import watched_refs
from tests.cli_support import run
from tests.integration.drift_support import estate_config
from tests.moto_support import moto_server

ACC, WEST = "123456789012", "eu-west-1"
ECR = f"{ACC}.dkr.ecr.{WEST}.amazonaws.com"
PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'


@pytest.fixture
def endpoint(cli_state: Path, moto_reset: None) -> Iterator[str]:
    with moto_server(WEST) as url:
        yield url  # moto_reset: start clean, leave nothing behind


def _aws(endpoint: str, service: str) -> Any:
    return boto3.client(service, region_name=WEST, endpoint_url=endpoint)


def _config(tmp_path: Path, endpoint: str, infra: Path, state: Path) -> str:
    return estate_config(tmp_path, endpoint, infra, state,
                         ("aws_ecs_service", "aws_lambda_function"))


def _estate(tmp_path: Path, endpoint: str, hcl: str,
            resources: list[dict[str, Any]]) -> str:
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text(hcl)
    state = tmp_path / "terraform.tfstate"
    state.write_text(json.dumps({"version": 4, "terraform_version": "1.9.8", "serial": 1,
                                 "lineage": "references", "outputs": {},
                                 "resources": resources}))
    return _config(tmp_path, endpoint, infra, state)


def _instance(tf_type: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {"mode": "managed", "type": tf_type, "name": "this", "provider": PROVIDER,
            "instances": [{"schema_version": 0, "attributes": attributes,
                           "sensitive_attributes": []}]}


def _collect(capsys: pytest.CaptureFixture[str], config: str, what: str) -> None:
    code, out, err = run(capsys, "--config", config, "collect", what)
    assert code == 0, err
    assert what != "aws" or " 0 warning(s)" in out, out  # every part collected


def _findings(capsys: pytest.CaptureFixture[str], config: str) -> list[dict[str, Any]]:
    code, out, err = run(capsys, "--config", config, "drift", "--json")
    assert code in (0, 1), err
    return list(json.loads(out)["findings"])


def _fields(finding: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    return [(f["path"], f["before"], f["after"]) for f in finding["fields"]]


# --- ECS service: cluster and task definition named shortly in the configuration -----------

ECS_HCL = ('resource "aws_ecs_service" "this" {\n  name = "api"\n  cluster = "apps"\n'
           '  task_definition = "web:2"\n  desired_count = 1\n}\n')


def _ecs_live(endpoint: str) -> tuple[str, list[str]]:
    ecs = _aws(endpoint, "ecs")
    ecs.create_cluster(clusterName="apps")
    revisions = [ecs.register_task_definition(family="web", containerDefinitions=[
        {"name": "web", "image": image, "memory": 128}])["taskDefinition"]["taskDefinitionArn"]
        for image in ("nginx:1.25", "nginx:1.27")]
    service = ecs.create_service(cluster="apps", serviceName="api", taskDefinition="web:2",
                                 desiredCount=1, launchType="EC2")["service"]
    assert service["clusterArn"].startswith("arn:aws:ecs:")  # AWS answers ARNs
    return service["serviceArn"], revisions


def _ecs_state(service_arn: str) -> dict[str, Any]:
    return _instance("aws_ecs_service", {
        "cluster": "apps", "task_definition": "web:2",  # "in the same format" as configured
        "id": service_arn, "name": "api", "desired_count": 1, "launch_type": "EC2",
        "scheduling_strategy": "REPLICA", "platform_version": "", "iam_role": "",
        "health_check_grace_period_seconds": 0, "enable_execute_command": False,
        "enable_ecs_managed_tags": False, "propagate_tags": "NONE", "load_balancer": [],
        "network_configuration": [], "tags": {}, "tags_all": {}, "triggers": {},
        "timeouts": None, "wait_for_steady_state": False})


def test_ecs_names_in_state_match_live_arns_and_a_new_revision_is_one_change(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, endpoint: str) -> None:
    service_arn, revisions = _ecs_live(endpoint)
    config = _estate(tmp_path, endpoint, ECS_HCL, [_ecs_state(service_arn)])
    _collect(capsys, config, "terraform")
    _collect(capsys, config, "aws")
    assert _findings(capsys, config) == []  # ARN <-> name, ARN <-> family:revision

    _aws(endpoint, "ecs").update_service(cluster="apps", service="api",
                                         taskDefinition=revisions[0])  # web:1, by ARN
    _collect(capsys, config, "aws")
    [finding] = _findings(capsys, config)
    assert (finding["kind"], finding["address"]) == ("changed", "aws_ecs_service.this")
    assert _fields(finding) == [("task_definition", "web:2", "web:1")]


def test_ecs_service_in_another_cluster_is_a_change(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, endpoint: str) -> None:
    service_arn, _ = _ecs_live(endpoint)
    _aws(endpoint, "ecs").create_cluster(clusterName="batch")
    state = _ecs_state(service_arn)
    state["instances"][0]["attributes"]["cluster"] = "batch"
    config = _estate(tmp_path, endpoint, ECS_HCL.replace('"apps"', '"batch"'), [state])
    _collect(capsys, config, "terraform")
    _collect(capsys, config, "aws")
    [finding] = _findings(capsys, config)
    assert finding["kind"] == "changed" and _fields(finding) == [("cluster", "batch", "apps")]


# --- Lambda container image: read live, compared, discovered -------------------------------

def _lambda_live(endpoint: str, image: str) -> str:
    role = _aws(endpoint, "iam").create_role(RoleName="lambda-exec",
                                             AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    _aws(endpoint, "lambda").create_function(FunctionName="worker", Role=role,
                                             PackageType="Image", Code={"ImageUri": image})
    return str(role)


def _lambda_state(role: str, image: str) -> dict[str, Any]:
    return _instance("aws_lambda_function", {
        "architectures": ["x86_64"], "arn": f"arn:aws:lambda:{WEST}:{ACC}:function:worker",
        "description": "", "environment": [], "function_name": "worker", "handler": "",
        "id": "worker", "image_config": [], "image_uri": image, "kms_key_arn": "",
        "layers": [], "memory_size": 128, "package_type": "Image", "role": role,
        "runtime": "", "tags": {}, "tags_all": {}, "timeout": 3, "timeouts": None})


def test_live_lambda_image_is_compared_and_discovered(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, endpoint: str) -> None:
    image = f"{ECR}/shop/worker:v7"
    role = _lambda_live(endpoint, image)
    hcl = ('resource "aws_lambda_function" "this" {\n  function_name = "worker"\n'
           f'  role = "{role}"\n  package_type = "Image"\n  image_uri = "{image}"\n}}\n')
    config = _estate(tmp_path, endpoint, hcl, [_lambda_state(role, image)])
    _collect(capsys, config, "aws")  # live only so far: discovery must find it there
    assert parse_ref(image) in watched_refs(Runtime(load_settings(Path(config)))).refs
    _collect(capsys, config, "terraform")
    assert _findings(capsys, config) == []  # the resolved digest is not compared

    _aws(endpoint, "lambda").update_function_code(FunctionName="worker",
                                                  ImageUri=f"{ECR}/shop/worker:v8")
    _collect(capsys, config, "aws")
    [finding] = _findings(capsys, config)
    assert (finding["kind"], finding["address"]) == ("changed", "aws_lambda_function.this")
    assert _fields(finding) == [("image_uri", image, f"{ECR}/shop/worker:v8")]
