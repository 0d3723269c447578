"""Scenarios for the container types: ECR repositories, ECS clusters, services and
task definitions."""

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


CONTAINERS = [
    {"name": "web", "image": "nginx:1.27", "memory": 256, "essential": True,
     "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
     "environment": [{"name": "MODE", "value": "prod"}, {"name": "LOG_LEVEL", "value": "info"}]},
    {"name": "sidecar", "image": "busybox:1.36", "cpu": 64, "memory": 64, "essential": False,
     "command": ["sleep", "3600"]},
]


def register_web(ecs: object, containers: list[dict[str, object]] = CONTAINERS) -> str:
    made = ecs.register_task_definition(  # type: ignore[attr-defined]
        family="web", containerDefinitions=containers, networkMode="bridge", cpu="256",
        memory="512", requiresCompatibilities=["EC2"], tags=[{"key": "team", "value": "web"}])
    return str(made["taskDefinition"]["taskDefinitionArn"])


@scenario("aws_ecs_task_definition")
def ecs_task_definition() -> dict[str, str]:
    ecs = client("ecs")
    register_web(ecs, CONTAINERS[:1])  # revision 1: not the latest, not the resource
    arn = register_web(ecs)
    retired = ecs.register_task_definition(
        family="retired", containerDefinitions=[{"name": "x", "image": "x", "memory": 8}])
    ecs.deregister_task_definition(taskDefinition=retired["taskDefinition"]["taskDefinitionArn"])
    return {"id": "web", "arn": arn}


def ecs_service_role() -> str:
    """A service role with a path, as a load-balanced ECS service uses one: its ARN."""
    made = client("iam").create_role(RoleName="ecs-service", Path="/service-role/",
                                     AssumeRolePolicyDocument="{}")["Role"]
    return str(made["Arn"])


@scenario("aws_ecs_service")
def ecs_service() -> dict[str, str]:
    ecs = client("ecs")
    cluster = ecs.create_cluster(clusterName="apps")["cluster"]["clusterArn"]
    task = register_web(ecs)
    made = ecs.create_service(cluster="apps", serviceName="api", taskDefinition=task,
                              desiredCount=2, launchType="EC2", propagateTags="SERVICE",
                              role=ecs_service_role(),
                              tags=[{"key": "team", "value": "api"}])["service"]
    ecs.create_service(cluster="apps", serviceName="old", taskDefinition=task, desiredCount=0)
    ecs.delete_service(cluster="apps", service="old")  # INACTIVE: gone for Terraform
    # iam_role: the provider's name form when configured by name (the ARN's resource
    # without "role/", path included); live answers the ARN.
    return {"id": made["serviceArn"], "cluster": cluster, "task_definition": task,
            "iam_role": "service-role/ecs-service"}
