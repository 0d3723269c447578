"""The documented JSON snapshot format (``docs/snapshot-format.md``), version 1.

``parse_snapshot`` turns bytes into a :class:`~auditd.model.Snapshot` or raises
:class:`~auditd.errors.SnapshotFormatError` naming the file, the JSON location
(``resources[17].id``) and what to do.  ``read_snapshot_file`` adds the file
handling: size limit, gzip, a byte-order mark, stdin.
"""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditd.errors import SnapshotFormatError
from auditd.model import Origin, Resource, ResourceKey, ScopeSelector, Snapshot, SnapshotError
from auditd.paths import parse_path

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "json_schema", "parse_snapshot", "read_snapshot_file"]

FORMAT_NAME = "driftaudit-snapshot"
FORMAT_VERSION = 1
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorEntry(_Strict):
    message: str = Field(min_length=1)
    kind: str = "error"
    account: str = ""
    region: str = ""
    type: str = ""


class Defaults(_Strict):
    provider: str = "aws"
    account: str = ""
    region: str = ""
    origin: Origin = Origin.LIVE


class ResourceEntry(_Strict):
    type: str = Field(min_length=1, description="Terraform resource type, e.g. aws_s3_bucket")
    id: str = Field(min_length=1, description="the id Terraform stores for the resource")
    provider: str | None = None
    account: str | None = None
    region: str | None = None
    origin: Origin | None = None
    address: str = ""
    attributes: dict[str, Any] = Field(default_factory=dict)
    sensitive_paths: list[str] = Field(default_factory=list)
    provenance: dict[str, Any] = Field(default_factory=dict)


