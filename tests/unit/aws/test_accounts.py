"""Reaching accounts: assumed-role sessions that refresh, and AWS Organizations discovery.

All on moto: roles are assumed through its STS, and an assumed role's requests land
in the role's account, so several accounts of one Organization can be collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditd.collectors.aws._session import AccountTarget, open_account
from auditd.config import AwsOrganization, AwsSettings, Settings
from auditd.service import Runtime
from auditd.service.aws import collect_aws
from tests.unit.aws.faulty import FaultyClients
from tests.unit.aws.support import ACCOUNT, REGION

TYPES = ["aws_sqs_queue"]


def _role(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def _as_role(account: str, name: str = "OrganizationAccountAccessRole") -> Any:
    """A boto3 session acting in ``account`` (through moto's STS)."""
    answer = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=_role(account, name), RoleSessionName="setup")["Credentials"]
    return boto3.session.Session(aws_access_key_id=answer["AccessKeyId"],
                                 aws_secret_access_key=answer["SecretAccessKey"],
                                 aws_session_token=answer["SessionToken"], region_name=REGION)


def test_an_assumed_role_session_renews_its_credentials_before_they_expire(
        mocked: None) -> None:
    # 900 s is inside botocore's 15-minute refresh margin: every use renews them, as
    # a long collection does once its role session nears its end.
    target = AccountTarget(role_arns=(_role("210987654321", "reader"),), duration_seconds=900)
    clients = open_account(target, home_region=REGION)
    sts = clients.client("sts", REGION)
    first = sts.get_caller_identity()
    credentials = clients._session.get_credentials()
    keys = {credentials.get_frozen_credentials().access_key for _ in range(3)}
    second = sts.get_caller_identity()
    assert len(keys) == 3, "expiring credentials were not renewed"
    assert first["Account"] == second["Account"] == "210987654321"
    assert ":assumed-role/reader/driftaudit" in second["Arn"]


def test_each_hop_of_a_role_chain_is_assumed_from_the_previous_one(mocked: None) -> None:
    target = AccountTarget(role_arns=(_role("111111111111", "hub"),
                                      _role("222222222222", "reader")),
                           external_id="ext-1", session_name="audit")
    identity = open_account(target, home_region=REGION).client(
        "sts", REGION).get_caller_identity()
    assert identity["Account"] == "222222222222"
    assert identity["Arn"].endswith(":assumed-role/reader/audit")


@pytest.fixture
def organization(mocked: None) -> dict[str, str]:
    """An Organization with the moto account as management account and three members,
    one of them closed (SUSPENDED); one queue in every active account."""
    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    members = {}
    for name in ("prod", "staging", "closed"):
        status = orgs.create_account(AccountName=name, Email=f"{name}@example.com")
        members[name] = status["CreateAccountStatus"]["AccountId"]
    orgs.close_account(AccountId=members["closed"])
    boto3.client("sqs", region_name=REGION).create_queue(QueueName="mgmt-jobs")
    for name in ("prod", "staging"):
        _as_role(members[name]).client("sqs").create_queue(QueueName=f"{name}-jobs")
    return members


@pytest.fixture
def runtime(tmp_path: Path, organization: dict[str, str]) -> Iterator[Runtime]:
    settings = Settings(state_dir=tmp_path, aws=AwsSettings(
        region=REGION, regions=[REGION], types=TYPES, max_workers=4,
        organization=AwsOrganization(enabled=True)))
    rt = Runtime(settings)
    yield rt
    rt.close()


def _queues(rt: Runtime, account: str) -> list[str]:
    return sorted(r.key.id.rsplit("/", 1)[-1] for r in rt.store.scope_state(f"aws/{account}"))


def test_every_active_account_of_the_organization_is_collected(
        runtime: Runtime, organization: dict[str, str]) -> None:
    lines: list[str] = []
    report = collect_aws(runtime, progress=lines.append)
    collected = {a.account: a.counts for a in report.accounts}
    assert collected == {ACCOUNT: {"aws_sqs_queue": 1},
                         organization["prod"]: {"aws_sqs_queue": 1},
                         organization["staging"]: {"aws_sqs_queue": 1}}
    assert organization["closed"] not in collected  # suspended accounts are left out
    assert report.warnings == ()
    assert _queues(runtime, organization["prod"]) == ["prod-jobs"]
    assert any("4 account(s), 3 to collect" in line for line in lines)


def test_excluded_accounts_are_left_out_and_account_selects_one(
        runtime: Runtime, organization: dict[str, str]) -> None:
    runtime.settings.aws.organization.exclude = ["staging"]  # by name; ids work too
    report = collect_aws(runtime)
    assert {a.account for a in report.accounts} == {ACCOUNT, organization["prod"]}
    selected = collect_aws(runtime, accounts=[organization["prod"]])
    assert [(a.label, a.account) for a in selected.accounts] == [("prod",
                                                                  organization["prod"])]


@pytest.mark.parametrize("fault", ["denied", "no-organization"])
def test_a_failed_discovery_is_a_warning_and_configured_accounts_still_run(
        tmp_path: Path, mocked: None, fault: str) -> None:
    boto3.client("sqs", region_name=REGION).create_queue(QueueName="solo")
    settings = Settings(state_dir=tmp_path, aws=AwsSettings(
        region=REGION, regions=[REGION], types=TYPES,
        organization=AwsOrganization(enabled=True)))
    denied = FaultyClients(deny=frozenset({("organizations", REGION)}))
    rt = Runtime(settings)
    try:
        report = collect_aws(rt, opener=(lambda _t: denied) if fault == "denied" else None)
        assert [a.account for a in report.accounts] == [ACCOUNT]
        assert report.accounts[0].counts == {"aws_sqs_queue": 1}
        (warning,) = report.warnings
        expected = "management account" if fault == "denied" else "lists no accounts"
        assert expected in warning
    finally:
        rt.close()
