"""Review commands: unreviewed (changes without an independent review)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from auditd.cli import Obj, cli, json_out, parse_time

if TYPE_CHECKING:
    from auditd.model import Change
    from auditd.rules.review_status import ReviewStatus


@cli.command()
@click.option("--since", metavar="TIME", default="7d", show_default=True,
              help="ISO-8601, 'now', or a duration back (2h, 7d)")
@click.option("--json", "as_json", is_flag=True, help="print JSON (a list of changes)")
@click.pass_obj
def unreviewed(obj: Obj, since: str, as_json: bool) -> None:
    """Changes that were not independently reviewed, oldest first (exit code 0 always).

    Statuses: self-approved, unreviewed, out-of-band (a live change by a non-deploy
    principal that no Terraform apply covers), emergency-pending and emergency-overdue
    (a break-glass commit without a retro-review inside [review].emergency_window).
    """
    from auditd.service.review import unreviewed_changes

    found = unreviewed_changes(obj.runtime(), parse_time(since, "--since"))
    if as_json:
        json_out([_change_dict(c, s) for c, s in found])
        return
    for change, status in found:
        when = change.observed_at.isoformat().replace("+00:00", "Z")
        click.echo(f"{status.state:<18} {when}  {change.address or change.key}  "
                   f"{change.actor or '-'}  {status.reason}")
    click.echo(f"{len(found)} change(s) without an independent review")


def _change_dict(change: Change, status: ReviewStatus) -> dict[str, Any]:
    git = change.provenance.get("git")
    commit = git.get("commit") if isinstance(git, dict) else None
    return {
        "status": str(status.state), "reason": status.reason,
        "due": status.due.isoformat() if status.due else None,
        "id": change.id, "observed_at": change.observed_at.isoformat(),
        "key": str(change.key), "address": change.address, "origin": str(change.origin),
        "kind": str(change.kind), "scope": change.scope, "actor": change.actor,
        "via": change.via, "commit": commit,
    }
