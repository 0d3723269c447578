"""DNS types (Route 53, a global service): aws_route53_zone and aws_route53_record.

Terraform stores a hosted zone's id without the ``/hostedzone/`` prefix the API
returns, and names without the trailing dot.  Records are listed per hosted zone and
keyed by their import id ``<zone_id>_<fqdn>_<type>[_<set_identifier>]``
(:func:`~auditd.normalize.typerules.import_id`; the tfstate reader keys state records
the same way, as their own id repeats a name that may be relative to the zone).  A
zone's own apex NS and SOA records are AWS-managed: skipped unless strict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import AWSType, Describe, Within, aws_type, tags_of, text
from auditd.normalize.typerules import import_id

__all__ = ["Route53Record", "Route53Zone"]

_APEX_MANAGED = frozenset({"NS", "SOA"})
_QUOTED_TYPES = frozenset({"TXT", "SPF"})


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


def dns_name(name: Any) -> str:
    """A record or alias name as the provider stores it: lower case, no trailing dot,
    a leading ``\\052`` (Route 53's escape of ``*``) back to ``*``."""
    value = text(name).rstrip(".").lower()
    return "*" + value[4:] if value.startswith("\\052") else value


def _record_value(value: str, record_type: str) -> str:
    """TXT and SPF values lose one pair of surrounding quotes, as the provider reads them."""
    if record_type in _QUOTED_TYPES and len(value) > 1 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _policy(value: Any, name: str) -> list[dict[str, Any]]:
    return [] if value is None or value == "" else [{name: value}]


@aws_type
class Route53Record(AWSType):
    """Record sets, listed per hosted zone.  Maps: zone_id, fqdn, type, ttl, records,
    set_identifier, health_check_id, alias (name, zone_id, evaluate_target_health),
    weighted, failover and latency routing policies, multivalue_answer_routing_policy.
    Not ``name``: Terraform keeps it as configured, possibly relative to the zone."""

    tf_type = "aws_route53_record"
    service = "route53"
    global_service = True
    within = Within(("list_hosted_zones", "HostedZones"), {"HostedZoneId": "Id"},
                    absent=frozenset({"NoSuchHostedZone"}))
    list_call = ("list_resource_record_sets", "ResourceRecordSets")
    iam = ("route53:ListHostedZones", "route53:ListResourceRecordSets")

    def is_aws_managed(self, raw: Mapping[str, Any]) -> bool:
        apex = dns_name(raw["Name"]) == dns_name(raw["Parent"].get("Name"))
        return apex and raw.get("Type") in _APEX_MANAGED

    def item_id(self, raw: Mapping[str, Any]) -> str:
        found = import_id(self.tf_type, self.to_attrs(raw))
        if found is None:
            raise ValueError(f"{self.tf_type}: no zone, name or type in {dict(raw)!r}")
        return found

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        record_type = text(raw.get("Type"))
        alias = raw.get("AliasTarget")
        return {
            "zone_id": _bare(raw["Parent"]["Id"]), "fqdn": dns_name(raw.get("Name")),
            "type": record_type, "ttl": int(raw.get("TTL") or 0),
            "records": sorted(_record_value(text(r.get("Value")), record_type)
                              for r in raw.get("ResourceRecords") or ()),
            "set_identifier": text(raw.get("SetIdentifier")),
            "health_check_id": text(raw.get("HealthCheckId")),
            "alias": [] if alias is None else [{
                "name": text(alias.get("DNSName")).rstrip(".").lower(),
                "zone_id": text(alias.get("HostedZoneId")),
                "evaluate_target_health": bool(alias.get("EvaluateTargetHealth"))}],
            "weighted_routing_policy": _policy(raw.get("Weight"), "weight"),
            "failover_routing_policy": _policy(raw.get("Failover"), "type"),
            "latency_routing_policy": _policy(raw.get("Region"), "region"),
            "multivalue_answer_routing_policy": bool(raw.get("MultiValueAnswer")),
        }
