"""Which Terraform resources a CloudTrail write event touched: a declarative table.

Each :class:`Rule` says: for these ``(eventSource, eventName)`` pairs, the resource is
of this Terraform type and its id (as Terraform stores it) is at these paths of the
request or the response.  :func:`keys_of` applies the table to one event and returns
its :class:`~auditd.model.ResourceKey` values: provider ``aws``, the event's account
(``recipientAccountId``), its region (``awsRegion``; ``global`` for IAM and Route53).

Paths are dotted (``response.instancesSet.items.instanceId``); a list met on the way
fans out to every element.  ``form`` turns what is found into Terraform's id
(``last``: after the last ``/``, as Route53 zone ids; ``lambda``: a function name out
of an ARN; ...); ``match`` keeps only ids of one kind when an event serves several
types (``CreateTags`` on ``sg-...`` and ``vpc-...`` alike).

Every registered AWS type has rules here, or is in :data:`UNMAPPED` with the reason;
a test walks the type registry to keep it so.  Pure data and pure functions: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from auditd.collectors.aws.cloudtrail.records import TrailEvent
from auditd.collectors.aws.route53 import dns_name
from auditd.model import ResourceKey

__all__ = ["GLOBAL_SOURCES", "RULES", "UNMAPPED", "Rule", "Target", "base_event_name",
           "keys_of", "mapped_types"]

GLOBAL_SOURCES = frozenset({"iam", "route53"})
_VERSION_SUFFIX = re.compile(r"\d{8}(v\d+)?$")  # Lambda: UpdateFunctionCode20150331v2


@dataclass(frozen=True, slots=True)
class Target:
    """Where one event names a resource of ``tf_type``, and how to read its id."""

    tf_type: str
    paths: tuple[str, ...]
    form: str = "as-is"
    match: str = ""  # a regular expression the id must match


@dataclass(frozen=True, slots=True)
class Rule:
    source: str  # the event source's service part: ec2 for ec2.amazonaws.com
    names: tuple[str, ...]
    targets: tuple[Target, ...]


def _rule(source: str, names: str, *targets: Target) -> Rule:
    return Rule(source, tuple(names.split()), targets)


def _t(tf_type: str, *paths: str, form: str = "as-is", match: str = "") -> Target:
    return Target(tf_type, paths, form, match)


_TAGGED = "request.resourcesSet.items.resourceId"
_EC2_TAG_PREFIXES = {"aws_vpc": "vpc-", "aws_subnet": "subnet-", "aws_security_group": "sg-",
                     "aws_route_table": "rtb-", "aws_internet_gateway": "igw-",
                     "aws_nat_gateway": "nat-", "aws_network_acl": "acl-",
                     "aws_eip": "eipalloc-", "aws_instance": "i-", "aws_ebs_volume": "vol-",
                     "aws_launch_template": "lt-"}

RULES: tuple[Rule, ...] = (
    # --- EC2 / VPC --------------------------------------------------------------------------
    _rule("ec2", "CreateVpc", _t("aws_vpc", "response.vpc.vpcId")),
    _rule("ec2", "DeleteVpc ModifyVpcAttribute AssociateVpcCidrBlock DisassociateVpcCidrBlock",
          _t("aws_vpc", "request.vpcId")),
    _rule("ec2", "CreateSubnet", _t("aws_subnet", "response.subnet.subnetId")),
    _rule("ec2", "DeleteSubnet ModifySubnetAttribute", _t("aws_subnet", "request.subnetId")),
    _rule("ec2", "CreateSecurityGroup", _t("aws_security_group", "response.groupId")),
    _rule("ec2", "DeleteSecurityGroup AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress "
                 "RevokeSecurityGroupIngress RevokeSecurityGroupEgress "
                 "UpdateSecurityGroupRuleDescriptionsIngress "
                 "UpdateSecurityGroupRuleDescriptionsEgress ModifySecurityGroupRules",
          _t("aws_security_group", "request.groupId",
             "request.ModifySecurityGroupRulesRequest.GroupId")),
    _rule("ec2", "CreateRouteTable", _t("aws_route_table", "response.routeTable.routeTableId")),
    _rule("ec2", "DeleteRouteTable CreateRoute DeleteRoute ReplaceRoute AssociateRouteTable",
          _t("aws_route_table", "request.routeTableId")),
    _rule("ec2", "CreateInternetGateway",
          _t("aws_internet_gateway", "response.internetGateway.internetGatewayId")),
    _rule("ec2", "DeleteInternetGateway AttachInternetGateway DetachInternetGateway",
          _t("aws_internet_gateway", "request.internetGatewayId")),
    _rule("ec2", "CreateNatGateway",
          _t("aws_nat_gateway", "response.CreateNatGatewayResponse.natGateway.natGatewayId",
             "response.natGateway.natGatewayId")),
    _rule("ec2", "DeleteNatGateway",
          _t("aws_nat_gateway", "request.DeleteNatGatewayRequest.NatGatewayId",
             "request.natGatewayId")),
    _rule("ec2", "CreateNetworkAcl", _t("aws_network_acl", "response.networkAcl.networkAclId")),
    _rule("ec2", "DeleteNetworkAcl CreateNetworkAclEntry DeleteNetworkAclEntry "
                 "ReplaceNetworkAclEntry", _t("aws_network_acl", "request.networkAclId")),
    _rule("ec2", "AllocateAddress", _t("aws_eip", "response.allocationId")),
    _rule("ec2", "ReleaseAddress AssociateAddress", _t("aws_eip", "request.allocationId")),
    _rule("ec2", "RunInstances", _t("aws_instance", "response.instancesSet.items.instanceId")),
    _rule("ec2", "TerminateInstances StartInstances StopInstances RebootInstances "
                 "MonitorInstances UnmonitorInstances",
          _t("aws_instance", "request.instancesSet.items.instanceId")),
    _rule("ec2", "ModifyInstanceAttribute ModifyInstanceMetadataOptions",
          _t("aws_instance", "request.instanceId", "request.ModifyInstanceMetadataOptionsRequest"
                                                   ".InstanceId")),
    _rule("ec2", "CreateVolume", _t("aws_ebs_volume", "response.volumeId")),
    _rule("ec2", "DeleteVolume ModifyVolume", _t("aws_ebs_volume", "request.volumeId",
                                                 "request.ModifyVolumeRequest.VolumeId")),
    _rule("ec2", "AttachVolume DetachVolume", _t("aws_ebs_volume", "request.volumeId"),
          _t("aws_instance", "request.instanceId")),
    _rule("ec2", "CreateLaunchTemplate",
          _t("aws_launch_template",
             "response.CreateLaunchTemplateResponse.launchTemplate.launchTemplateId",
             "response.launchTemplate.launchTemplateId")),
    _rule("ec2", "DeleteLaunchTemplate ModifyLaunchTemplate CreateLaunchTemplateVersion",
          _t("aws_launch_template", "request.DeleteLaunchTemplateRequest.LaunchTemplateId",
             "request.ModifyLaunchTemplateRequest.LaunchTemplateId",
             "request.CreateLaunchTemplateVersionRequest.LaunchTemplateId",
             "response.CreateLaunchTemplateVersionResponse.launchTemplateVersion"
             ".launchTemplateId", "request.launchTemplateId")),
    _rule("ec2", "CreateTags DeleteTags",
          *(_t(tf_type, _TAGGED, match=f"^{prefix}") for tf_type, prefix
            in _EC2_TAG_PREFIXES.items())),
    # --- S3 -----------------------------------------------------------------------------------
    _rule("s3", "CreateBucket DeleteBucket PutBucketTagging DeleteBucketTagging "
                "PutObjectLockConfiguration", _t("aws_s3_bucket", "request.bucketName")),
    _rule("s3", "PutBucketVersioning", _t("aws_s3_bucket_versioning", "request.bucketName")),
    _rule("s3", "PutBucketPolicy DeleteBucketPolicy",
          _t("aws_s3_bucket_policy", "request.bucketName")),
    _rule("s3", "PutBucketPublicAccessBlock DeleteBucketPublicAccessBlock",
          _t("aws_s3_bucket_public_access_block", "request.bucketName")),
    _rule("s3", "PutBucketEncryption DeleteBucketEncryption",
          _t("aws_s3_bucket_server_side_encryption_configuration", "request.bucketName")),
    # --- IAM (global) -------------------------------------------------------------------------
    _rule("iam", "CreateRole DeleteRole UpdateRole UpdateRoleDescription UpdateAssumeRolePolicy "
                 "TagRole UntagRole PutRolePermissionsBoundary DeleteRolePermissionsBoundary",
          _t("aws_iam_role", "request.roleName")),
    _rule("iam", "AttachRolePolicy DetachRolePolicy", _t("aws_iam_role", "request.roleName"),
          _t("aws_iam_role_policy_attachment", "request.roleName", form="policy-attachment")),
    _rule("iam", "CreateUser DeleteUser UpdateUser TagUser UntagUser "
                 "PutUserPermissionsBoundary DeleteUserPermissionsBoundary",
          _t("aws_iam_user", "request.userName")),
    _rule("iam", "CreatePolicy", _t("aws_iam_policy", "response.policy.arn")),
    _rule("iam", "DeletePolicy CreatePolicyVersion DeletePolicyVersion SetDefaultPolicyVersion "
                 "TagPolicy UntagPolicy", _t("aws_iam_policy", "request.policyArn")),
    # --- Lambda, logs, messaging, data --------------------------------------------------------
    _rule("lambda", "CreateFunction DeleteFunction UpdateFunctionCode "
                    "UpdateFunctionConfiguration PublishVersion PutFunctionConcurrency "
                    "DeleteFunctionConcurrency",
          _t("aws_lambda_function", "request.functionName", "response.functionName",
             form="lambda")),
    _rule("lambda", "TagResource UntagResource",
          _t("aws_lambda_function", "request.resource", form="lambda")),
    _rule("logs", "CreateLogGroup DeleteLogGroup PutRetentionPolicy DeleteRetentionPolicy "
                  "TagLogGroup UntagLogGroup AssociateKmsKey DisassociateKmsKey",
          _t("aws_cloudwatch_log_group", "request.logGroupName")),
    _rule("sqs", "CreateQueue", _t("aws_sqs_queue", "response.queueUrl")),
    _rule("sqs", "DeleteQueue SetQueueAttributes TagQueue UntagQueue",
          _t("aws_sqs_queue", "request.queueUrl")),
    _rule("sns", "CreateTopic", _t("aws_sns_topic", "response.topicArn")),
    _rule("sns", "DeleteTopic SetTopicAttributes", _t("aws_sns_topic", "request.topicArn")),
    _rule("sns", "TagResource UntagResource", _t("aws_sns_topic", "request.resourceArn")),
    _rule("dynamodb", "CreateTable DeleteTable UpdateTable UpdateTimeToLive "
                      "UpdateContinuousBackups", _t("aws_dynamodb_table", "request.tableName")),
    _rule("dynamodb", "TagResource UntagResource",
          _t("aws_dynamodb_table", "request.resourceArn", form="dynamodb-table")),
    _rule("kms", "CreateKey", _t("aws_kms_key", "response.keyMetadata.keyId")),
    _rule("kms", "ScheduleKeyDeletion CancelKeyDeletion EnableKey DisableKey EnableKeyRotation "
                 "DisableKeyRotation UpdateKeyDescription PutKeyPolicy TagResource "
                 "UntagResource", _t("aws_kms_key", "request.keyId", form="kms-key")),
    _rule("rds", "CreateDBInstance DeleteDBInstance ModifyDBInstance RebootDBInstance "
                 "StartDBInstance StopDBInstance", _t("aws_db_instance",
                                                      "response.dbiResourceId")),
    # --- containers and load balancing --------------------------------------------------------
    _rule("ecr", "CreateRepository DeleteRepository PutImageScanningConfiguration "
                 "PutImageTagMutability SetRepositoryPolicy DeleteRepositoryPolicy "
                 "PutLifecyclePolicy DeleteLifecyclePolicy",
          _t("aws_ecr_repository", "request.repositoryName")),
    _rule("ecs", "CreateCluster", _t("aws_ecs_cluster", "response.cluster.clusterArn")),
    _rule("ecs", "DeleteCluster UpdateCluster UpdateClusterSettings PutClusterCapacityProviders",
          _t("aws_ecs_cluster", "request.cluster", form="ecs-cluster")),
    _rule("ecs", "CreateService", _t("aws_ecs_service", "response.service.serviceArn")),
    _rule("ecs", "UpdateService DeleteService",
          _t("aws_ecs_service", "response.service.serviceArn")),
    _rule("ecs", "RegisterTaskDefinition",
          _t("aws_ecs_task_definition", "response.taskDefinition.family")),
    _rule("ecs", "DeregisterTaskDefinition",
          _t("aws_ecs_task_definition", "request.taskDefinition", form="task-family")),
    _rule("elasticloadbalancing", "CreateLoadBalancer",
          _t("aws_lb", "response.loadBalancers.loadBalancerArn")),
    _rule("elasticloadbalancing", "DeleteLoadBalancer ModifyLoadBalancerAttributes "
                                  "SetSecurityGroups SetSubnets SetIpAddressType",
          _t("aws_lb", "request.loadBalancerArn")),
    _rule("elasticloadbalancing", "CreateTargetGroup",
          _t("aws_lb_target_group", "response.targetGroups.targetGroupArn")),
    _rule("elasticloadbalancing", "DeleteTargetGroup ModifyTargetGroup "
                                  "ModifyTargetGroupAttributes",
          _t("aws_lb_target_group", "request.targetGroupArn")),
    _rule("elasticloadbalancing", "CreateListener",
          _t("aws_lb_listener", "response.listeners.listenerArn")),
    _rule("elasticloadbalancing", "DeleteListener ModifyListener",
          _t("aws_lb_listener", "request.listenerArn")),
    _rule("elasticloadbalancing", "AddTags RemoveTags",
          _t("aws_lb", "request.resourceArns", match=r":loadbalancer/"),
          _t("aws_lb_target_group", "request.resourceArns", match=r":targetgroup/"),
          _t("aws_lb_listener", "request.resourceArns", match=r":listener/")),
    # --- Route53 (global) ---------------------------------------------------------------------
    _rule("route53", "CreateHostedZone", _t("aws_route53_zone", "response.hostedZone.id",
                                            form="last")),
    _rule("route53", "DeleteHostedZone UpdateHostedZoneComment",
          _t("aws_route53_zone", "request.id", form="last")),
    _rule("route53", "AssociateVPCWithHostedZone DisassociateVPCFromHostedZone",
          _t("aws_route53_zone", "request.hostedZoneId", form="last")),
    _rule("route53", "ChangeTagsForResource",
          _t("aws_route53_zone", "request.resourceId", form="last")),
    _rule("route53", "ChangeResourceRecordSets",
          _t("aws_route53_record", "request.hostedZoneId", form="route53-records")),
)

# Registered types with no rules, and why (the registry test reads this).
UNMAPPED: Mapping[str, str] = {}


def base_event_name(name: str) -> str:
    """``UpdateFunctionCode`` for Lambda's ``UpdateFunctionCode20150331v2``."""
    return _VERSION_SUFFIX.sub("", name)


