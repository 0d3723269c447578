"""Scenarios for the DNS types: Route 53 hosted zones (global)."""

from __future__ import annotations

from tests.unit.aws.support import client, scenario


@scenario("aws_route53_zone")
def route53_zone() -> dict[str, str]:
    route53 = client("route53")
    made = route53.create_hosted_zone(Name="example.com", CallerReference="fixture",
                                      HostedZoneConfig={"Comment": "main"})
    zone_id = made["HostedZone"]["Id"].rsplit("/", 1)[-1]
    route53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id,
                                     AddTags=[{"Key": "team", "Value": "dns"}])
    servers = sorted(made["DelegationSet"]["NameServers"])
    return {"id": zone_id, **{f"ns{n}": server for n, server in enumerate(servers)}}
