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


def make_zone(name: str = "example.com") -> str:
    made = client("route53").create_hosted_zone(Name=name, CallerReference=f"zone-{name}")
    return str(made["HostedZone"]["Id"]).rsplit("/", 1)[-1]


def upsert(zone_id: str, record: dict[str, object]) -> None:
    client("route53").change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
        "Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]})


@scenario("aws_route53_record")
def route53_record() -> dict[str, str]:
    zone_id = make_zone()
    upsert(zone_id, {"Name": "www.example.com.", "Type": "A", "TTL": 300,
                     "ResourceRecords": [{"Value": "192.0.2.20"}, {"Value": "192.0.2.10"}]})
    upsert(zone_id, {"Name": "example.com.", "Type": "TXT", "TTL": 60,
                     "ResourceRecords": [{"Value": '"v=spf1 -all"'}]})
    return {"id": f"{zone_id}_www_A", "zone_id": zone_id}