class SnapshotDocument(_Strict):
    format: Literal["driftaudit-snapshot"]
    version: int = Field(strict=True)  # 1, not true, "1" or 1.0
    scope: str = Field(min_length=1)
    taken_at: datetime
    complete: bool | None = None
    errors: list[ErrorEntry] = Field(default_factory=list)
    defaults: Defaults = Field(default_factory=Defaults)
    resources: list[ResourceEntry]

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value != FORMAT_VERSION:
            raise ValueError(f"unknown snapshot format version {value}; this driftaudit reads "
                             f"version {FORMAT_VERSION} (upgrade driftaudit for newer files)")
        return value

    @field_validator("taken_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("taken_at needs a time zone, e.g. 2026-11-26T10:00:00Z")
        return value


def json_schema() -> dict[str, Any]:
    return SnapshotDocument.model_json_schema()


def read_snapshot_file(path: str, *, max_bytes: int) -> tuple[Snapshot, str]:
    """Read a snapshot from a path (``-`` for stdin); returns it with its display name."""
    name = "<stdin>" if path == "-" else path
    data = _read_limited(path, name, max_bytes)
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(data, name, max_bytes)
    return parse_snapshot(data, name), name


def _read_limited(path: str, name: str, max_bytes: int) -> bytes:
    try:
        if path == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with Path(path).open("rb") as handle:
                data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise SnapshotFormatError(name, "", "no such file") from None
    except IsADirectoryError:
        raise SnapshotFormatError(name, "", "is a directory, not a snapshot file") from None
    except OSError as exc:
        raise SnapshotFormatError(name, "", f"cannot read: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise SnapshotFormatError(name, "", f"larger than the limit of {max_bytes} bytes",
                                  hint="raise snapshot.max_bytes in the config if this is expected")
    return data


def _gunzip(data: bytes, name: str, max_bytes: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            out = handle.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise SnapshotFormatError(name, "", f"corrupt or truncated gzip data ({exc})",
                                  hint="re-export the snapshot; the file is damaged") from None
    if len(out) > max_bytes:
        raise SnapshotFormatError(name, "", f"expands beyond the limit of {max_bytes} bytes")
    return out


def parse_snapshot(data: bytes, source: str = "<snapshot>") -> Snapshot:
    document = _validate(_load_json(data, source), source)
    return _to_snapshot(document, source)


def _load_json(data: bytes, source: str) -> Any:
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    if not data.strip():
        raise SnapshotFormatError(source, "", "the file is empty")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if not exc.doc:  # orjson could not even decode the bytes as UTF-8
            raise _not_utf8(data, source) from None
        # exc.pos counts characters of exc.doc, not bytes of data: compare like with like
        truncated = exc.pos >= len(exc.doc.rstrip()) - 1
        problem = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        hint = ("the file ends early: it looks truncated (interrupted copy or full disk?)"
                if truncated else "fix the JSON at that position")
        raise SnapshotFormatError(source, "", problem, hint=hint) from None


def _not_utf8(data: bytes, source: str) -> SnapshotFormatError:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.end >= len(data) and exc.reason == "unexpected end of data":
            return SnapshotFormatError(
                source, "", "not valid JSON: the file ends inside a UTF-8 character",
                hint="the file ends early: it looks truncated (interrupted copy or full disk?)")
        bad = data[exc.start]
        return SnapshotFormatError(
            source, "", f"not UTF-8 text: invalid byte {bad:#04x} at offset {exc.start}",
            hint="a snapshot is UTF-8 JSON (optionally gzipped); is this a binary or "
                 "differently encoded file?")
    return SnapshotFormatError(source, "", "not valid JSON text")


def _validate(raw: Any, source: str) -> SnapshotDocument:
    if not isinstance(raw, dict):
        raise SnapshotFormatError(source, "", f"expected a JSON object, found {type(raw).__name__}")
    if raw.get("format") != FORMAT_NAME:
        raise SnapshotFormatError(source, "format", f"expected \"{FORMAT_NAME}\", found "
                                  f"{raw.get('format')!r}",
                                  hint="not a driftaudit snapshot; see docs/snapshot-format.md")
    try:
        return SnapshotDocument.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        message = first["msg"].removeprefix("Value error, ")
        raise SnapshotFormatError(source, _location(first["loc"]), message + more,
                                  hint="see docs/snapshot-format.md") from None


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _to_snapshot(doc: SnapshotDocument, source: str) -> Snapshot:
    if doc.complete is True and doc.errors:
        raise SnapshotFormatError(source, "complete", "is true but errors are listed",
                                  hint="a snapshot with errors is incomplete: drop 'complete'")
    resources = tuple(_to_resource(entry, doc.defaults, source, i)
                      for i, entry in enumerate(doc.resources))
    _reject_duplicates(resources, source)
    errors = tuple(_to_error(e) for e in doc.errors)
    return Snapshot(scope=doc.scope, taken_at=doc.taken_at, resources=resources,
                    complete=doc.complete if doc.complete is not None else not errors,
                    errors=errors)


def _to_resource(entry: ResourceEntry, defaults: Defaults, source: str, index: int) -> Resource:
    try:
        key = ResourceKey(provider=entry.provider or defaults.provider, tf_type=entry.type,
                          id=entry.id, account=_pick(entry.account, defaults.account),
                          region=_pick(entry.region, defaults.region))
    except ValueError as exc:
        raise SnapshotFormatError(source, f"resources[{index}]", str(exc),
                                  hint="see docs/snapshot-format.md") from None
    for j, path in enumerate(entry.sensitive_paths):
        try:
            parse_path(path)
        except ValueError as exc:
            raise SnapshotFormatError(source, f"resources[{index}].sensitive_paths[{j}]",
                                      str(exc), hint='write paths like password, '
                                      'containers[*].env or tags["kubernetes.io/role"]') from None
    return Resource(key=key, attrs=entry.attributes, origin=entry.origin or defaults.origin,
                    address=entry.address, sensitive_paths=tuple(entry.sensitive_paths),
                    provenance=entry.provenance)


def _pick(value: str | None, default: str) -> str:
    return default if value is None else value


def _reject_duplicates(resources: tuple[Resource, ...], source: str) -> None:
    seen: dict[tuple[Origin, ResourceKey], int] = {}
    for index, resource in enumerate(resources):
        first = seen.setdefault((resource.origin, resource.key), index)
        if first != index:
            raise SnapshotFormatError(
                source, f"resources[{index}]",
                f"duplicates resources[{first}]: both are {resource.origin.value} {resource.key}",
                hint="each resource may appear once per snapshot; merge or drop the duplicate")


def _to_error(entry: ErrorEntry) -> SnapshotError:
    has_selector = entry.account or entry.region or entry.type
    selector = ScopeSelector(entry.account, entry.region, entry.type) if has_selector else None
    return SnapshotError(message=entry.message, selector=selector, kind=entry.kind)
