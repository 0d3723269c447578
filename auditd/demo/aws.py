"""The live half of ``driftaudit demo``: an in-process moto AWS account, then drift.

After part 2 applied the Terraform repository, two things happen "in the console" of
the (simulated) account 123456789012: the web security group is deleted and a scratch
bucket is created by hand.  The assets bucket Terraform manages is there as declared.
driftaudit collects the live account and reports the drift: the security group
*missing* (the live collection was complete, so this is a real absence) and the
bucket *unmanaged*.  Needs moto (``pip install 'driftaudit[demo]'``); never any network.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from auditd.render import console, print_drift
from auditd.service import Runtime
from auditd.service.aws import collect_aws
from auditd.service.drift import DriftFilter, current_drift

__all__ = ["moto_available", "run_aws_demo"]

REGION = "eu-west-1"
_DUMMY_ENV = {"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo",
              "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
              "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


def moto_available() -> bool:
    try:
        import moto  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def _simulated_account() -> Iterator[None]:
    """moto's in-process AWS with dummy credentials: real credentials are never used."""
    from moto import mock_aws

    saved = {name: os.environ.get(name) for name in (*_DUMMY_ENV, "AWS_PROFILE")}
    os.environ.update(_DUMMY_ENV)
    os.environ.pop("AWS_PROFILE", None)
    try:
        with mock_aws():
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _console_changes() -> None:
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    where = {"LocationConstraint": REGION}
    s3.create_bucket(Bucket="acme-prod-assets", CreateBucketConfiguration=where)
    s3.put_bucket_tagging(Bucket="acme-prod-assets", Tagging={"TagSet": [
        {"Key": "team", "Value": "web"}, {"Key": "owner", "Value": "platform"}]})
    s3.create_bucket(Bucket="acme-prod-scratch", CreateBucketConfiguration=where)


def run_aws_demo(rt: Runtime) -> None:
    """Collect the simulated account and show the drift against the applied state."""
    console.print("[bold]someone deletes the web security group in the console and creates "
                  "a scratch bucket by hand[/]")
    with _simulated_account():
        _console_changes()
        report = collect_aws(rt)  # the demo's settings name the account's one region
    for collected in report.accounts:
        counts = ", ".join(f"{n} {t}" for t, n in sorted(collected.counts.items())) or "nothing"
        console.print(f"collected {collected.scope} ({', '.join(collected.regions)}): {counts} "
                      f"in {report.seconds:.1f} s; {len(collected.errors)} part(s) incomplete")
    account = report.accounts[0].account if report.accounts else ""
    console.print(f"\n[bold]driftaudit drift --account {account}[/]")
    print_drift(current_drift(rt, flt=DriftFilter(account=account)))
