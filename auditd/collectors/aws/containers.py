"""Container types: aws_ecr_repository and aws_ecs_cluster.

An ECR repository's id in state is its name; an ECS cluster's id is its ARN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import AWSType, Describe, aws_type, tags_of, text

__all__ = ["EcrRepository", "EcsCluster"]


@aws_type
class EcrRepository(AWSType):
    """Maps: name, arn, registry_id, repository_url, image_tag_mutability,
    image_scanning_configuration (scan_on_push), encryption_configuration
    (encryption_type, kms_key), tags_all."""

    tf_type = "aws_ecr_repository"
    service = "ecr"
    list_call = ("describe_repositories", "repositories")
    id_field = "repositoryName"
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
