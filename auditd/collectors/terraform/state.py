"""The tfstate collector: Terraform state (format 4, and 3) from a file or the S3 backend.

What was *applied*: every managed resource instance of a state becomes a
:class:`~auditd.model.Resource` with origin ``state``, Terraform's address, a
key ``(provider, type, id, account, region)`` that matches the live
collectors', the instance attributes, and ``sensitive_paths`` from the state's
``sensitive_attributes`` (the normaliser fingerprints those values).  Data
sources are skipped (counted in :class:`StateStats`).  See
``docs/terraform-state.md``.

Public API (pure parsing is separate from I/O)::

    parse_state(data, source, defaults)                  -> StateRead       (pure)
    read_state_file(path, max_bytes=..., defaults=...)   -> StateRead       (raises)
    read_s3_states(url, reader, max_bytes=..., ...)      -> [StateRead | StateFailure]
    collect_states(location, ...)                        -> [StateRead | StateFailure]
    StateRead.to_snapshot(taken_at) / StateFailure.to_snapshot(taken_at) -> Snapshot
    state_event(current, StateMark(lineage, serial), changed=...) -> ChangeEvent | None

A state that cannot be read is never reported as "everything deleted": the
readers raise (or return a :class:`StateFailure`, whose snapshot is incomplete).
This module must not write state, take Terraform's lock or call Terraform.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from auditd.collectors.terraform.state_document import load_state_document, read_outputs
from auditd.collectors.terraform.state_events import StateMark, changed_addresses, state_event
from auditd.collectors.terraform.state_instances import Instance, to_resource
from auditd.collectors.terraform.state_types import (
    DEFAULT_WORKSPACE,
    BackendConfigError,
    EmptyStateError,
    NotAStateError,
    StateDefaults,
    StateFailure,
    StateFormatError,
    StateLocationError,
    StateOutput,
    StateRead,
    StateStats,
    StateTooLarge,
    StateUnreadable,
    UnsupportedStateVersion,
    error_kind,
)
from auditd.collectors.terraform.state_v3 import read_v3_instances
from auditd.collectors.terraform.state_v4 import read_v4_instances
from auditd.errors import DriftauditError
from auditd.model import Resource, ResourceKey

if TYPE_CHECKING:
    from auditd.collectors.terraform.state_s3 import ObjectReader

__all__ = [
    "DEFAULT_MAX_STATE_BYTES",
    "DEFAULT_WORKSPACE",
    "BackendConfigError",
    "EmptyStateError",
    "NotAStateError",
    "StateDefaults",
    "StateFailure",
    "StateFormatError",
    "StateLocationError",
    "StateMark",
    "StateOutput",
    "StateRead",
    "StateStats",
    "StateTooLarge",
    "StateUnreadable",
    "UnsupportedStateVersion",
    "changed_addresses",
    "collect_states",
    "error_kind",
    "file_scope",
    "parse_state",
    "read_s3_states",
    "read_state_file",
    "state_event",
]

DEFAULT_MAX_STATE_BYTES = 256 * 1024 * 1024
_LARGE_HINT = "raise the state size limit in the config if a state this large is expected"


def parse_state(data: bytes, source: str, defaults: StateDefaults | None = None, *,
                scope: str | None = None, workspace: str = DEFAULT_WORKSPACE,
                observed_at: datetime | None = None) -> StateRead:
    """Parse state bytes; raises a :class:`StateFormatError` subclass naming ``source``."""
    document = load_state_document(data, source)
    instances = (read_v4_instances(document.raw, source) if document.version == 4
                 else read_v3_instances(document.raw, source))
    outputs = read_outputs(document, source)
    resources, dropped = _resources(instances, defaults or StateDefaults(), source)
    return StateRead(
        scope=scope or f"tfstate/{source}", source=source, resources=resources,
        lineage=document.lineage, serial=document.serial,
        terraform_version=document.terraform_version, state_version=document.version,
        outputs=outputs, observed_at=observed_at,
        stats=_stats(instances, resources, dropped, outputs),
        warnings=document.warnings + _warnings(source, instances, resources, dropped),
        workspace=workspace)


def _resources(instances: Sequence[Instance], defaults: StateDefaults,
               source: str) -> tuple[tuple[Resource, ...], list[tuple[Resource, Resource]]]:
    """Managed instances as resources; a second instance with an already-used key is dropped."""
    kept: dict[ResourceKey, Resource] = {}
    dropped: list[tuple[Resource, Resource]] = []
    for instance in instances:
        if instance.mode != "managed":
            continue
        resource = to_resource(instance, defaults, source)
        first = kept.setdefault(resource.key, resource)
        if first is not resource:
            dropped.append((first, resource))
            kept[first.key] = _also_at(kept[first.key], resource.address)
    return tuple(kept.values()), dropped


def _also_at(resource: Resource, address: str) -> Resource:
    """Record on the kept resource that another address of the state has the same key."""
    others = [*resource.provenance.get("duplicate_addresses", ()), address]
    return replace(resource, provenance={**resource.provenance, "duplicate_addresses": others})


def _stats(instances: Sequence[Instance], resources: tuple[Resource, ...],
           dropped: list[tuple[Resource, Resource]],
           outputs: dict[str, StateOutput]) -> StateStats:
    managed = [i for i in instances if i.mode == "managed"]
    return StateStats(
        managed_instances=len(managed), resources=len(resources),
        data_instances=len(instances) - len(managed),
        deposed=sum(1 for i in managed if i.deposed),
        tainted=sum(1 for i in managed if i.tainted),
        ids_from_address=sum(1 for r in resources if r.provenance["id_source"] == "address"),
        flat_attributes=sum(1 for i in managed if i.flat), duplicate_keys=len(dropped),
        outputs=len(outputs), redacted_outputs=sum(1 for o in outputs.values() if o.redacted))


def _warnings(source: str, instances: Sequence[Instance], resources: tuple[Resource, ...],
              dropped: list[tuple[Resource, Resource]]) -> tuple[str, ...]:
    out = [f"{source}: {later.address} has the same key as {first.address} ({first.key}); "
           "only the first is kept" for first, later in dropped]
    managed = [i for i in instances if i.mode == "managed"]
    if flat := sum(1 for i in managed if i.flat):
        out.append(f"{source}: {flat} resource(s) have legacy flatmap attributes (written by "
                   "Terraform before 0.12); they compare poorly with live resources until a "
                   "current Terraform rewrites the state")
    if bare := sum(1 for i in managed if i.attributes is None):
        out.append(f"{source}: {bare} resource(s) have no attributes at all")
    if no_id := sum(1 for r in resources if r.provenance["id_source"] == "address"):
        out.append(f"{source}: {no_id} resource(s) have no id attribute; their address stands "
                   "in for the id")
    return tuple(out)


def file_scope(path: str) -> str:
    """``tfstate/<absolute path>``: the same file gives the same scope from any directory."""
    return f"tfstate/{Path(path).absolute()}"


def read_state_file(path: str, *, max_bytes: int = DEFAULT_MAX_STATE_BYTES,
                    defaults: StateDefaults | None = None, scope: str | None = None) -> StateRead:
    """Read and parse a local state file; ``observed_at`` is its modification time."""
    data, modified = _read_file(path, max_bytes)
    return parse_state(data, path, defaults, scope=scope or file_scope(path),
                       observed_at=modified)


def _read_file(path: str, max_bytes: int) -> tuple[bytes, datetime]:
    try:
        with Path(path).open("rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_size > max_bytes:
                raise StateTooLarge(path, f"{info.st_size} bytes, larger than the limit of "
                                    f"{max_bytes} bytes", hint=_LARGE_HINT)
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise StateUnreadable(path, "no such file", kind="missing",
                              hint="check the path; Terraform writes terraform.tfstate in the "
                                   "root module's folder on the first apply") from None
    except IsADirectoryError:
        raise StateLocationError(
            f"{path}: is a directory, not a state file",
            hint="point at the state file, e.g. DIR/terraform.tfstate") from None
    except OSError as exc:
        raise StateUnreadable(path, f"cannot read: {exc.strerror}", kind="unreadable",
                              hint="check the file's permissions") from None
    if len(data) > max_bytes:  # grew while we read it
        raise StateTooLarge(path, f"larger than the limit of {max_bytes} bytes", hint=_LARGE_HINT)
    return data, datetime.fromtimestamp(info.st_mtime, UTC)


def read_s3_states(url: str, reader: ObjectReader, *, max_bytes: int = DEFAULT_MAX_STATE_BYTES,
                   defaults: StateDefaults | None = None, workspace_key_prefix: str = "env:",
                   all_workspaces: bool = True) -> list[StateRead | StateFailure]:
    """Every workspace of an S3 backend; see :mod:`auditd.collectors.terraform.state_s3`."""
    from auditd.collectors.terraform.state_s3 import read_s3_states as read

    return read(url, reader, max_bytes=max_bytes, defaults=defaults,
                workspace_key_prefix=workspace_key_prefix, all_workspaces=all_workspaces)


def collect_states(location: str, *, max_bytes: int = DEFAULT_MAX_STATE_BYTES,
                   defaults: StateDefaults | None = None, reader: ObjectReader | None = None,
                   workspace_key_prefix: str = "env:") -> list[StateRead | StateFailure]:
    """A path or ``s3://bucket/key``, read into results that never raise for a bad state.

    For the CLI's ``--state`` and the daemon: each result becomes one snapshot.
    Only a malformed ``location`` itself raises (:class:`StateLocationError`).
    """
    if location.startswith("s3://"):
        if reader is None:
            from auditd.collectors.aws.s3 import S3Reader

            reader = S3Reader()
        return read_s3_states(location, reader, max_bytes=max_bytes, defaults=defaults,
                              workspace_key_prefix=workspace_key_prefix)
    try:
        return [read_state_file(location, max_bytes=max_bytes, defaults=defaults)]
    except StateLocationError:
        raise
    except DriftauditError as exc:
        return [StateFailure(scope=file_scope(location), source=location, error=exc)]
