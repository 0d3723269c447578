"""DNS types (Route 53, a global service): aws_route53_zone.

Terraform stores a hosted zone's id without the ``/hostedzone/`` prefix the API
returns, and its name without the trailing dot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import AWSType, Describe, aws_type, tags_of, text

__all__ = ["Route53Zone"]


def _bare(identifier: Any) -> str:
    """``/hostedzone/Z123`` -> ``Z123`` (also for ``/delegationset/...``)."""
    return text(identifier).rsplit("/", 1)[-1]


@aws_type
class Route53Zone(AWSType):
    """Maps: arn, zone_id, name, comment, delegation_set_id, name_servers, vpc (private
    zones: vpc_id, vpc_region), tags_all."""

    tf_type = "aws_route53_zone"
    service = "route53"
    global_service = True
    list_call = ("list_hosted_zones", "HostedZones")
    id_field = "ZoneId"
    describe = (
        Describe("get_hosted_zone", {"Id": "ZoneId"}, into="Zone"),
        Describe("list_tags_for_resource", {"ResourceId": "ZoneId"}, into="TagSet",
                 result_key="ResourceTagSet", const={"ResourceType": "hostedzone"}),
    )
    iam = ("route53:ListHostedZones", "route53:GetHostedZone", "route53:ListTagsForResource")

    def item(self, listed: Any) -> dict[str, Any]:
        return {**listed, "ZoneId": _bare(listed["Id"])}

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        zone_id, described = raw["ZoneId"], raw.get("Zone") or {}
        delegation = described.get("DelegationSet") or {}
        return {
            "id": zone_id, "zone_id": zone_id,
            "arn": f"arn:{self.where.partition}:route53:::hostedzone/{zone_id}",
            "name": text(raw.get("Name")).rstrip(".").lower(),
            "comment": text((raw.get("Config") or {}).get("Comment")),
            "delegation_set_id": _bare(delegation.get("Id")),
            "name_servers": sorted(text(n) for n in delegation.get("NameServers") or ()),
            "vpc": sorted(({"vpc_id": text(v.get("VPCId")), "vpc_region": text(v.get("VPCRegion"))}
                           for v in described.get("VPCs") or ()), key=lambda v: v["vpc_id"]),
            "tags_all": tags_of((raw.get("TagSet") or {}).get("Tags")),
        }
