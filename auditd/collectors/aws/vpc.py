"""VPC networking types (EC2 API): aws_vpc, aws_subnet, aws_internet_gateway, aws_route_table,
aws_nat_gateway, aws_eip, aws_network_acl.

AWS-managed defaults skipped unless strict: the default VPC, default subnets, main
route tables and default network ACLs (Terraform manages those as ``aws_default_*`` /
``aws_main_route_table_association``, not as these types).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import AWSType, Describe, aws_type, tags_of, text

__all__ = ["Eip", "InternetGateway", "NatGateway", "NetworkAcl", "RouteTable", "Subnet", "Vpc"]


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


_GONE_NAT = frozenset({"deleting", "deleted", "failed"})


def _primary_address(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """The NAT gateway's primary address (Terraform's top-level ip attributes)."""
    addresses = list(raw.get("NatGatewayAddresses") or ())
    primary = [a for a in addresses if a.get("IsPrimary")]
    return dict((primary or addresses or [{}])[0])


@aws_type
class NatGateway(AWSType):
    """Maps: allocation_id, association_id, network_interface_id, private_ip, public_ip
    (of the primary address), connectivity_type, subnet_id, tags_all.  Deleted, deleting
    and failed gateways are gone for Terraform and are not reported."""

    tf_type = "aws_nat_gateway"
    service = "ec2"
    list_call = ("describe_nat_gateways", "NatGateways")
    id_field = "NatGatewayId"
    iam = ("ec2:DescribeNatGateways",)

    def exists(self, raw: Mapping[str, Any]) -> bool:
        return raw.get("State") not in _GONE_NAT

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        address = _primary_address(raw)
        return {
            "id": raw["NatGatewayId"],
            "allocation_id": text(address.get("AllocationId")),
            "association_id": text(address.get("AssociationId")),
            "connectivity_type": raw.get("ConnectivityType") or "public",
            "network_interface_id": text(address.get("NetworkInterfaceId")),
            "private_ip": text(address.get("PrivateIp")),
            "public_ip": text(address.get("PublicIp")),
            "subnet_id": text(raw.get("SubnetId")), "tags_all": tags_of(raw.get("Tags")),
        }


@aws_type
class Eip(AWSType):
    """Maps: allocation_id, arn, domain, association_id, instance, network_interface,
    private_ip, public_ip, public_ipv4_pool, network_border_group, tags_all.  Only VPC
    addresses (those with an allocation id, Terraform's id) exist."""

    tf_type = "aws_eip"
    service = "ec2"
    list_call = ("describe_addresses", "Addresses")  # not paginated: one answer per region
    id_field = "AllocationId"
    iam = ("ec2:DescribeAddresses",)

    def exists(self, raw: Mapping[str, Any]) -> bool:
        return bool(raw.get("AllocationId"))

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        allocation = raw["AllocationId"]
        return {
            "id": allocation, "allocation_id": allocation,
            "arn": self.arn("ec2", f"elastic-ip/{allocation}"),
            "domain": raw.get("Domain") or "vpc",
            "association_id": text(raw.get("AssociationId")),
            "instance": text(raw.get("InstanceId")),
            "network_interface": text(raw.get("NetworkInterfaceId")),
            "private_ip": text(raw.get("PrivateIpAddress")),
            "public_ip": text(raw.get("PublicIp")),
            "public_ipv4_pool": raw.get("PublicIpv4Pool") or "amazon",
            "network_border_group": raw.get("NetworkBorderGroup") or self.where.region,
            "tags_all": tags_of(raw.get("Tags")),
        }


# The catch-all deny rules every network ACL ends with (IPv4, IPv6): not in Terraform's sets.
_DEFAULT_ACL_RULES = frozenset({32767, 32768})


def _acl_rule(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One network ACL entry as the provider stores it in ``ingress``/``egress``."""
    ports, icmp = raw.get("PortRange") or {}, raw.get("IcmpTypeCode") or {}
    return {
        "action": text(raw.get("RuleAction")), "cidr_block": text(raw.get("CidrBlock")),
        "ipv6_cidr_block": text(raw.get("Ipv6CidrBlock")),
        "protocol": text(raw.get("Protocol")), "rule_no": int(raw.get("RuleNumber") or 0),
        "from_port": int(ports.get("From") or 0), "to_port": int(ports.get("To") or 0),
        "icmp_type": int(icmp.get("Type") or 0), "icmp_code": int(icmp.get("Code") or 0),
    }


def _acl_rules(raw: Mapping[str, Any], egress: bool) -> list[dict[str, Any]]:
    return sorted((_acl_rule(e) for e in raw.get("Entries") or ()
                   if bool(e.get("Egress")) == egress
                   and int(e.get("RuleNumber") or 0) not in _DEFAULT_ACL_RULES),
                  key=lambda rule: rule["rule_no"])


@aws_type
class NetworkAcl(AWSType):
    """Maps: arn, vpc_id, owner_id, ingress, egress (without the default deny rules),
    subnet_ids, tags_all.  Default network ACLs are skipped unless strict."""

    tf_type = "aws_network_acl"
    service = "ec2"
    list_call = ("describe_network_acls", "NetworkAcls")
    id_field = "NetworkAclId"
    iam = ("ec2:DescribeNetworkAcls",)

    def is_aws_managed(self, raw: Mapping[str, Any]) -> bool:
        return bool(raw.get("IsDefault"))

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        acl_id = raw["NetworkAclId"]
        return {
            "id": acl_id, "arn": self.arn("ec2", f"network-acl/{acl_id}"),
            "vpc_id": raw["VpcId"], "owner_id": raw.get("OwnerId"),
            "ingress": _acl_rules(raw, egress=False), "egress": _acl_rules(raw, egress=True),
            "subnet_ids": sorted(text(a.get("SubnetId")) for a in raw.get("Associations") or ()
                                 if a.get("SubnetId")),
            "tags_all": tags_of(raw.get("Tags")),
        }
