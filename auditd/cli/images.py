"""Image commands: ``collect images``.

Thin: options in, :mod:`auditd.service.images` does the work.  Faults (a registry
down, 401/403, 429, 5xx, a hostile answer) are warnings, not failures: the exit
code stays 0 and the registry's images are kept as last seen.  The ``--json``
shape is :func:`report_dict`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from auditd.cli import Obj, json_out
from auditd.cli.terraform import collect

if TYPE_CHECKING:
    from auditd.collectors.images import RefOutcome
    from auditd.service.images import ImagesReport, RegistryReport

__all__ = ["report_dict"]


@collect.command("images")
@click.option("--ref", "refs", multiple=True, metavar="REF",
              help="only this image reference (repeatable), e.g. ghcr.io/acme/api:1.4; "
                   "a partial run reports nothing removed")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.pass_obj
def collect_images(obj: Obj, refs: tuple[str, ...], as_json: bool) -> None:
    """Resolve watched image tags to manifest digests: one snapshot per registry.

    Watched: images.refs, images named by ECS task definitions, Lambda functions and
    Terraform `image` attributes in the store, and refs already watched.  A tag that
    now points to another digest is a modified change.  Registry faults are
    warnings and are kept as last seen, never reported removed.
    """
    from auditd import render
    from auditd.service import images

    rt = obj.runtime()
    report = images.collect_images(rt, refs=refs,
                                   progress=None if as_json else render.progress_line)
    if as_json:
        json_out(report_dict(report))
    else:
        print_report(report)


def report_dict(report: ImagesReport) -> dict[str, Any]:
    return {"seconds": round(report.seconds, 3), "partial": report.partial,
            "refs": report.refs, "changed": report.changed, "unchanged": report.unchanged,
            "warnings": list(report.warnings),
            "registries": [_registry_dict(r) for r in report.registries]}


def _registry_dict(r: RegistryReport) -> dict[str, Any]:
    from auditd.render.ingest_counts import restated_counts

    result = None if r.result is None else {
        "snapshot_id": r.result.snapshot_id, "added": r.result.added,
        "modified": r.result.modified, "removed": r.result.removed,
        "unchanged": r.result.unchanged, "protected": r.result.protected,
        "complete": not r.errors, **restated_counts(r.result)}
    return {"registry": r.registry, "scope": r.scope, "source": r.source, "result": result,
            "errors": [{"kind": e.kind, "message": e.message} for e in r.errors],
            "refs": [_ref_dict(o) for o in r.refs]}


def _ref_dict(o: RefOutcome) -> dict[str, Any]:
    resolved = o.resolved
    status = "resolved" if resolved is not None else "gone" if o.gone else \
        "not-tried" if o.not_tried else "fault"
    return {"ref": str(o.ref), "status": status,
            "digest": resolved.digest if resolved else None,
            "media_type": resolved.media_type if resolved else None,
            "platforms": [{"platform": p.platform, "digest": p.digest}
                          for p in resolved.platforms] if resolved else [],
            "fault": None if o.fault is None else {"kind": o.fault.kind,
                                                   "message": str(o.fault)}}


def print_report(report: ImagesReport) -> None:
    from rich.text import Text

    from auditd.render import console
    from auditd.render.ingest_counts import restated_text

    for registry in report.registries:
        r = registry.result
        if r is None:
            continue
        console.print(Text.assemble((registry.scope, "bold"), f" ({registry.source}): "
                                    f"{len(registry.refs)} ref(s): {r.added} added, "
                                    f"{r.modified} moved, {r.removed} removed"
                                    + (f", {restated_text(r)}" if r.restated else "")
                                    + (f", {r.protected} kept unseen" if r.protected else "")))
    console.print(f"[bold]{report.refs} image ref(s)[/]: {report.changed} changed, "
                  f"{report.unchanged} unchanged, {len(report.warnings)} warning(s), "
                  f"{report.seconds:.1f} s"
                  + (" (partial: nothing is reported removed)" if report.partial else ""))
    for warning in report.warnings:
        console.print(Text(f"  warning: {warning}", style="yellow"))
