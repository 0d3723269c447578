"""Container types: aws_ecr_repository, aws_ecs_cluster, aws_ecs_service and
aws_ecs_task_definition.

Ids in state: an ECR repository's name, an ECS cluster's and service's ARN, a task
definition's family.  Services are listed per cluster; an INACTIVE or DRAINING
(deleted) service is gone.  Of a task definition family only the latest ACTIVE
revision is the Terraform resource (``DescribeTaskDefinition`` by family returns
it).  ``container_definitions`` is the JSON string the provider stores: containers
sorted by name, their ``environment`` and ``secrets`` by name, and zero numbers the
SDK omits (a container's ``cpu: 0``) left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import AWSType, Describe, Within, aws_type, tags_of, text

__all__ = ["EcrRepository", "EcsCluster", "EcsService", "EcsTaskDefinition",
           "container_definitions_json"]

# Fields of a container definition the SDK serialises only when non-zero (plain ints).
_OMITTED_WHEN_ZERO = ("cpu",)
_SORTED_BY_NAME = ("environment", "secrets")


@aws_type
class EcrRepository(AWSType):
    """Maps: name, arn, registry_id, repository_url, image_tag_mutability,
    image_scanning_configuration (scan_on_push), encryption_configuration
    (encryption_type, kms_key), tags_all."""

    tf_type = "aws_ecr_repository"
    service = "ecr"
    list_call = ("describe_repositories", "repositories")
    id_field = "repositoryName"
    # Tags per item, not bulk_tags ("ecr:repository"): moto's tagging API does not list
    # ECR repositories, so a bulk read could not be tested against moto.
    describe = (Describe("list_tags_for_resource", {"resourceArn": "repositoryArn"},
                         into="tags", result_key="tags"),)
    iam = ("ecr:DescribeRepositories", "ecr:ListTagsForResource")

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        scanning = raw.get("imageScanningConfiguration") or {}
        encryption = raw.get("encryptionConfiguration") or {}
        return {
            "id": raw["repositoryName"], "name": raw["repositoryName"],
            "arn": raw["repositoryArn"], "registry_id": text(raw.get("registryId")),
            "repository_url": text(raw.get("repositoryUri")),
            "image_tag_mutability": raw.get("imageTagMutability") or "MUTABLE",
            "image_scanning_configuration": [
                {"scan_on_push": bool(scanning.get("scanOnPush"))}],
            "encryption_configuration": [
                {"encryption_type": encryption.get("encryptionType") or "AES256",
                 "kms_key": text(encryption.get("kmsKey"))}],
            "tags_all": tags_of(raw.get("tags")),
        }


@aws_type
class EcsCluster(AWSType):
    """Maps: arn, name, setting, tags_all.  Inactive (deleted) clusters are gone."""

    tf_type = "aws_ecs_cluster"
    service = "ecs"
    list_call = ("list_clusters", "clusterArns")
    id_field = "clusterArn"
    describe = (Describe("describe_clusters", {"clusters": "clusters"}, into="described",
                         result_key="clusters", const={"include": ["SETTINGS", "TAGS"]}),)
    iam = ("ecs:ListClusters", "ecs:DescribeClusters")

    def item(self, listed: Any) -> dict[str, Any]:
        return {"clusterArn": str(listed), "clusters": [str(listed)]}

    def exists(self, raw: Mapping[str, Any]) -> bool:
        found = list(raw.get("described") or [])
        return bool(found) and found[0].get("status") != "INACTIVE"

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        cluster = raw["described"][0]
        return {
            "id": raw["clusterArn"], "arn": raw["clusterArn"],
            "name": text(cluster.get("clusterName")),
            "setting": sorted(({"name": text(s.get("name")), "value": text(s.get("value"))}
                               for s in cluster.get("settings") or ()),
                              key=lambda s: s["name"]),
            "tags_all": tags_of(cluster.get("tags"), key="key", value="value"),
        }


@aws_type
class EcsService(AWSType):
    """Services, listed per cluster.  Maps: name, cluster, task_definition and iam_role
    (``roleArn``; AWS answers ARNs, the normaliser compares all three in their short forms,
    cluster name, ``family:revision`` and role name, as the provider stores them when
    configured so: :mod:`auditd.normalize.references`), desired_count, launch_type,
    scheduling_strategy, platform_version, health_check_grace_period_seconds,
    enable_execute_command, enable_ecs_managed_tags, propagate_tags, load_balancer,
    network_configuration, tags_all."""

    tf_type = "aws_ecs_service"
    service = "ecs"
    within = Within(("list_clusters", "clusterArns"), {"cluster": "cluster"},
                    absent=frozenset({"ClusterNotFoundException"}))
    list_call = ("list_services", "serviceArns")
    id_field = "serviceArn"
    describe = (Describe("describe_services", {"cluster": "cluster", "services": "services"},
                         into="described", result_key="services", const={"include": ["TAGS"]}),)
    iam = ("ecs:ListClusters", "ecs:ListServices", "ecs:DescribeServices")

    def item(self, listed: Any) -> dict[str, Any]:
        arn = str(listed["Listed"])
        return {"serviceArn": arn, "cluster": str(listed["Parent"]), "services": [arn]}

    def exists(self, raw: Mapping[str, Any]) -> bool:
        found = list(raw.get("described") or [])
        return bool(found) and found[0].get("status") == "ACTIVE"

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        svc = raw["described"][0]
        return {
            "id": raw["serviceArn"], "name": text(svc.get("serviceName")),
            "cluster": text(svc.get("clusterArn")),
            "task_definition": text(svc.get("taskDefinition")),
            "iam_role": _role_arn(svc),
            "desired_count": int(svc.get("desiredCount") or 0),
            "launch_type": text(svc.get("launchType")),
            "scheduling_strategy": text(svc.get("schedulingStrategy")),
            "platform_version": text(svc.get("platformVersion")),
            "health_check_grace_period_seconds": int(svc.get("healthCheckGracePeriodSeconds") or 0),
            "enable_execute_command": bool(svc.get("enableExecuteCommand")),
            "enable_ecs_managed_tags": bool(svc.get("enableECSManagedTags")),
            "propagate_tags": text(svc.get("propagateTags")),
            "load_balancer": [_service_load_balancer(lb) for lb in svc.get("loadBalancers") or ()],
            "network_configuration": _network_configuration(svc.get("networkConfiguration")),
            "tags_all": tags_of(svc.get("tags"), key="key", value="value"),
        }


def _role_arn(svc: Mapping[str, Any]) -> str | None:
    """``roleArn``, or None without one (not ``""``): the normaliser drops None, so a
    service without a role is stored as it was before ``iam_role`` was read, and reading
    it records no change for it (state's ``""`` and absent compare equal)."""
    role = svc.get("roleArn")
    return str(role) if role else None


def _service_load_balancer(lb: Mapping[str, Any]) -> dict[str, Any]:
    return {"target_group_arn": text(lb.get("targetGroupArn")),
            "elb_name": text(lb.get("loadBalancerName")),
            "container_name": text(lb.get("containerName")),
            "container_port": int(lb.get("containerPort") or 0)}


def _network_configuration(config: Any) -> list[dict[str, Any]]:
    vpc = (config or {}).get("awsvpcConfiguration")
    if not vpc:
        return []
    return [{"subnets": sorted(text(s) for s in vpc.get("subnets") or ()),
             "security_groups": sorted(text(g) for g in vpc.get("securityGroups") or ()),
             "assign_public_ip": vpc.get("assignPublicIp") == "ENABLED"}]


@aws_type
class EcsTaskDefinition(AWSType):
    """The latest ACTIVE revision of each family.  Maps: family, arn (with the revision),
    revision, container_definitions, cpu, memory, network_mode, ipc_mode, pid_mode,
    execution_role_arn, task_role_arn, requires_compatibilities, tags_all."""

    tf_type = "aws_ecs_task_definition"
    service = "ecs"
    list_call = ("list_task_definition_families", "families")
    id_field = "family"
    describe = (Describe("describe_task_definition", {"taskDefinition": "family"},
                         into="described", const={"include": ["TAGS"]}),)
    iam = ("ecs:ListTaskDefinitionFamilies", "ecs:DescribeTaskDefinition")

    def list_params(self) -> dict[str, Any]:
        return {"status": "ACTIVE"}

    def item(self, listed: Any) -> dict[str, Any]:
        return {"family": str(listed)}

    def exists(self, raw: Mapping[str, Any]) -> bool:
        definition = (raw.get("described") or {}).get("taskDefinition") or {}
        return definition.get("status") == "ACTIVE"

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        described = raw["described"]
        definition = described["taskDefinition"]
        return {
            "id": raw["family"], "family": raw["family"],
            "arn": text(definition.get("taskDefinitionArn")),
            "revision": int(definition.get("revision") or 0),
            "container_definitions":
                container_definitions_json(definition.get("containerDefinitions") or ()),
            "cpu": text(definition.get("cpu")), "memory": text(definition.get("memory")),
            "network_mode": text(definition.get("networkMode")),
            "ipc_mode": text(definition.get("ipcMode")),
            "pid_mode": text(definition.get("pidMode")),
            "execution_role_arn": text(definition.get("executionRoleArn")),
            "task_role_arn": text(definition.get("taskRoleArn")),
            "requires_compatibilities":
                sorted(text(c) for c in definition.get("requiresCompatibilities") or ()),
            "tags_all": tags_of(described.get("tags"), key="key", value="value"),
        }


def container_definitions_json(containers: Any) -> str:
    """Container definitions as the JSON string the provider stores (module docstring)."""
    canonical = sorted((_container(c) for c in containers), key=lambda c: text(c.get("name")))
    return json.dumps(canonical, separators=(",", ":"))


def _container(definition: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in definition.items()
           if not (k in _OMITTED_WHEN_ZERO and v == 0) and v is not None}
    for name in _SORTED_BY_NAME:
        if isinstance(out.get(name), list):
            out[name] = sorted(out[name], key=lambda e: text(e.get("name")))
    return out
