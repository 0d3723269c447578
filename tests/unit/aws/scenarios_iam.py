"""Scenarios for the IAM types (global: keyed with region ``global``)."""

from __future__ import annotations

import json

from tests.unit.aws.support import ACCOUNT, client, scenario

TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]}
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/boundary"


def make_role(name: str = "app-runner") -> str:
    role = client("iam").create_role(
        RoleName=name, Path="/app/", AssumeRolePolicyDocument=json.dumps(TRUST),
        Description="runs the app", MaxSessionDuration=7200,
        PermissionsBoundary=BOUNDARY, Tags=[{"Key": "team", "Value": "platform"}])["Role"]
    return str(role["Arn"])


@scenario("aws_iam_role")
def role() -> dict[str, str]:
    iam = client("iam")
    make_role()
    made = iam.get_role(RoleName="app-runner")["Role"]
    iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")  # skipped
    return {"id": "app-runner", "unique_id": made["RoleId"],
            "create_date": made["CreateDate"].strftime("%Y-%m-%dT%H:%M:%SZ")}


@scenario("aws_iam_policy")
def policy() -> dict[str, str]:
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": ["arn:aws:s3:::acme-data", "arn:aws:s3:::acme-data/*"]}]}
    made = client("iam").create_policy(
        PolicyName="read-data", Path="/app/", PolicyDocument=json.dumps(document),
        Description="read the data bucket", Tags=[{"Key": "team", "Value": "data"}])["Policy"]
    return {"id": made["Arn"], "policy_id": made["PolicyId"]}


@scenario("aws_iam_user")
def user() -> dict[str, str]:
    made = client("iam").create_user(UserName="ci-deployer", Path="/ci/",
                                     Tags=[{"Key": "owner", "Value": "ci"}])["User"]
    return {"id": "ci-deployer", "unique_id": made["UserId"]}


@scenario("aws_iam_role_policy_attachment")
def role_policy_attachment() -> dict[str, str]:
    iam = client("iam")
    make_role()
    arn = policy()["id"]
    iam.attach_role_policy(RoleName="app-runner", PolicyArn=arn)
    return {"policy_arn": arn}
