"""Scenarios for the EC2 and VPC types: each creates one resource in moto."""

from __future__ import annotations

from typing import Any

from tests.unit.aws.support import REGION, client, scenario


def _tags(kind: str, **tags: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def make_vpc(ec2: Any, cidr: str = "10.1.0.0/16") -> str:
    vpc_id = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=_tags("vpc", Name="main", env="prod")
                            )["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    return str(vpc_id)


@scenario("aws_vpc")
def vpc() -> dict[str, str]:
    return {"id": make_vpc(client("ec2"))}


@scenario("aws_subnet")
def subnet() -> dict[str, str]:
    ec2 = client("ec2")
    vpc_id = make_vpc(ec2)
    made = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.1.0/24",
                             AvailabilityZone=f"{REGION}a",
                             TagSpecifications=_tags("subnet", Name="private-a"))["Subnet"]
    ec2.modify_subnet_attribute(SubnetId=made["SubnetId"], MapPublicIpOnLaunch={"Value": True})
    return {"id": made["SubnetId"], "vpc_id": vpc_id, "az_id": made["AvailabilityZoneId"]}


@scenario("aws_internet_gateway")
def internet_gateway() -> dict[str, str]:
    ec2 = client("ec2")
    vpc_id = make_vpc(ec2)
    gateway = ec2.create_internet_gateway(
        TagSpecifications=_tags("internet-gateway", Name="main"))["InternetGateway"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"], VpcId=vpc_id)
    return {"id": gateway["InternetGatewayId"], "vpc_id": vpc_id}


@scenario("aws_route_table")
def route_table() -> dict[str, str]:
    ec2 = client("ec2")
    vpc_id = make_vpc(ec2)
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc_id)
    table = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_tags(
        "route-table", Name="public"))["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="192.168.0.0/16",
                     GatewayId=gateway)
    return {"id": table, "vpc_id": vpc_id, "igw_id": gateway}


@scenario("aws_security_group")
def security_group() -> dict[str, str]:
    ec2 = client("ec2")
    vpc_id = make_vpc(ec2)
    other = ec2.create_security_group(GroupName="lb", Description="lb", VpcId=vpc_id)["GroupId"]
    group = ec2.create_security_group(GroupName="web", Description="web servers", VpcId=vpc_id,
                                      TagSpecifications=_tags("security-group", Name="web"),
                                      )["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"},
                      {"CidrIp": "10.0.0.0/8"}],
         "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "https"}],
         "UserIdGroupPairs": [{"GroupId": group}]},
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8081,
         "UserIdGroupPairs": [{"GroupId": other, "Description": "from the lb"}]}])
    return {"id": group, "vpc_id": vpc_id, "lb_id": other}


def _ami(ec2: Any) -> str:
    return str(ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"])


@scenario("aws_instance")
def instance() -> dict[str, str]:
    ec2 = client("ec2")
    vpc_id = make_vpc(ec2)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.2.0/24",
                                  AvailabilityZone=f"{REGION}b")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc_id)["GroupId"]
    ami = _ami(ec2)
    made = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                             SubnetId=subnet_id, SecurityGroupIds=[group], KeyName="ops",
                             PrivateIpAddress="10.1.2.10", Monitoring={"Enabled": True},
                             TagSpecifications=_tags("instance", Name="app-1"),
                             )["Instances"][0]
    return {"id": made["InstanceId"], "subnet_id": subnet_id, "sg_id": group, "ami": ami}


@scenario("aws_ebs_volume")
def ebs_volume() -> dict[str, str]:
    ec2 = client("ec2")
    made = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=20, VolumeType="gp3",
                             Iops=3000, Throughput=125, Encrypted=True,
                             TagSpecifications=_tags("volume", Name="data"))
    return {"id": made["VolumeId"], "kms_key_id": made.get("KmsKeyId", "")}


@scenario("aws_nat_gateway")
def nat_gateway() -> dict[str, str]:
    ec2 = client("ec2")
    vpc_id = make_vpc(ec2)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.3.0/24",
                                  AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    gateway = ec2.create_nat_gateway(SubnetId=subnet_id, AllocationId=allocation,
                                     TagSpecifications=_tags("natgateway", Name="nat-a"),
                                     )["NatGateway"]
    address = gateway["NatGatewayAddresses"][0]
    return {"id": gateway["NatGatewayId"], "subnet_id": subnet_id, "allocation_id": allocation,
            "association_id": address["AssociationId"], "eni_id": address["NetworkInterfaceId"],
            "private_ip": address["PrivateIp"], "public_ip": address["PublicIp"]}


@scenario("aws_eip")
def eip() -> dict[str, str]:
    ec2 = client("ec2")
    vpc_id = make_vpc(ec2)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.4.0/24",
                                  AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet_id, PrivateIpAddress="10.1.4.20",
                                       )["NetworkInterface"]["NetworkInterfaceId"]
    made = ec2.allocate_address(Domain="vpc", TagSpecifications=_tags("elastic-ip", Name="web"))
    association = ec2.associate_address(AllocationId=made["AllocationId"],
                                        NetworkInterfaceId=eni)["AssociationId"]
    return {"id": made["AllocationId"], "public_ip": made["PublicIp"], "eni_id": eni,
            "association_id": association, "public_dns_ip": made["PublicIp"].replace(".", "-")}


@scenario("aws_network_acl")
def network_acl() -> dict[str, str]:
    ec2 = client("ec2")
    vpc_id = make_vpc(ec2)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.5.0/24",
                                  AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    acl = ec2.create_network_acl(VpcId=vpc_id, TagSpecifications=_tags(
        "network-acl", Name="private"))["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6",
                                 RuleAction="allow", Egress=False, CidrBlock="10.0.0.0/8",
                                 PortRange={"From": 443, "To": 443})
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=200, Protocol="-1",
                                 RuleAction="deny", Egress=False, CidrBlock="0.0.0.0/0")
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1",
                                 RuleAction="allow", Egress=True, CidrBlock="0.0.0.0/0")
    associations = ec2.describe_network_acls(Filters=[
        {"Name": "association.subnet-id", "Values": [subnet_id]}])["NetworkAcls"][0]
    association = next(a["NetworkAclAssociationId"] for a in associations["Associations"]
                       if a["SubnetId"] == subnet_id)
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)
    return {"id": acl, "vpc_id": vpc_id, "subnet_id": subnet_id}


@scenario("aws_launch_template")
def launch_template() -> dict[str, str]:
    ec2 = client("ec2")
    vpc_id = make_vpc(ec2)
    group = ec2.create_security_group(GroupName="tpl", Description="tpl", VpcId=vpc_id)["GroupId"]
    ami = _ami(ec2)
    made = ec2.create_launch_template(
        LaunchTemplateName="web", VersionDescription="first",
        LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"},
        TagSpecifications=_tags("launch-template", team="web"))["LaunchTemplate"]
    ec2.create_launch_template_version(
        LaunchTemplateId=made["LaunchTemplateId"], VersionDescription="second",
        LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.small", "KeyName": "ops",
                            "EbsOptimized": True, "SecurityGroupIds": [group],
                            "UserData": "IyEvYmluL3NoCmVjaG8gaGk="})
    return {"id": made["LaunchTemplateId"], "ami": ami, "sg_id": group}
