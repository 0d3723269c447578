"""EC2 compute types: aws_security_group (rules inline), aws_instance, aws_ebs_volume,
aws_launch_template (its latest version, the one Terraform reads).

Security group rules are flattened the way the Terraform AWS provider stores them
in ``ingress``/``egress``: one block per (protocol, from_port, to_port,
description), holding every CIDR, IPv6 CIDR, prefix list and group of that
combination; a reference to the group itself is ``self = true``; a group of
another account is ``"<account>/<group id>"``.  Default security groups are
skipped unless strict (Terraform manages them as ``aws_default_security_group``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from auditd.collectors.aws._base import AWSType, Describe, aws_type, tags_of, text

__all__ = ["EbsVolume", "Instance", "LaunchTemplate", "SecurityGroup", "flatten_rules"]

_PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}
_GONE_INSTANCE = frozenset({"shutting-down", "terminated"})
_GONE_VOLUME = frozenset({"deleting", "deleted"})


def _empty_rule(protocol: str, from_port: int, to_port: int, description: str) -> dict[str, Any]:
    return {"protocol": protocol, "from_port": from_port, "to_port": to_port,
            "description": description, "cidr_blocks": [], "ipv6_cidr_blocks": [],
            "prefix_list_ids": [], "security_groups": [], "self": False}


def flatten_rules(permissions: Iterable[Mapping[str, Any]], group_id: str,
                  owner_id: str) -> list[dict[str, Any]]:
    """``IpPermissions`` as the provider's ``ingress``/``egress`` blocks."""
    rules: dict[tuple[str, int, int, str], dict[str, Any]] = {}
    for perm in permissions:
        protocol = str(perm.get("IpProtocol", "-1"))
        protocol = _PROTOCOL_NAMES.get(protocol, protocol)
        ports = (int(perm.get("FromPort", 0)), int(perm.get("ToPort", 0)))

        def rule(description: Any, ports: tuple[int, int] = ports,
                 protocol: str = protocol) -> dict[str, Any]:
            name = text(description)
            return rules.setdefault((protocol, *ports, name), _empty_rule(protocol, *ports, name))

        for block in perm.get("IpRanges") or ():
            rule(block.get("Description"))["cidr_blocks"].append(block["CidrIp"])
        for block in perm.get("Ipv6Ranges") or ():
            rule(block.get("Description"))["ipv6_cidr_blocks"].append(block["CidrIpv6"])
        for block in perm.get("PrefixListIds") or ():
            rule(block.get("Description"))["prefix_list_ids"].append(block["PrefixListId"])
        for pair in perm.get("UserIdGroupPairs") or ():
            _add_group(rule(pair.get("Description")), pair, group_id, owner_id)
    return list(rules.values())


def _add_group(rule: dict[str, Any], pair: Mapping[str, Any], group_id: str,
               owner_id: str) -> None:
    other = str(pair.get("GroupId", ""))
    if other == group_id:
        rule["self"] = True
        return
    user = pair.get("UserId")
    rule["security_groups"].append(other if not user or user == owner_id else f"{user}/{other}")


@aws_type
class SecurityGroup(AWSType):
    """Maps: arn, name, description, vpc_id, owner_id, ingress, egress, tags_all."""

    tf_type = "aws_security_group"
    service = "ec2"
    list_call = ("describe_security_groups", "SecurityGroups")
    id_field = "GroupId"
    iam = ("ec2:DescribeSecurityGroups",)

    def is_aws_managed(self, raw: Mapping[str, Any]) -> bool:
        return raw.get("GroupName") == "default"

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        group_id, owner = str(raw["GroupId"]), str(raw.get("OwnerId", ""))
        return {
            "id": group_id,
            "arn": raw.get("SecurityGroupArn") or self.arn("ec2", f"security-group/{group_id}"),
            "name": raw["GroupName"], "description": text(raw.get("Description")),
            "vpc_id": text(raw.get("VpcId")), "owner_id": owner,
            "ingress": flatten_rules(raw.get("IpPermissions") or (), group_id, owner),
            "egress": flatten_rules(raw.get("IpPermissionsEgress") or (), group_id, owner),
            "tags_all": tags_of(raw.get("Tags")),
        }


def _profile_name(profile: Mapping[str, Any] | None) -> str:
    """Terraform stores the instance profile's name; AWS gives its ARN."""
    arn = text((profile or {}).get("Arn"))
    return arn.rsplit("/", 1)[-1] if arn else ""


