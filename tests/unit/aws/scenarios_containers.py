"""Scenarios for the container types: ECR repositories, ECS clusters."""

from __future__ import annotations

from tests.unit.aws.support import client, scenario


@scenario("aws_ecr_repository")
def ecr_repository() -> dict[str, str]:
    client("ecr").create_repository(repositoryName="app/web", imageTagMutability="IMMUTABLE",
                                    imageScanningConfiguration={"scanOnPush": True},
                                    tags=[{"Key": "team", "Value": "web"}])
    return {"id": "app/web"}


@scenario("aws_ecs_cluster")
def ecs_cluster() -> dict[str, str]:
    made = client("ecs").create_cluster(
        clusterName="apps", tags=[{"key": "team", "value": "ops"}],
        settings=[{"name": "containerInsights", "value": "enabled"}])["cluster"]
    return {"id": made["clusterArn"]}
