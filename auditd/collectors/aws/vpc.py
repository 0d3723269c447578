"""VPC networking types (EC2 API): aws_vpc, aws_subnet, aws_internet_gateway, aws_route_table.

AWS-managed defaults skipped unless strict: the default VPC, default subnets, and
main route tables (Terraform manages those as ``aws_default_*`` /
``aws_main_route_table_association``, not as these types).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import AWSType, Describe, aws_type, tags_of, text

__all__ = ["InternetGateway", "RouteTable", "Subnet", "Vpc"]


def _attribute(name: str, key: str) -> Describe:
    return Describe("describe_vpc_attribute", {"VpcId": "VpcId"}, into=key, result_key=key,
                    const={"Attribute": name})


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    return bool((raw.get(key) or {}).get("Value", False))


def _ipv6(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """The associated IPv6 block of a VPC or subnet (Terraform keeps the first)."""
    for block in raw.get("Ipv6CidrBlockAssociationSet") or ():
        if (block.get("Ipv6CidrBlockState") or {}).get("State") == "associated":
            return dict(block)
    return {}


@aws_type
class Vpc(AWSType):
    """Maps: arn, cidr_block, instance_tenancy, dhcp_options_id, enable_dns_support,
    enable_dns_hostnames, ipv6_cidr_block, ipv6_association_id, owner_id, tags_all."""

    tf_type = "aws_vpc"
    service = "ec2"
    list_call = ("describe_vpcs", "Vpcs")
    id_field = "VpcId"
    describe = (_attribute("enableDnsSupport", "EnableDnsSupport"),
                _attribute("enableDnsHostnames", "EnableDnsHostnames"))
    iam = ("ec2:DescribeVpcs", "ec2:DescribeVpcAttribute")

    def is_aws_managed(self, raw: Mapping[str, Any]) -> bool:
        return bool(raw.get("IsDefault"))

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        ipv6 = _ipv6(raw)
        return {
            "id": raw["VpcId"], "arn": self.arn("ec2", f"vpc/{raw['VpcId']}"),
            "cidr_block": raw["CidrBlock"], "instance_tenancy": raw.get("InstanceTenancy"),
            "dhcp_options_id": text(raw.get("DhcpOptionsId")),
            "enable_dns_support": _flag(raw, "EnableDnsSupport"),
            "enable_dns_hostnames": _flag(raw, "EnableDnsHostnames"),
            "ipv6_cidr_block": text(ipv6.get("Ipv6CidrBlock")),
            "ipv6_association_id": text(ipv6.get("AssociationId")),
            "owner_id": raw.get("OwnerId"), "tags_all": tags_of(raw.get("Tags")),
        }


@aws_type
class Subnet(AWSType):
    """Maps: arn, vpc_id, cidr_block, availability_zone, availability_zone_id,
    map_public_ip_on_launch, assign_ipv6_address_on_creation, ipv6_cidr_block,
    ipv6_native, enable_dns64, owner_id, tags_all."""

    tf_type = "aws_subnet"
    service = "ec2"
    list_call = ("describe_subnets", "Subnets")
    id_field = "SubnetId"
    iam = ("ec2:DescribeSubnets",)

    def is_aws_managed(self, raw: Mapping[str, Any]) -> bool:
        return bool(raw.get("DefaultForAz"))

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        subnet_id = raw["SubnetId"]
        return {
            "id": subnet_id,
            "arn": raw.get("SubnetArn") or self.arn("ec2", f"subnet/{subnet_id}"),
            "vpc_id": raw["VpcId"], "cidr_block": raw["CidrBlock"],
            "availability_zone": raw.get("AvailabilityZone"),
            "availability_zone_id": raw.get("AvailabilityZoneId"),
            "map_public_ip_on_launch": bool(raw.get("MapPublicIpOnLaunch")),
            "assign_ipv6_address_on_creation": bool(raw.get("AssignIpv6AddressOnCreation")),
            "ipv6_cidr_block": text(_ipv6(raw).get("Ipv6CidrBlock")),
            "ipv6_native": bool(raw.get("Ipv6Native")),
            "enable_dns64": bool(raw.get("EnableDns64")),
            "owner_id": raw.get("OwnerId"), "tags_all": tags_of(raw.get("Tags")),
        }


@aws_type
class InternetGateway(AWSType):
    """Maps: arn, vpc_id (the attached VPC, ``""`` when detached), owner_id, tags_all."""

    tf_type = "aws_internet_gateway"
    service = "ec2"
    list_call = ("describe_internet_gateways", "InternetGateways")
    id_field = "InternetGatewayId"
    iam = ("ec2:DescribeInternetGateways",)

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        gateway_id = raw["InternetGatewayId"]
        attached = [a for a in raw.get("Attachments") or ()
                    if a.get("State") in {"available", "attached"}]
        return {
            "id": gateway_id, "arn": self.arn("ec2", f"internet-gateway/{gateway_id}"),
            "vpc_id": text(attached[0].get("VpcId")) if attached else "",
            "owner_id": raw.get("OwnerId"), "tags_all": tags_of(raw.get("Tags")),
        }


_ROUTE_TARGETS = {
    "cidr_block": "DestinationCidrBlock", "ipv6_cidr_block": "DestinationIpv6CidrBlock",
    "destination_prefix_list_id": "DestinationPrefixListId",
    "carrier_gateway_id": "CarrierGatewayId", "core_network_arn": "CoreNetworkArn",
    "egress_only_gateway_id": "EgressOnlyInternetGatewayId", "gateway_id": "GatewayId",
    "local_gateway_id": "LocalGatewayId", "nat_gateway_id": "NatGatewayId",
    "network_interface_id": "NetworkInterfaceId", "transit_gateway_id": "TransitGatewayId",
    "vpc_endpoint_id": "", "vpc_peering_connection_id": "VpcPeeringConnectionId",
}


def _route(raw: Mapping[str, Any]) -> dict[str, str]:
    """One route block as the provider stores it (every target present, ``""`` if unset)."""
    route = {name: text(raw.get(field)) if field else "" for name, field in _ROUTE_TARGETS.items()}
    if route["gateway_id"].startswith("vpce-"):  # the provider moves endpoints to their field
        route["vpc_endpoint_id"], route["gateway_id"] = route["gateway_id"], ""
    return route


def _managed_route(raw: Mapping[str, Any]) -> bool:
    """The local route and propagated routes are not part of Terraform's ``route`` set."""
    return raw.get("GatewayId") == "local" or raw.get("Origin") == "EnableVgwRoutePropagation"


@aws_type
class RouteTable(AWSType):
    """Maps: arn, vpc_id, owner_id, route (without the local and propagated routes),
    propagating_vgws, tags_all.  Main route tables are skipped unless strict."""

    tf_type = "aws_route_table"
    service = "ec2"
    list_call = ("describe_route_tables", "RouteTables")
    id_field = "RouteTableId"
    iam = ("ec2:DescribeRouteTables",)

    def is_aws_managed(self, raw: Mapping[str, Any]) -> bool:
        return any(a.get("Main") for a in raw.get("Associations") or ())

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        table_id = raw["RouteTableId"]
        return {
            "id": table_id, "arn": self.arn("ec2", f"route-table/{table_id}"),
            "vpc_id": raw["VpcId"], "owner_id": raw.get("OwnerId"),
            "route": [_route(r) for r in raw.get("Routes") or () if not _managed_route(r)],
            "propagating_vgws": sorted(text(v.get("GatewayId"))
                                       for v in raw.get("PropagatingVgws") or ()),
            "tags_all": tags_of(raw.get("Tags")),
        }
