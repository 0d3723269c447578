"""Audit evidence commands: ``audit checkpoint|verify|public-key`` and ``export
changes|verify``.

Thin: :mod:`auditd.service.audit` does the work.  ``verify`` commands exit 1 when they
find a problem (tampering, a bad signature, a missing file), 2 on an error.
"""

from __future__ import annotations

from pathlib import Path

import click

from auditd.cli import Obj, cli, json_out, parse_time

__all__: list[str] = []

EXIT_PROBLEMS = 1


@cli.group("audit")
def audit_group() -> None:
    """Tamper evidence: signed checkpoints of the store's hash chains."""


@audit_group.command("checkpoint")
@click.pass_obj
def audit_checkpoint(obj: Obj) -> None:
    """Sign a checkpoint of every change, approval and drift transition so far.

    `driftaudit serve` does this hourly ([daemon] checkpoint_interval).
    """
    from auditd.service.audit import make_checkpoint

    made = make_checkpoint(obj.runtime())
    if made is None:
        click.echo("nothing new since the last checkpoint")
        return
    covered = ", ".join(f"{name} {head['count']}" for name, head in sorted(made.heads.items()))
    click.echo(f"checkpoint {made.seq}: {made.chain_hash} (covers {covered})")


@audit_group.command("verify")
@click.option("--public-key", "public_keys", multiple=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="also trust this public key (PEM), e.g. one used before a key rotation")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def audit_verify(obj: Obj, public_keys: tuple[Path, ...], as_json: bool) -> None:
    """Recompute every hash chain from the first row and check every checkpoint."""
    from auditd.service.audit import audit_signer, verify_audit

    rt = obj.runtime()
    report = verify_audit(rt, [p.read_text() for p in public_keys])
    if as_json:
        json_out({"ok": report.ok, "checkpoints": report.checkpoints,
                  "verified_rows": report.verified_rows,
                  "not_checkpointed_rows": report.unchecked_rows,
                  "problems": report.problems})
    else:
        verified = ", ".join(f"{n} {c}" for n, c in sorted(report.verified_rows.items()))
        pending = sum(report.unchecked_rows.values())
        click.echo(f"{report.checkpoints} checkpoint(s); verified rows: {verified}; "
                   f"{pending} row(s) newer than the last checkpoint")
        for problem in report.problems:
            click.echo(f"PROBLEM: {problem}", err=True)
        if any("signed by unknown key" in p for p in report.problems):
            click.echo(f"hint: this installation signs with key {audit_signer(rt).key_id} "
                       f"({rt.settings.audit_key_path}); run with the signing installation's "
                       "state directory or audit_key_file, or pass its public key with "
                       "--public-key", err=True)
        click.echo("OK: no tampering found" if report.ok else "TAMPERING OR DAMAGE FOUND")
    if not report.ok:
        raise click.exceptions.Exit(EXIT_PROBLEMS)


@audit_group.command("public-key")
@click.pass_obj
def audit_public_key(obj: Obj) -> None:
    """Print the public key (PEM) that verifies checkpoints and exports: give it to auditors."""
    from auditd.service.audit import audit_signer

    click.echo(audit_signer(obj.runtime()).public_pem(), nl=False)


@cli.group("export")
def export_group() -> None:
    """Change reports for auditors, with signed evidence."""


@export_group.command("changes")
@click.option("--out", "folder", required=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="a new (or empty) folder for the report")
@click.option("--since", metavar="TIME", help="changes observed from TIME (ISO-8601 or 30d)")
@click.option("--until", metavar="TIME", help="changes observed up to TIME")
@click.option("--account", "accounts", multiple=True, help="only this account (repeatable)")
@click.option("--type", "types", multiple=True, metavar="TF_TYPE",
              help="only this Terraform type (repeatable)")
@click.option("--format", "formats", multiple=True, type=click.Choice(["json", "csv", "html"]),
              help="file formats [default: all three]")
@click.pass_obj
def export_changes(obj: Obj, folder: Path, since: str | None, until: str | None,
                   accounts: tuple[str, ...], types: tuple[str, ...],
                   formats: tuple[str, ...]) -> None:
    """Every change in the window with its actor, review status and approvals, as JSON,
    CSV and HTML, plus manifest.json (SHA-256 of each file) signed in manifest.sig."""
    from auditd import render
    from auditd.service.audit import FORMATS, ExportQuery
    from auditd.service.audit import export_changes as run

    query = ExportQuery(parse_time(since, "--since"), parse_time(until, "--until"),
                        accounts, types)
    report = run(obj.runtime(), folder, query, formats=formats or FORMATS,
                 progress=render.progress_line)
    seq = "none" if report.checkpoint_seq is None else str(report.checkpoint_seq)
    click.echo(f"{report.rows} change(s) exported to {report.folder}: "
               f"{', '.join(report.files)}, manifest.json, manifest.sig "
               f"(audit checkpoint {seq})")


@export_group.command("verify")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--public-key", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="the trusted public key (from `driftaudit audit public-key`)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def export_verify(folder: Path, public_key: Path | None, as_json: bool) -> None:
    """Check an export's signature and every file's SHA-256 (no store needed)."""
    from auditd.export import verify_export

    check = verify_export(folder, public_key.read_text() if public_key else None)
    if as_json:
        json_out({"ok": check.ok, "files": check.files, "trusted_key": check.trusted_key,
                  "checkpoint": check.manifest.get("checkpoint"), "problems": check.problems})
    else:
        for problem in check.problems:
            click.echo(f"PROBLEM: {problem}", err=True)
        if check.ok:
            click.echo(f"OK: signature and {check.files} file(s) verified"
                       + ("" if check.trusted_key else
                          " (with the key inside the manifest: pass --public-key with a "
                          "trusted copy to rule out a forged export)"))
        else:
            click.echo("EXPORT ALTERED OR INCOMPLETE")
    if not check.ok:
        raise click.exceptions.Exit(EXIT_PROBLEMS)