@aws_type
class Instance(AWSType):
    """Maps: arn, ami, instance_type, availability_zone, tenancy, subnet_id,
    vpc_security_group_ids, key_name, private_ip, monitoring, ebs_optimized,
    source_dest_check, iam_instance_profile, tags_all.  Terminated and
    shutting-down instances are gone for Terraform and are not reported."""

    tf_type = "aws_instance"
    service = "ec2"
    list_call = ("describe_instances", "Reservations")
    id_field = "InstanceId"
    iam = ("ec2:DescribeInstances",)

    def items_of(self, page: Mapping[str, Any]) -> Iterable[Any]:
        for reservation in page.get("Reservations") or ():
            yield from reservation.get("Instances") or ()

    def exists(self, raw: Mapping[str, Any]) -> bool:
        return (raw.get("State") or {}).get("Name") not in _GONE_INSTANCE

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        placement = raw.get("Placement") or {}
        instance_id = raw["InstanceId"]
        return {
            "id": instance_id, "arn": self.arn("ec2", f"instance/{instance_id}"),
            "ami": raw.get("ImageId"), "instance_type": raw.get("InstanceType"),
            "availability_zone": placement.get("AvailabilityZone"),
            "tenancy": placement.get("Tenancy", "default"),
            "subnet_id": text(raw.get("SubnetId")),
            "vpc_security_group_ids": sorted(g["GroupId"] for g in raw.get("SecurityGroups") or ()),
            "key_name": text(raw.get("KeyName")), "private_ip": text(raw.get("PrivateIpAddress")),
            "monitoring": (raw.get("Monitoring") or {}).get("State") in {"enabled", "pending"},
            "ebs_optimized": bool(raw.get("EbsOptimized")),
            "source_dest_check": bool(raw.get("SourceDestCheck", True)),
            "iam_instance_profile": _profile_name(raw.get("IamInstanceProfile")),
            "tags_all": tags_of(raw.get("Tags")),
        }


@aws_type
class EbsVolume(AWSType):
    """Maps: arn, availability_zone, size, type, iops, throughput, encrypted, kms_key_id,
    snapshot_id, multi_attach_enabled, tags_all."""

    tf_type = "aws_ebs_volume"
    service = "ec2"
    list_call = ("describe_volumes", "Volumes")
    id_field = "VolumeId"
    iam = ("ec2:DescribeVolumes",)

    def exists(self, raw: Mapping[str, Any]) -> bool:
        return raw.get("State") not in _GONE_VOLUME

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        volume_id = raw["VolumeId"]
        return {
            "id": volume_id, "arn": self.arn("ec2", f"volume/{volume_id}"),
            "availability_zone": raw.get("AvailabilityZone"), "size": raw.get("Size"),
            "type": raw.get("VolumeType"), "iops": int(raw.get("Iops") or 0),
            "throughput": int(raw.get("Throughput") or 0),
            "encrypted": bool(raw.get("Encrypted")), "kms_key_id": text(raw.get("KmsKeyId")),
            "snapshot_id": text(raw.get("SnapshotId")),
            "multi_attach_enabled": bool(raw.get("MultiAttachEnabled")),
            "tags_all": tags_of(raw.get("Tags")),
        }


@aws_type
class LaunchTemplate(AWSType):
    """Maps: arn, name, default_version, latest_version, and of the latest version (the one
    Terraform reads): description, image_id, instance_type, key_name, user_data,
    ebs_optimized, vpc_security_group_ids; tags_all."""

    tf_type = "aws_launch_template"
    service = "ec2"
    list_call = ("describe_launch_templates", "LaunchTemplates")
    id_field = "LaunchTemplateId"
    describe = (Describe("describe_launch_template_versions",
                         {"LaunchTemplateId": "LaunchTemplateId"}, into="Versions",
                         result_key="LaunchTemplateVersions", const={"Versions": ["$Latest"]}),)
    iam = ("ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions")

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        template_id = raw["LaunchTemplateId"]
        versions = list(raw.get("Versions") or [])
        latest = versions[0] if versions else {}
        data = latest.get("LaunchTemplateData") or {}
        optimized = data.get("EbsOptimized")
        return {
            "id": template_id, "arn": self.arn("ec2", f"launch-template/{template_id}"),
            "name": raw.get("LaunchTemplateName"),
            "default_version": int(raw.get("DefaultVersionNumber") or 0),
            "latest_version": int(raw.get("LatestVersionNumber") or 0),
            "description": text(latest.get("VersionDescription")),
            "image_id": text(data.get("ImageId")), "instance_type": text(data.get("InstanceType")),
            "key_name": text(data.get("KeyName")), "user_data": text(data.get("UserData")),
            "ebs_optimized": "" if optimized is None else str(bool(optimized)).lower(),
            "vpc_security_group_ids": sorted(text(g) for g in data.get("SecurityGroupIds") or ()),
            "tags_all": tags_of(raw.get("Tags")),
        }
