"""A synthetic AWS estate written into a moto server through its API (bench/aws_collect.py).

:func:`populate` creates about ``scale * 5,000`` resources over the given regions,
with boto3 against ``endpoint``: networks (VPCs with subnets, security groups,
route tables, internet gateways, network ACLs), elastic IPs, NAT gateways,
instances, EBS volumes, launch templates, S3 buckets (some with versioning, a
policy, a public access block), SQS queues, SNS topics, DynamoDB tables, Lambda
functions, log groups, KMS keys, ECR repositories, RDS instances, ECS clusters,
ALBs and target groups in every region; IAM roles, policies and users and Route53
zones once (global).  Batch calls are used where the API has them (instances: one
``RunInstances`` per subnet batch); the rest is spread over a thread pool.

Deterministic: the same scale gives the same resources (moto makes up the ids).
Writes only to the moto server it is given; never to real AWS.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import boto3

__all__ = ["GLOBAL", "PER_REGION", "populate"]

# Resources created per region (x scale).  Instances also make one root EBS volume each.
PER_REGION = {
    "vpc": 30, "subnet_per_vpc": 3, "sg_per_vpc": 4, "route_table_per_vpc": 2,
    "eip": 30, "nat_gateway": 10, "instance": 120, "volume": 100, "launch_template": 20,
    "bucket": 90, "queue": 110, "topic": 110, "table": 50, "function": 40, "log_group": 130,
    "kms_key": 50, "repository": 50, "db_instance": 4, "cluster": 20, "load_balancer": 4,
    "target_group": 20,
}
GLOBAL = {"role": 200, "policy": 130, "user": 130, "zone": 20}
WORKERS = 8
_LOCAL = threading.local()
_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})
_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]})


def _n(count: int, scale: float) -> int:
    return max(1, round(count * scale))


def client(endpoint: str, service: str, region: str) -> Any:
    """A boto3 client for this thread (sessions are not thread-safe)."""
    cache = getattr(_LOCAL, "clients", None)
    if cache is None:
        cache = _LOCAL.clients = {}
    made = cache.get((service, region))
    if made is None:
        session = getattr(_LOCAL, "session", None) or boto3.session.Session()
        _LOCAL.session = session
        made = cache[(service, region)] = session.client(
            service, region_name=region, endpoint_url=endpoint)
    return made


def _tags(kind: str, **tags: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


# --- networks ------------------------------------------------------------------------------


def _network(endpoint: str, region: str, scale: float, n: int) -> dict[str, Any]:
    """One VPC with its subnets, groups, route tables, gateway and ACL; their ids."""
    ec2 = client(endpoint, "ec2", region)
    vpc = ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16",
                         TagSpecifications=_tags("vpc", Name=f"vpc-{n}"))["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{n}.{k}.0/24",
                                 AvailabilityZone=f"{region}{'abc'[k % 3]}")["Subnet"]["SubnetId"]
               for k in range(PER_REGION["subnet_per_vpc"])]
    groups = []
    for k in range(PER_REGION["sg_per_vpc"]):
        group = ec2.create_security_group(GroupName=f"app-{n}-{k}", Description="app",
                                          VpcId=vpc)["GroupId"]
        groups.append(group)
        if k == 0:
            ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
                "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "https"}]}])
    for _ in range(PER_REGION["route_table_per_vpc"]):
        ec2.create_route_table(VpcId=vpc)
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    ec2.create_network_acl(VpcId=vpc)
    return {"vpc": vpc, "subnets": subnets, "groups": groups}


def _compute(endpoint: str, region: str, scale: float,
             networks: list[dict[str, Any]]) -> None:
    ec2 = client(endpoint, "ec2", region)
    ami = str(ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"])
    batches = len(networks)
    per_batch = max(1, _n(PER_REGION["instance"], scale) // batches)
    for net in networks:  # one RunInstances call per VPC: the API's batch
        ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=per_batch,
                          MaxCount=per_batch, SubnetId=net["subnets"][0],
                          SecurityGroupIds=net["groups"][:1],
                          TagSpecifications=_tags("instance", team="bench"))
    for k in range(_n(PER_REGION["launch_template"], scale)):
        ec2.create_launch_template(LaunchTemplateName=f"lt-{k}", LaunchTemplateData={
            "ImageId": ami, "InstanceType": "t3.micro"})


def _volumes(endpoint: str, region: str, scale: float) -> None:
    ec2 = client(endpoint, "ec2", region)
    for k in range(_n(PER_REGION["volume"], scale)):
        ec2.create_volume(Size=8 + k % 4, AvailabilityZone=f"{region}a", VolumeType="gp3",
                          TagSpecifications=_tags("volume", Name=f"data-{k}"))


def _addresses(endpoint: str, region: str, scale: float,
               networks: list[dict[str, Any]]) -> None:
    ec2 = client(endpoint, "ec2", region)
    allocations = [ec2.allocate_address(Domain="vpc")["AllocationId"]
                   for _ in range(_n(PER_REGION["eip"], scale))]
    for k in range(_n(PER_REGION["nat_gateway"], scale)):
        ec2.create_nat_gateway(SubnetId=networks[k % len(networks)]["subnets"][0],
                               AllocationId=allocations[k])


def _load_balancers(endpoint: str, region: str, scale: float,
                    networks: list[dict[str, Any]]) -> None:
    elb = client(endpoint, "elbv2", region)
    for k in range(_n(PER_REGION["load_balancer"], scale)):
        net = networks[k % len(networks)]
        elb.create_load_balancer(Name=f"alb-{k}", Subnets=net["subnets"][:2],
                                 SecurityGroups=net["groups"][:1], Scheme="internal",
                                 Type="application")
    for k in range(_n(PER_REGION["target_group"], scale)):
        elb.create_target_group(Name=f"tg-{k}", Protocol="HTTP", Port=80,
                                VpcId=networks[k % len(networks)]["vpc"], TargetType="instance")
    rds = client(endpoint, "rds", region)
    for k in range(_n(PER_REGION["db_instance"], scale)):
        rds.create_db_instance(DBInstanceIdentifier=f"db-{k}", DBInstanceClass="db.t3.micro",
                               Engine="postgres", AllocatedStorage=20,
                               MasterUsername="app", MasterUserPassword="not-a-password-1")


# --- regional services -----------------------------------------------------------------------


def _buckets(endpoint: str, region: str, scale: float) -> None:
    s3 = client(endpoint, "s3", region)
    where = {} if region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": region}}
    for k in range(_n(PER_REGION["bucket"], scale)):
        name = f"bench-{region}-{k}"
        s3.create_bucket(Bucket=name, **where)
        if k % 2 == 0:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if k % 3 == 0:
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True})
        if k % 5 == 0:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
                {"Key": "team", "Value": "bench"}]})


def _messaging(endpoint: str, region: str, scale: float) -> None:
    sqs, sns = client(endpoint, "sqs", region), client(endpoint, "sns", region)
    for k in range(_n(PER_REGION["queue"], scale)):
        sqs.create_queue(QueueName=f"jobs-{k}", tags={"team": "bench"})
    for k in range(_n(PER_REGION["topic"], scale)):
        sns.create_topic(Name=f"events-{k}", Tags=[{"Key": "team", "Value": "bench"}])


def _data(endpoint: str, region: str, scale: float) -> None:
    dynamodb = client(endpoint, "dynamodb", region)
    for k in range(_n(PER_REGION["table"], scale)):
        dynamodb.create_table(TableName=f"table-{k}", BillingMode="PAY_PER_REQUEST",
                              AttributeDefinitions=[{"AttributeName": "pk",
                                                     "AttributeType": "S"}],
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    kms = client(endpoint, "kms", region)
    for k in range(_n(PER_REGION["kms_key"], scale)):
        kms.create_key(Description=f"key {k}", Tags=[{"TagKey": "team", "TagValue": "bench"}])


def _apps(endpoint: str, region: str, scale: float, role_arn: str) -> None:
    code = _zip()
    lam = client(endpoint, "lambda", region)
    for k in range(_n(PER_REGION["function"], scale)):
        lam.create_function(FunctionName=f"fn-{k}", Runtime="python3.12", Role=role_arn,
                            Handler="app.handler", Code={"ZipFile": code},
                            Tags={"team": "bench"})
    logs = client(endpoint, "logs", region)
    for k in range(_n(PER_REGION["log_group"], scale)):
        logs.create_log_group(logGroupName=f"/bench/app-{k}", tags={"team": "bench"})
    ecr, ecs = client(endpoint, "ecr", region), client(endpoint, "ecs", region)
    for k in range(_n(PER_REGION["repository"], scale)):
        ecr.create_repository(repositoryName=f"repo-{k}")
    for k in range(_n(PER_REGION["cluster"], scale)):
        ecs.create_cluster(clusterName=f"cluster-{k}")


# --- global services -------------------------------------------------------------------------


def _iam(endpoint: str, region: str, scale: float) -> None:
    iam = client(endpoint, "iam", region)
    for k in range(_n(GLOBAL["role"], scale) - 1):
        iam.create_role(RoleName=f"role-{k}", AssumeRolePolicyDocument=_TRUST)
    for k in range(_n(GLOBAL["policy"], scale)):
        iam.create_policy(PolicyName=f"policy-{k}", PolicyDocument=_POLICY)
    for k in range(_n(GLOBAL["user"], scale)):
        iam.create_user(UserName=f"user-{k}")


def _zones(endpoint: str, region: str, scale: float) -> None:
    route53 = client(endpoint, "route53", region)
    for k in range(_n(GLOBAL["zone"], scale)):
        route53.create_hosted_zone(Name=f"zone{k}.bench.example", CallerReference=f"bench-{k}")


# --- driver ----------------------------------------------------------------------------------


def _jobs(endpoint: str, regions: tuple[str, ...], scale: float,
          role_arn: str) -> Iterator[Callable[[], None]]:
    home = regions[0]
    yield partial(_iam, endpoint, home, scale)
    yield partial(_zones, endpoint, home, scale)
    for region in regions:
        for job in (_volumes, _buckets, _messaging, _data, _networked):
            yield partial(job, endpoint, region, scale)
        yield partial(_apps, endpoint, region, scale, role_arn)


def _networked(endpoint: str, region: str, scale: float) -> None:
    networks = [_network(endpoint, region, scale, n)
                for n in range(_n(PER_REGION["vpc"], scale))]
    _compute(endpoint, region, scale, networks)
    _addresses(endpoint, region, scale, networks)
    _load_balancers(endpoint, region, scale, networks)


def populate(endpoint: str, regions: tuple[str, ...], scale: float = 1.0) -> None:
    """Create the estate in the moto server at ``endpoint`` (``regions[0]``: IAM, Route53)."""
    role_arn = client(endpoint, "iam", regions[0]).create_role(
        RoleName="lambda-exec", AssumeRolePolicyDocument=_TRUST)["Role"]["Arn"]
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="bench-populate") as pool:
        for future in [pool.submit(job) for job in _jobs(endpoint, regions, scale, role_arn)]:
            future.result()
