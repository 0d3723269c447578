"""AWS commands: collect aws, aws iam-policy, aws types.

Thin: options in, :mod:`auditd.service.aws` does the work.  Faults (AccessDenied,
throttling, endpoints) are warnings, not failures: the exit code stays 0 and the
faulty parts are kept as last seen.  The ``--json`` shape is :func:`report_dict`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from auditd.cli import Obj, cli, json_out
from auditd.cli.terraform import collect

if TYPE_CHECKING:
    from auditd.service.aws import AccountReport, AwsReport

__all__ = ["report_dict"]


@collect.command("aws")
@click.option("--profile", help="AWS profile to start from [default: aws.profile]")
@click.option("--account", "accounts", multiple=True, metavar="ID|NAME",
              help="only this configured account (repeatable)")
@click.option("--region", "regions", multiple=True, metavar="REGION",
              help="only this region (repeatable); a partial run deletes nothing")
@click.option("--type", "types", multiple=True, metavar="TF_TYPE",
              help="only this Terraform type (repeatable), e.g. aws_security_group")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.pass_obj
def collect_aws(obj: Obj, profile: str | None, accounts: tuple[str, ...],
                regions: tuple[str, ...], types: tuple[str, ...], as_json: bool) -> None:
    """Collect live AWS resources, keyed as Terraform keys them: one snapshot per account.

    Every enabled region (or aws.regions) and every supported type (or aws.types);
    global services (IAM) once per account.  Parts that fail are warnings and are
    kept as last seen, never reported deleted.
    """
    from auditd import render
    from auditd.service import aws

    rt = obj.runtime()
    report = aws.collect_aws(rt, profile=profile, accounts=accounts, regions=regions,
                             types=types, progress=None if as_json else render.progress_line)
    if as_json:
        json_out(report_dict(report))
    else:
        print_report(report)


@cli.group("aws")
def aws_group() -> None:
    """The live AWS collector: supported types and the IAM policy it needs."""


@aws_group.command("iam-policy")
def aws_iam_policy() -> None:
    """Print the least-privilege IAM policy (JSON) for every supported type."""
    from auditd.service.aws import iam_policy

    click.echo(iam_policy())


@aws_group.command("types")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def aws_types(as_json: bool) -> None:
    """List the supported Terraform resource types."""
    from auditd.service.aws import supported_types

    rows = supported_types()
    if as_json:
        json_out(rows)
        return
    for row in rows:
        scope = "global" if row["global"] else "regional"
        click.echo(f"{row['tf_type']:<40} {row['service']:<10} {scope}")


def report_dict(report: AwsReport) -> dict[str, Any]:
    return {"seconds": round(report.seconds, 3), "partial": report.partial,
            "resources": report.resources, "warnings": list(report.warnings),
            "accounts": [_account_dict(a) for a in report.accounts]}


def _account_dict(a: AccountReport) -> dict[str, Any]:
    from auditd.render.ingest_counts import restated_counts

    result = None if a.result is None else {
        "snapshot_id": a.result.snapshot_id, "resources": a.result.resources,
        "added": a.result.added, "modified": a.result.modified, "removed": a.result.removed,
        "unchanged": a.result.unchanged, "protected": a.result.protected,
        **restated_counts(a.result)}
    errors = [{"kind": e.kind, "message": e.message,
               "selector": None if e.selector is None else {
                   "account": e.selector.account, "region": e.selector.region,
                   "tf_type": e.selector.tf_type}} for e in a.errors]
    return {"label": a.label, "account": a.account, "scope": a.scope,
            "regions": list(a.regions), "counts": dict(a.counts),
            "skipped_managed": a.skipped_managed, "failure": a.failure or None,
            "errors": errors, "result": result}


def print_report(report: AwsReport) -> None:
    from rich.text import Text

    from auditd.render import console

    for account in report.accounts:
        _print_account(account)
    console.print(f"[bold]{report.resources} resources[/] in {len(report.accounts)} account(s), "
                  f"{len(report.warnings)} warning(s), {report.seconds:.1f} s"
                  + (" (partial: nothing outside it is reported deleted)"
                     if report.partial else ""))
    for warning in report.warnings:
        console.print(Text(f"  warning: {warning}", style="yellow"))


def _print_account(a: AccountReport) -> None:
    from auditd.render import console
    from auditd.render.ingest_counts import restated_text

    if a.result is None:
        console.print(f"[bold]{a.label}[/]: not collected")
        return
    r = a.result
    console.print(f"[bold]{a.scope}[/] ({a.label}, {len(a.regions)} region(s)): "
                  f"{r.resources} resources: [green]{r.added} added[/], "
                  f"[yellow]{r.modified} modified[/], [red]{r.removed} removed[/]"
                  + (f", {restated_text(r)}" if r.restated else "")
                  + (f", [bold]{r.protected} kept unseen[/]" if r.protected else ""))
    for tf_type, count in a.counts.items():
        console.print(f"  {tf_type:<40} {count:>6}")
    if a.skipped_managed:
        console.print(f"  ({a.skipped_managed} AWS-managed defaults skipped; set aws.strict "
                      "to collect them)")
