"""Review commands: unreviewed (changes without an independent review), review approve|show.

A change is named by its store id: ``driftaudit unreviewed`` and ``driftaudit changes``
print it as ``#N`` (``"id"`` in their ``--json``).
"""

from __future__ import annotations

from pathlib import Path

import click

from auditd.cli import Obj, cli, json_out, parse_time

rules_option = click.option(
    "--rules", "rules_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
    help="rule pack folder whose review rules apply (repeatable) "
         "[default: installed packs and /etc/driftaudit/rules.d]")


def _rule_dirs(paths: tuple[Path, ...]) -> list[Path] | None:
    return list(paths) or None


@cli.command()
@click.option("--since", metavar="TIME", default="7d", show_default=True,
              help="ISO-8601, 'now', or a duration back (2h, 7d)")
@click.option("--include-baseline", is_flag=True,
              help="also list the changes of each scope's first snapshot (status baseline)")
@rules_option
@click.option("--json", "as_json", is_flag=True, help="print JSON (a list of changes)")
@click.pass_obj
def unreviewed(obj: Obj, since: str, include_baseline: bool, rules_dirs: tuple[Path, ...],
               as_json: bool) -> None:
    """Changes that were not independently reviewed, oldest first (exit code 0 always).

    Statuses: self-approved, unreviewed (fewer approvals than the review rules require),
    out-of-band (a live change by a non-deploy principal that no Terraform apply covers),
    emergency-pending and emergency-overdue (a break-glass commit without a retro-review
    inside the window), baseline (only with --include-baseline).  The #N is the change id
    for `driftaudit review show|approve`.
    """
    from auditd.render import review as render_review
    from auditd.rules.review_status import ReviewState
    from auditd.service.review import unreviewed_changes

    found = unreviewed_changes(obj.runtime(), parse_time(since, "--since"),
                               rule_dirs=_rule_dirs(rules_dirs), include_baseline=True)
    shown = [(c, s) for c, s in found
             if include_baseline or s.state is not ReviewState.BASELINE]
    if as_json:
        json_out([render_review.review_dict(c, s) for c, s in shown])
        return
    render_review.print_unreviewed(shown, hidden_baseline=len(found) - len(shown))


@cli.group()
def review() -> None:
    """Review of one change: show its status and evidence, or record an approval."""


@review.command("show")
@click.argument("change_id", metavar="CHANGE", type=int)
@rules_option
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def review_show(obj: Obj, change_id: int, rules_dirs: tuple[Path, ...], as_json: bool) -> None:
    """The review status of change CHANGE (its id, #N in `unreviewed`/`changes`) and why:
    git approvals, recorded approvals, and the review rules that demand them."""
    from auditd.render import review as render_review
    from auditd.service.review import change_review

    change, status = change_review(obj.runtime(), change_id, rule_dirs=_rule_dirs(rules_dirs))
    if as_json:
        json_out(render_review.review_dict(change, status))
    else:
        render_review.print_review(change, status)


@review.command("approve")
@click.argument("change_id", metavar="CHANGE", type=int)
@click.option("--by", "approver", required=True, metavar="NAME",
              help="who approves: an email, a name, or an IAM principal")
@click.option("--reason", required=True, metavar="TEXT", help="why it is approved")
@rules_option
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def review_approve(obj: Obj, change_id: int, approver: str, reason: str,
                   rules_dirs: tuple[Path, ...], as_json: bool) -> None:
    """Record NAME's approval of change CHANGE (a retro-review for an emergency change).

    CHANGE is the change id: #N in `driftaudit unreviewed` or `driftaudit changes`.

    Refused (exit code 2) when NAME is the change's author in any stored form (git email or
    name, principal ARN, role session name), when NAME already approved it, or when CHANGE
    is not a stored change id.
    """
    from auditd.render import review as render_review
    from auditd.service.review import approve_change

    done = approve_change(obj.runtime(), change_id, approver, reason,
                          recorded_by=_operator(), rule_dirs=_rule_dirs(rules_dirs))
    if as_json:
        json_out({"approval": render_review.approval_dict(done.approval),
                  "review": render_review.review_dict(done.change, done.status)})
    else:
        render_review.print_approved(done.approval, done.change, done.status)


def _operator() -> str:
    """The local user running the command, kept with the approval as ``recorded_by``."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
