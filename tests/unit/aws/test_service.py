"""collect_aws end to end on moto: one snapshot per account, faults kept, partial runs safe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from auditd.collectors.aws._session import AccountTarget
from auditd.config import AwsSettings, Settings
from auditd.errors import ConfigError
from auditd.service import Runtime
from auditd.service.aws import collect_aws
from tests.unit.aws.faulty import FaultyClients
from tests.unit.aws.scenarios_iam import make_role
from tests.unit.aws.scenarios_network import make_vpc
from tests.unit.aws.support import ACCOUNT, client

WEST, NORTH = "eu-west-1", "eu-north-1"
TYPES = ["aws_vpc", "aws_sqs_queue", "aws_iam_role"]


@pytest.fixture
def runtime(tmp_path: Path, mocked: None) -> Iterator[Runtime]:
    settings = Settings(state_dir=tmp_path, aws=AwsSettings(region=WEST, regions=[WEST, NORTH],
                                                            types=TYPES, max_workers=4))
    rt = Runtime(settings)
    yield rt
    rt.close()


@pytest.fixture
def estate(runtime: Runtime) -> None:
    for region in (WEST, NORTH):
        make_vpc(client("ec2", region))
        client("sqs", region).create_queue(QueueName=f"jobs-{region}")
    make_role()


def test_collects_every_region_and_global_types_once(runtime: Runtime, estate: None) -> None:
    lines: list[str] = []
    report = collect_aws(runtime, progress=lines.append)
    (account,) = report.accounts
    assert account.scope == f"aws/{ACCOUNT}" and account.regions == (WEST, NORTH)
    assert account.counts == {"aws_iam_role": 1, "aws_sqs_queue": 2, "aws_vpc": 2}
    assert account.skipped_managed == 2  # the default VPC of each region
    assert report.warnings == () and account.result is not None and account.result.added == 5
    assert any(f"{NORTH} sqs aws_sqs_queue: 1" in line for line in lines)
    assert sum("aws_iam_role" in line for line in lines) == 1


def test_access_denied_is_a_warning_and_deletes_nothing(runtime: Runtime, estate: None) -> None:
    collect_aws(runtime)
    faulty = FaultyClients(deny=frozenset({("sqs", NORTH)}))
    report = collect_aws(runtime, opener=lambda _target: faulty)
    (account,) = report.accounts
    assert account.result is not None
    assert (account.result.removed, account.result.protected) == (0, 1)
    assert len(report.warnings) == 1 and "aws_sqs_queue" in report.warnings[0]
    assert account.errors[0].kind == "access-denied"


def test_a_partial_run_never_deletes_outside_itself(runtime: Runtime, estate: None) -> None:
    collect_aws(runtime)
    by_region = collect_aws(runtime, regions=[WEST])
    assert by_region.partial and by_region.accounts[0].result is not None
    assert by_region.accounts[0].result.removed == 0
    by_type = collect_aws(runtime, types=["aws_vpc"])
    result = by_type.accounts[0].result
    assert result is not None and (result.removed, result.unchanged) == (0, 2)


def test_an_account_that_cannot_be_opened_keeps_everything(runtime: Runtime,
                                                          estate: None) -> None:
    collect_aws(runtime)

    def broken(_target: AccountTarget) -> FaultyClients:
        raise RuntimeError("role chain broken")

    runtime.settings.aws.accounts = []
    report = collect_aws(runtime, accounts=[ACCOUNT], opener=broken)
    (account,) = report.accounts
    assert "role chain broken" in account.failure
    assert account.result is not None and account.result.removed == 0
    assert account.result.protected == 5


def test_unknown_type_or_account_is_a_config_error(runtime: Runtime) -> None:
    with pytest.raises(ConfigError, match="aws_nope"):
        collect_aws(runtime, types=["aws_nope"])
    with pytest.raises(ConfigError, match="several accounts"):
        collect_aws(runtime, accounts=["111111111111", "222222222222"])
