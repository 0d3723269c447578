"""What reading one Terraform state gives back, and the ways it can fail.

:class:`StateRead` is one successfully parsed state (one workspace of one
backend): its resources, lineage, serial, outputs and counts.
:class:`StateFailure` is a state that could not be read; it turns into an
*incomplete* snapshot, so nothing the state held before is taken as deleted.

Error tree (all carry ``kind``, which becomes :attr:`SnapshotError.kind`)::

    InputError
    ├── StateFormatError          kind parse-error: not JSON, truncated, malformed field
    │   ├── EmptyStateError       kind empty: a zero-byte file ("no state yet" to Terraform)
    │   ├── NotAStateError        kind not-a-state: a plan, a snapshot, `terraform show -json`
    │   │   └── BackendConfigError  kind backend-config: `.terraform/terraform.tfstate`
    │   ├── UnsupportedStateVersion kind unsupported-version: v1/v2 or newer than v4
    │   └── StateTooLarge         kind too-large
    ├── StateLocationError        kind bad-location: a malformed path or s3:// URL
    └── StateUnreadable           kind missing | unreadable: the local file cannot be read

S3 failures are :class:`auditd.collectors.aws.s3.S3Error` subclasses with the same
``kind`` convention.  This module holds data only: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditd.errors import DriftauditError, InputError
from auditd.model import Resource, Snapshot, SnapshotError

__all__ = [
    "DEFAULT_WORKSPACE",
    "BackendConfigError",
    "EmptyStateError",
    "NotAStateError",
    "StateDefaults",
    "StateFailure",
    "StateFormatError",
    "StateLocationError",
    "StateOutput",
    "StateRead",
    "StateStats",
    "StateTooLarge",
    "StateUnreadable",
    "UnsupportedStateVersion",
    "error_kind",
]

DEFAULT_WORKSPACE = "default"


class StateFormatError(InputError):
    """``source``: the file or ``s3://`` URL; ``where``: a JSON location (``resources[3].type``)."""

    kind = "parse-error"

    def __init__(self, source: str, problem: str, *, where: str = "", hint: str = "") -> None:
        location = f"{source}: {where}: " if where else f"{source}: "
        super().__init__(location + problem, hint=hint)
        self.source = source
        self.where = where
        self.problem = problem


class EmptyStateError(StateFormatError):
    kind = "empty"


class NotAStateError(StateFormatError):
    kind = "not-a-state"


class BackendConfigError(NotAStateError):
    kind = "backend-config"


class UnsupportedStateVersion(StateFormatError):
    kind = "unsupported-version"


class StateTooLarge(StateFormatError):
    kind = "too-large"


class StateLocationError(InputError):
    kind = "bad-location"


class StateUnreadable(InputError):
    """A local state file that cannot be opened; ``kind`` is ``missing`` or ``unreadable``."""

    def __init__(self, source: str, problem: str, *, kind: str, hint: str = "") -> None:
        super().__init__(f"{source}: {problem}", hint=hint)
        self.source = source
        self.kind = kind


def error_kind(error: BaseException) -> str:
    kind = getattr(error, "kind", "error")
    return kind if isinstance(kind, str) else "error"


@dataclass(frozen=True, slots=True)
class StateDefaults:
    """What the state does not say: the account and region of resources without an ARN.

    ``account``/``region`` apply only to resources of the ``providers`` listed
    (provider local names; a ``google`` resource must not get an AWS account).
    ``provider_regions`` maps a provider configuration, ``aws.west`` (alias) or
    ``aws``, to its region, as the HCL collector knows it from provider blocks.
    """

    account: str = ""
    region: str = ""
    providers: frozenset[str] = frozenset({"aws"})
    provider_regions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StateOutput:
    """A root output.  ``value`` is None when ``redacted``: sensitive outputs (and outputs
    with secret names such as ``db_password``) never keep their value."""

    value: Any
    type: Any = None
    sensitive: bool = False
    redacted: bool = False


@dataclass(frozen=True, slots=True)
class StateStats:
    """Counts for one state, for logs, the CLI and tests."""

    managed_instances: int = 0  # current and deposed objects of managed resources
    resources: int = 0  # emitted as Resource (managed_instances - duplicate_keys)
    data_instances: int = 0  # data source instances: skipped, they are reads, not resources
    deposed: int = 0
    tainted: int = 0
    ids_from_address: int = 0  # no "id" attribute: the address stands in for the id
    flat_attributes: int = 0  # legacy flatmap attributes (state v3, old v4)
    duplicate_keys: int = 0  # instances dropped because an earlier one had the same key
    outputs: int = 0
    redacted_outputs: int = 0


@dataclass(frozen=True, slots=True)
class StateRead:
    """One state (one workspace) read completely.

    ``resources`` hold clear attribute values plus ``sensitive_paths``; run them
    through the normaliser (which fingerprints secrets) before storing anything.
    """

    scope: str
    source: str  # the file path or s3:// URL it came from
    resources: tuple[Resource, ...]
    lineage: str
    serial: int
    terraform_version: str
    state_version: int  # the file's format version: 3 or 4
    outputs: Mapping[str, StateOutput] = field(default_factory=dict)
    observed_at: datetime | None = None  # file mtime or S3 LastModified, timezone-aware
    stats: StateStats = field(default_factory=StateStats)
    warnings: tuple[str, ...] = ()
    workspace: str = DEFAULT_WORKSPACE

    @property
    def resource_count(self) -> int:
        return len(self.resources)

    def to_snapshot(self, taken_at: datetime) -> Snapshot:
        """A complete snapshot: the state is authoritative about what it holds."""
        return Snapshot(scope=self.scope, taken_at=taken_at, resources=self.resources)


@dataclass(frozen=True, slots=True)
class StateFailure:
    """A state that could not be read: the error says what, where and what to do."""

    scope: str
    source: str
    error: DriftauditError
    workspace: str = DEFAULT_WORKSPACE
    warnings: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return error_kind(self.error)

    @property
    def message(self) -> str:
        return str(self.error)

    def to_snapshot(self, taken_at: datetime) -> Snapshot:
        """An incomplete, empty snapshot: the scope's resources are kept, not deleted."""
        error = SnapshotError(message=str(self.error), selector=None, kind=self.kind)
        return Snapshot(scope=self.scope, taken_at=taken_at, resources=(), complete=False,
                        errors=(error,))
