"""Scenarios for the load balancing types (ELBv2): load balancers, target groups."""

from __future__ import annotations

from tests.unit.aws.scenarios_network import make_vpc
from tests.unit.aws.support import REGION, client, scenario


@scenario("aws_lb")
def load_balancer() -> dict[str, str]:
    ec2 = client("ec2")
    vpc_id = make_vpc(ec2)
    subnets = sorted(ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.1.{n}.0/24",
                                       AvailabilityZone=f"{REGION}{zone}")["Subnet"]["SubnetId"]
                     for n, zone in ((6, "a"), (7, "b")))
    group = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc_id)["GroupId"]
    made = client("elbv2").create_load_balancer(
        Name="web", Subnets=subnets, SecurityGroups=[group], Scheme="internal",
        Type="application", Tags=[{"Key": "team", "Value": "web"}])["LoadBalancers"][0]
    arn = made["LoadBalancerArn"]
    return {"id": arn, "arn_suffix": arn.split(":loadbalancer/", 1)[1], "vpc_id": vpc_id,
            "subnet_a": subnets[0], "subnet_b": subnets[1], "sg_id": group,
            "dns_name": made["DNSName"], "zone_id": made["CanonicalHostedZoneId"]}


@scenario("aws_lb_target_group")
def target_group() -> dict[str, str]:
    vpc_id = make_vpc(client("ec2"))
    elbv2 = client("elbv2")
    arn = elbv2.create_target_group(
        Name="web", Protocol="HTTP", Port=8080, VpcId=vpc_id, HealthCheckPath="/health",
        TargetType="instance", Tags=[{"Key": "team", "Value": "web"}],
        )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])
    return {"id": arn, "suffix": arn.split(":targetgroup/", 1)[1], "vpc_id": vpc_id}


@scenario("aws_lb_listener")
def listener() -> dict[str, str]:
    values = load_balancer()
    elbv2 = client("elbv2")
    group = elbv2.create_target_group(Name="web-http", Protocol="HTTP", Port=80,
                                      VpcId=values["vpc_id"], TargetType="instance",
                                      )["TargetGroups"][0]["TargetGroupArn"]
    certificate = client("acm").request_certificate(DomainName="web.example.com")
    # HTTPS: moto gives every listener an SSL policy, even HTTP ones that have none on AWS
    # (moto/elbv2/responses.py, create_listener), so the fixture is an HTTPS listener.
    made = elbv2.create_listener(
        LoadBalancerArn=values["id"], Protocol="HTTPS", Port=443,
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        Certificates=[{"CertificateArn": certificate["CertificateArn"]}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group, "Order": 1}],
        Tags=[{"Key": "team", "Value": "web"}])["Listeners"][0]
    elbv2.create_listener(  # a second listener of the same load balancer, not in the fixture
        LoadBalancerArn=values["id"], Protocol="HTTP", Port=81, DefaultActions=[{
            "Type": "fixed-response", "FixedResponseConfig": {
                "StatusCode": "404", "ContentType": "text/plain", "MessageBody": "no"}}])
    return {"id": made["ListenerArn"], "lb_arn": values["id"], "tg_arn": group,
            "certificate_arn": certificate["CertificateArn"]}
