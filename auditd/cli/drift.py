"""Drift commands: drift (exit 0 in sync, 1 drift found, 2 error), its lifecycle
(drift ack, accept, history) and coverage."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from auditd.cli import Obj, cli, json_out

if TYPE_CHECKING:
    from datetime import datetime

    from auditd.store.findings import StoredFinding

SEVERITIES = ["critical", "high", "medium", "low", "info"]
STATUSES = ["open", "acknowledged", "accepted", "resolved"]  # auditd.store.findings
EXIT_DRIFT = 1


def _rule_dirs(paths: tuple[Path, ...]) -> list[Path] | None:
    return list(paths) or None


@cli.group(invoke_without_command=True)
@click.option("--account", help="only findings in this AWS account")
@click.option("--type", "tf_type", metavar="TF_TYPE", help="only this Terraform type")
@click.option("--severity", type=click.Choice(SEVERITIES), help="minimum severity shown")
@click.option("--status", type=click.Choice(STATUSES),
              help="only findings in this lifecycle status (resolved: the stored ones)")
@click.option("--rules", "rules_dirs", multiple=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="rule pack folder (repeatable) [default: installed packs and "
                   "/etc/driftaudit/rules.d]")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_context
def drift(ctx: click.Context, account: str | None, tf_type: str | None, severity: str | None,
          status: str | None, rules_dirs: tuple[Path, ...], as_json: bool) -> None:
    """Drift of the stored estate: unmanaged, missing, changed, unapplied, rated by the rules.

    Every run evaluates the whole store and records the finding lifecycle (new findings
    open, gone ones resolve, expired acceptances reopen); the options only choose what is
    shown.  Exit code 0 when in sync, 1 when drift is found (suppressed and accepted
    findings do not count), 2 on error.  Subcommands: ack, accept, history.
    """
    if ctx.invoked_subcommand is not None:
        return
    from auditd import render
    from auditd.service.drift import DriftFilter, current_drift

    obj: Obj = ctx.obj
    flt = DriftFilter(account=account, tf_type=tf_type, min_severity=severity, status=status)
    outcome = current_drift(obj.runtime(), rule_dirs=_rule_dirs(rules_dirs), flt=flt,
                            record=True)
    for warning in outcome.notices.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        json_out(render.drift_outcome_dict(outcome))
    else:
        render.print_drift(outcome)
    if not outcome.in_sync:
        raise click.exceptions.Exit(EXIT_DRIFT)


def _parse_expiry(value: str | None) -> datetime | None:
    """ISO-8601, or a duration *forward* from now (``30d``, ``12h``, ``2w``)."""
    if value is None:
        return None
    from auditd.errors import QueryError
    from auditd.service import now_utc
    from auditd.timeutil import parse_duration, parse_time

    now = now_utc()
    try:
        return now + parse_duration(value.strip().removeprefix("+"))
    except (ValueError, OverflowError):
        pass
    try:
        if value.strip().lower() == "now":
            raise ValueError("'now' has already expired")
        return parse_time(value, now)
    except ValueError as exc:
        raise QueryError(f"--expires: {exc}") from None


@drift.command("ack")
@click.argument("finding_id", metavar="ID", type=int)
@click.option("--by", required=True, help="who acknowledges it")
@click.option("--reason", default="", help="why / what is being done")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def drift_ack(obj: Obj, finding_id: int, by: str, reason: str, as_json: bool) -> None:
    """Acknowledge an open finding (it still counts as drift)."""
    from auditd import render
    from auditd.service import now_utc

    found = obj.runtime().store.acknowledge_finding(finding_id, by, reason, now_utc())
    _print_finding(found, as_json, render)


@drift.command("accept")
@click.argument("finding_id", metavar="ID", type=int)
@click.option("--by", required=True, help="owner of the acceptance")
@click.option("--reason", required=True, help="why this drift is accepted")
@click.option("--expires", metavar="TIME",
              help="when the acceptance ends: ISO-8601 or a duration forward (30d, 12h)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def drift_accept(obj: Obj, finding_id: int, by: str, reason: str, expires: str | None,
                 as_json: bool) -> None:
    """Accept a finding: shown, but no longer exit code 1, until it expires (then it reopens)."""
    from auditd import render
    from auditd.service import now_utc

    found = obj.runtime().store.accept_finding(finding_id, by, reason, _parse_expiry(expires),
                                               now_utc())
    _print_finding(found, as_json, render)


@drift.command("history")
@click.argument("finding_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def drift_history(obj: Obj, finding_id: int, as_json: bool) -> None:
    """A finding and every transition of its lifecycle, oldest first."""
    from auditd import render

    store = obj.runtime().store
    transitions = store.finding_history(finding_id)
    found = store.finding(finding_id)
    assert found is not None  # finding_history raised otherwise
    if as_json:
        json_out({"finding": render.stored_finding_dict(found),
                  "transitions": [render.transition_dict(t) for t in transitions]})
    else:
        render.print_finding_history(found, transitions)


def _print_finding(found: StoredFinding, as_json: bool, render: Any) -> None:
    if as_json:
        json_out(render.stored_finding_dict(found))
    else:
        render.print_stored_finding(found)


@cli.command()
@click.option("--account", help="only resources of this AWS account")
@click.option("--type", "tf_type", metavar="TF_TYPE", help="only this Terraform type")
@click.option("--rules", "rules_dirs", multiple=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="rule pack folder (repeatable), as for drift")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def coverage(obj: Obj, account: str | None, tf_type: str | None, rules_dirs: tuple[Path, ...],
             as_json: bool) -> None:
    """IaC coverage: managed / total live resources, overall and per account, region, type."""
    from auditd import render
    from auditd.service.drift import DriftFilter, current_drift

    outcome = current_drift(obj.runtime(), rule_dirs=_rule_dirs(rules_dirs),
                            flt=DriftFilter(account=account, tf_type=tf_type))
    if as_json:
        json_out(render.coverage_dict(outcome.coverage))
    else:
        render.print_coverage(outcome.coverage)
