"""Drift commands: drift (exit 0 in sync, 1 drift found, 2 error) and coverage."""

from __future__ import annotations

from pathlib import Path

import click

from auditd.cli import Obj, cli, json_out

SEVERITIES = ["critical", "high", "medium", "low", "info"]
EXIT_DRIFT = 1


def _rule_dirs(paths: tuple[Path, ...]) -> list[Path] | None:
    return list(paths) or None


@cli.command()
@click.option("--account", help="only findings in this AWS account")
@click.option("--type", "tf_type", metavar="TF_TYPE", help="only this Terraform type")
@click.option("--severity", type=click.Choice(SEVERITIES), help="minimum severity shown")
@click.option("--status", type=click.Choice(["open"]),
              help="only findings in this status (only 'open' exists so far)")
@click.option("--rules", "rules_dirs", multiple=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="rule pack folder (repeatable) [default: installed packs and "
                   "/etc/driftaudit/rules.d]")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def drift(obj: Obj, account: str | None, tf_type: str | None, severity: str | None,
          status: str | None, rules_dirs: tuple[Path, ...], as_json: bool) -> None:
    """Drift of the stored estate: unmanaged, missing, changed, unapplied, rated by the rules.

    Exit code 0 when in sync, 1 when drift is found (suppressed findings do not count),
    2 on error.
    """
    from auditd import render
    from auditd.service.drift import DriftFilter, current_drift

    flt = DriftFilter(account=account, tf_type=tf_type, min_severity=severity, status=status)
    outcome = current_drift(obj.runtime(), rule_dirs=_rule_dirs(rules_dirs), flt=flt)
    if as_json:
        json_out(render.drift_outcome_dict(outcome))
    else:
        render.print_drift(outcome)
    if not outcome.in_sync:
        raise click.exceptions.Exit(EXIT_DRIFT)


@cli.command()
@click.option("--rules", "rules_dirs", multiple=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="rule pack folder (repeatable), as for drift")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def coverage(obj: Obj, rules_dirs: tuple[Path, ...], as_json: bool) -> None:
    """IaC coverage: managed / total live resources, overall and per account, region, type."""
    from auditd import render
    from auditd.service.drift import current_drift

    outcome = current_drift(obj.runtime(), rule_dirs=_rule_dirs(rules_dirs))
    if as_json:
        json_out(render.coverage_dict(outcome.coverage))
    else:
        render.print_coverage(outcome.coverage)