def _index() -> dict[tuple[str, str], tuple[Target, ...]]:
    index: dict[tuple[str, str], tuple[Target, ...]] = {}
    for rule in RULES:
        for name in rule.names:
            index[(rule.source, name)] = index.get((rule.source, name), ()) + rule.targets
    return index


_INDEX = _index()


def mapped_types() -> frozenset[str]:
    """Every Terraform type some rule maps to."""
    return frozenset(t.tf_type for rule in RULES for t in rule.targets)


def targets_of(event: TrailEvent) -> tuple[Target, ...]:
    return _INDEX.get((event.service, base_event_name(event.event_name)), ())


def keys_of(event: TrailEvent, supported: Callable[[str], bool] = lambda _t: True,
            ) -> tuple[ResourceKey, ...]:
    """The resources ``event`` touched, of the types ``supported`` accepts, without repeats."""
    if not event.account:
        return ()
    region = "global" if event.service in GLOBAL_SOURCES else event.region
    if not region or "/" in region or "/" in event.account:
        return ()
    found: dict[ResourceKey, None] = {}
    for target in targets_of(event):
        if not supported(target.tf_type):
            continue
        for rid in _ids(event, target):
            found.setdefault(ResourceKey("aws", target.tf_type, rid, event.account, region))
    return tuple(found)


