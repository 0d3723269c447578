"""``driftaudit demo``: a fresh SQLite store, a small estate's snapshots, a Terraform repository.

Part 1 imports two bundled snapshots of a small AWS estate.  The second snapshot
hides a few things a real estate throws at a change log: keys reordered, a
policy re-indented, a set-like list reshuffled, a volatile status flipped (none
of these is a change), beside real changes (SSH opened
to the world from the console, a rotated database password shown only as
fingerprints, a role's session length raised, a bucket gone, a new instance).

Part 2 (:mod:`auditd.demo.terraform`, needs ``git``) replays a bundled Terraform
repository as real git history and shows each declared change with its commit,
author and review state, and a Terraform apply recorded from the state's serial.

Part 3 (:mod:`auditd.demo.aws`, needs moto) collects an in-process simulated AWS
account where two console changes happened, and shows the drift; a third console change
arrives as a CloudTrail event and is stored with its actor.

Part 4 exports a signed change report for auditors and verifies it and the store's chain.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from auditd.config import AwsSettings, Settings, TerraformSettings
from auditd.render import console, print_changes, print_import_outcome
from auditd.service import Runtime, demo_snapshot_paths, import_snapshots, list_changes
from auditd.store import ChangeFilter

__all__ = ["run_demo"]


def run_demo(directory: Path) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    db_path = directory.absolute() / "driftaudit.db"
    settings = Settings(
        state_dir=directory.absolute(),
        terraform=TerraformSettings(default_account="123456789012", default_region="eu-west-1"),
        aws=AwsSettings(region="eu-west-1", regions=["eu-west-1"]))
    rt = Runtime(settings, db_url=f"sqlite:///{db_path}")
    try:
        console.print(f"[bold]driftaudit demo[/]: fresh SQLite store at {db_path}\n")
        paths = [str(p) for p in demo_snapshot_paths()]
        console.rule("Part 1: two snapshots of an AWS account (imported JSON)")
        outcomes = import_snapshots(rt, paths, on_done=print_import_outcome)
        console.print()
        print_changes(list_changes(rt, ChangeFilter(since=outcomes[-1].result.taken_at)))
        console.print(
            "\nNoise the normaliser removed: key order, a re-indented bucket policy, a "
            "reshuffled ingress list, an empty egress list, volatile status/public_ip fields.")
        if _terraform_part(rt, directory.absolute()):
            _aws_part(rt)
        _audit_part(rt, directory.absolute())
    finally:
        rt.close()
    console.print(
        f"\nExplore: driftaudit --db sqlite:///{db_path} changes --json"
        f"\n         driftaudit --db sqlite:///{db_path} history "
        "aws/aws_security_group/111122223333/eu-west-1/sg-0web"
        f"\n         driftaudit --db sqlite:///{db_path} state aws/111122223333 "
        "--at 2026-11-25T12:00:00Z"
        f"\n         driftaudit --db sqlite:///{db_path} iac show aws_security_group.web"
        f"\n         driftaudit --db sqlite:///{db_path} drift --account 123456789012"
        f"\n         driftaudit --db sqlite:///{db_path} unreviewed --since 30d"
        f"\n         driftaudit export verify {directory.absolute() / 'audit-export'}"
    )


def _terraform_part(rt: Runtime, directory: Path) -> bool:
    from auditd.demo.terraform import git_available, run_terraform_demo

    console.print()
    console.rule("Part 2: a Terraform repository, its git history and its state")
    if not git_available():
        console.print("[yellow]git is not installed: skipping the Terraform part[/]")
        return False
    run_terraform_demo(rt, directory)
    return True


def _aws_part(rt: Runtime) -> None:
    from auditd.demo.aws import moto_available, run_aws_demo

    console.print()
    console.rule("Part 3: the live account (moto, in process) and its drift")
    if not moto_available():
        console.print("[yellow]moto is not installed (pip install 'driftaudit[demo]'): "
                      "skipping the live part[/]")
        return
    run_aws_demo(rt)



def _audit_part(rt: Runtime, directory: Path) -> None:
    from auditd.export import verify_export
    from auditd.service.audit import ExportQuery, audit_signer, export_changes, verify_audit

    console.print()
    console.rule("Part 4: evidence for auditors")
    folder = directory / "audit-export"
    report = export_changes(rt, folder, ExportQuery())
    console.print(f"driftaudit export changes --out {folder}: {report.rows} change(s) with "
                  f"actor, review status and approvals in {', '.join(report.files)}; "
                  f"manifest.json signed in manifest.sig (audit checkpoint "
                  f"{report.checkpoint_seq})")
    check = verify_export(folder, audit_signer(rt).public_pem())
    console.print(f"driftaudit export verify: {'OK' if check.ok else check.problems}, "
                  f"{check.files} file(s) match their SHA-256 and the signature holds")
    audit = verify_audit(rt)
    rows = ", ".join(f"{n} {c}" for n, c in sorted(audit.verified_rows.items()))
    console.print(f"driftaudit audit verify: {'OK' if audit.ok else audit.problems}, "
                  f"{audit.checkpoints} signed checkpoint(s) over {rows}")
