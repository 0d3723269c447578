"""The responder's commands: events ingest, incidents add/ingest/list, suspects."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditd.cli import EXIT_ERROR, Obj, cli, json_out, parse_time

if TYPE_CHECKING:
    pass

import sys


@cli.group()
def events() -> None:
    """Change events from other tools: deploys, config pushes, flags, migrations."""


@events.command("ingest")
@click.argument("file")
@click.option("--source", default="cli", show_default=True,
              help="source name for events that do not carry one (ids are unique per source)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def events_ingest(obj: Obj, file: str, source: str, as_json: bool) -> None:
    """Store change events from FILE (``-`` for stdin): JSON, a JSON array or NDJSON.

    Accepts driftaudit's schema, PagerDuty Events v2 change events and Datadog change
    events. A bad event is reported (exit 2) and the others are still stored.
    """
    from auditd import render
    from auditd.service import correlation

    outcome = correlation.ingest_events(obj.runtime(), _read_input(file), source=source)
    if as_json:
        json_out(render.events_outcome_dict(outcome))
    else:
        render.print_events_outcome(outcome)
    if any(p.severity == "error" for p in outcome.problems):
        raise click.exceptions.Exit(EXIT_ERROR)


def _read_input(file: str) -> bytes:
    from auditd.errors import InputError

    try:
        return sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror}") from None


@cli.group()
def incidents() -> None:
    """Incidents: added by hand or from Alertmanager / PagerDuty webhook payloads."""


@incidents.command("add")
@click.option("--id", "incident_id", required=True, help="your incident id, e.g. INC-1042")
@click.option("--onset", required=True, metavar="TIME", help="when it started (ISO-8601 or 2h)")
@click.option("--service", "services", multiple=True, help="affected service (repeatable)")
@click.option("--severity", default="", help="e.g. critical")
@click.option("--title", default="", help="one line: what is broken")
@click.pass_obj
def incidents_add(obj: Obj, incident_id: str, onset: str, services: tuple[str, ...],
                  severity: str, title: str) -> None:
    """Record an incident (again with the same id: updated, not duplicated)."""
    from auditd.model import Incident
    from auditd.service import correlation

    moment = parse_time(onset, "--onset")
    assert moment is not None
    incident = Incident(id=incident_id, onset=moment, services=services, severity=severity,
                        title=title, source="cli")
    new = correlation.add_incident(obj.runtime(), incident)
    click.echo(f"incident {incident_id} {'recorded' if new else 'updated'}")


@incidents.command("ingest")
@click.argument("file")
@click.pass_obj
def incidents_ingest(obj: Obj, file: str) -> None:
    """Record an incident from a webhook payload FILE (``-``: stdin).

    Alertmanager (version 4: onset = earliest firing startsAt), PagerDuty v3
    incident.triggered, or driftaudit's own incident JSON.
    """
    from auditd.service import correlation

    incident, new = correlation.ingest_incident(obj.runtime(), _read_input(file), source=file)
    click.echo(f"incident {incident.id} ({', '.join(incident.services) or 'no service'}, onset "
               f"{incident.onset.isoformat()}) {'recorded' if new else 'updated'}")


@incidents.command("list")
@click.option("--since", metavar="TIME")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def incidents_list(obj: Obj, since: str | None, as_json: bool) -> None:
    """Recorded incidents, oldest first."""
    from auditd import render

    found = obj.runtime().store.incidents(parse_time(since, "--since"))
    if as_json:
        json_out([render.incident_dict(i) for i in found])
    else:
        render.print_incidents(found)


@cli.command()
@click.argument("incident_id", metavar="INCIDENT")
@click.option("--window", metavar="DURATION", help="how far back from the onset [default: 6h]")
@click.option("--json", "as_json", is_flag=True,
              help="print the driftaudit.suspects/v1 document (docs/correlation.md)")
@click.pass_obj
def suspects(obj: Obj, incident_id: str, window: str | None, as_json: bool) -> None:
    """Which changes preceded INCIDENT, most likely cause first, with evidence."""
    from auditd import render
    from auditd.errors import QueryError
    from auditd.service import correlation
    from auditd.timeutil import parse_duration

    try:
        span = parse_duration(window) if window else None
    except ValueError as exc:
        raise QueryError(f"--window: {exc}") from None
    report = correlation.suspects(obj.runtime(), incident_id, window=span)
    if as_json:
        json_out(report.to_dict())
    else:
        render.print_suspects(report.to_dict())