def _ids(event: TrailEvent, target: Target) -> Iterator[str]:
    documents = {"request": event.request, "response": event.response}
    for path in target.paths:
        head, _, rest = path.partition(".")
        for raw in _walk(documents.get(head), rest.split(".") if rest else []):
            for rid in _FORMS[target.form](raw, event):
                if rid and (not target.match or re.search(target.match, rid)):
                    yield rid


def _walk(value: Any, parts: list[str]) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, parts)
        return
    if not parts:
        if isinstance(value, str | int) and not isinstance(value, bool):
            yield value
        return
    if isinstance(value, dict):
        yield from _walk(value.get(parts[0]), parts[1:])


# --- id forms: what a request names, as Terraform's id -----------------------------------------

def _as_is(raw: Any, _event: TrailEvent) -> list[str]:
    return [str(raw)]


def _last(raw: Any, _event: TrailEvent) -> list[str]:
    return [str(raw).rsplit("/", 1)[-1]]


def _lambda(raw: Any, _event: TrailEvent) -> list[str]:
    text = str(raw)  # a name, a partial ARN (123:function:name) or an ARN, maybe qualified
    if ":function:" in text:
        return [text.split(":function:", 1)[1].split(":", 1)[0]]
    return [text.split(":", 1)[0]]


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def _ecs_cluster(raw: Any, event: TrailEvent) -> list[str]:
    text = str(raw)
    if text.startswith("arn:"):
        return [text]
    return [f"arn:{_partition(event.region)}:ecs:{event.region}:{event.account}:cluster/{text}"]


