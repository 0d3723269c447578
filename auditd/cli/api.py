"""API commands: serve (the daemon: schedule and HTTP API) and token create/list/revoke.

FastAPI and uvicorn are imported inside ``serve`` only, so ``driftaudit --help`` stays fast.
``token create`` prints the token once; the store keeps only its SHA-256.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from auditd.cli import Obj, cli, json_out
from auditd.timeutil import iso_utc

if TYPE_CHECKING:
    from auditd.store import TokenRecord

ROLE_NAMES = ["viewer", "responder", "ingest", "auditor", "admin"]  # auditd.service.tokens


@cli.command()
@click.option("--host", metavar="ADDRESS", help="address to listen on [default: api.host, "
                                                 "127.0.0.1]")
@click.option("--port", type=click.IntRange(0, 65535), help="TCP port [default: api.port, 8080]")
@click.option("--no-schedule", is_flag=True,
              help="only the API: no scheduled collection, watching or checkpoints")
@click.pass_obj
def serve(obj: Obj, host: str | None, port: int | None, no_schedule: bool) -> None:
    """Run the daemon: the schedule of [daemon] (collection, drift, audit checkpoints, file
    watching) and the HTTP API, until SIGTERM or SIGINT (then finish and exit 0).

    Every route but /healthz needs a token (`driftaudit token create`); see docs/api.md and
    docs/operations.md.  One log line per request and per job run goes to stderr.
    """
    from auditd.api.server import bind
    from auditd.api.server import serve as run
    from auditd.daemon import Daemon
    from auditd.errors import ConfigError

    rt = obj.runtime()
    settings = rt.settings.api
    address, number = host or settings.host, settings.port if port is None else port
    try:
        sock = bind(address, number)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {address}:{number}: {exc.strerror or exc}",
                          hint="choose another --port, or stop what holds it") from None
    bound = sock.getsockname()
    click.echo(f"driftaudit API on http://{address}:{bound[1]} (store {rt.store.display_url})",
               err=True)
    run(rt, sock, companions=() if no_schedule else (Daemon(rt),))


@cli.group()
def token() -> None:
    """API tokens: create (shown once), list, revoke."""


@token.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLE_NAMES), required=True,
              help="viewer, auditor: read · responder: + incidents, suspects · "
                   "ingest: POST changes, incidents, webhooks only · admin: everything")
@click.option("--expires", metavar="DURATION", help="lifetime, e.g. 90d [default: never]")
@click.option("--by", "created_by", default="", help="who creates it (kept with the token)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def token_create(obj: Obj, name: str, role: str, expires: str | None, created_by: str,
                 as_json: bool) -> None:
    """Create token NAME for ROLE and print it once (only its SHA-256 is stored)."""
    from auditd.errors import QueryError
    from auditd.service.tokens import create_token
    from auditd.timeutil import parse_duration

    try:
        lifetime = parse_duration(expires) if expires else None
    except ValueError as exc:
        raise QueryError(f"--expires: {exc}") from None
    created = create_token(obj.runtime(), name, role, expires_in=lifetime,
                           created_by=created_by)
    if as_json:
        json_out({**_record_dict(created.record), "token": created.secret})
        return
    click.echo(created.secret)
    click.echo(f"token {name!r} ({role}) created; it is shown only now: keep it in a secret "
               "store", err=True)


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def token_list(obj: Obj, as_json: bool) -> None:
    """Every token: name, role, prefix, state (never the token itself)."""
    from auditd.service import now_utc
    from auditd.service.tokens import list_tokens

    found = list_tokens(obj.runtime())
    if as_json:
        json_out([_record_dict(r) for r in found])
        return
    now = now_utc()
    for r in found:
        state = "revoked" if r.revoked_at else ("expired" if not r.usable(now) else "active")
        click.echo(f"{r.name:<24} {r.role:<10} {r.prefix:<12} {state:<8} "
                   f"created {iso_utc(r.created_at)}  expires {iso_utc(r.expires_at) or 'never'}  "
                   f"last used {iso_utc(r.last_used_at) or 'never'}")
    click.echo(f"{len(found)} token(s)")


@token.command("revoke")
@click.argument("name")
@click.pass_obj
def token_revoke(obj: Obj, name: str) -> None:
    """Revoke token NAME at once (its row and name are kept for the record)."""
    from auditd.service.tokens import revoke_token

    record = revoke_token(obj.runtime(), name)
    click.echo(f"token {record.name!r} revoked at {iso_utc(record.revoked_at)}")




def _record_dict(r: TokenRecord) -> dict[str, Any]:
    return {"name": r.name, "role": r.role, "prefix": r.prefix,
            "created_at": iso_utc(r.created_at), "created_by": r.created_by,
            "expires_at": iso_utc(r.expires_at), "revoked_at": iso_utc(r.revoked_at),
            "last_used_at": iso_utc(r.last_used_at)}