def _kms_key(raw: Any, _event: TrailEvent) -> list[str]:
    text = str(raw)
    if ":key/" in text:
        return [text.split(":key/", 1)[1]]
    return [] if text.startswith(("alias/", "arn:")) else [text]  # an alias names no key id


def _dynamodb_table(raw: Any, _event: TrailEvent) -> list[str]:
    text = str(raw)
    return [text.split(":table/", 1)[1].split("/", 1)[0]] if ":table/" in text else []


def _task_family(raw: Any, _event: TrailEvent) -> list[str]:
    text = str(raw)  # family:revision, or its ARN (...:task-definition/family:revision)
    return [text.rsplit("/", 1)[-1].split(":", 1)[0]]


def _policy_attachment(raw: Any, event: TrailEvent) -> list[str]:
    policy = event.request.get("policyArn")
    return [f"{raw}/{policy}"] if isinstance(policy, str) and policy else []


def _route53_records(raw: Any, event: TrailEvent) -> list[str]:
    """``ZONE_name_TYPE`` (``_SETID`` for routing policies) per changed record set."""
    zone = str(raw).rsplit("/", 1)[-1]
    changes = event.request.get("changeBatch", {})
    out = []
    for change in _records(changes):
        name = dns_name(change.get("name"))
        kind = str(change.get("type", ""))
        ident = change.get("setIdentifier")
        if name and kind:
            out.append(f"{zone}_{name}_{kind}" + (f"_{ident}" if ident else ""))
    return out


def _records(batch: Any) -> Iterator[Mapping[str, Any]]:
    changes = batch.get("changes") if isinstance(batch, dict) else None
    items = changes.get("member") if isinstance(changes, dict) else changes
    for change in items if isinstance(items, list) else [items] if items else []:
        record = change.get("resourceRecordSet") if isinstance(change, dict) else None
        if isinstance(record, dict):
            yield record


_FORMS: dict[str, Callable[[Any, TrailEvent], list[str]]] = {
    "as-is": _as_is, "last": _last, "lambda": _lambda, "ecs-cluster": _ecs_cluster,
    "kms-key": _kms_key, "dynamodb-table": _dynamodb_table,
    "policy-attachment": _policy_attachment, "task-family": _task_family,
    "route53-records": _route53_records,
}
