"""Bytes to a checked Terraform state document: JSON, what kind of file, format version, header.

:func:`load_state_document` either returns a :class:`StateDocument` (the JSON
object, its format version 3 or 4, serial, lineage, Terraform version and root
outputs) or raises a :class:`StateFormatError` subclass saying what the file is
instead: not JSON, truncated, a plan, a driftaudit snapshot, Terraform's
backend configuration file, a format too old or too new.  Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from auditd.collectors.terraform.state_types import (
    BackendConfigError,
    EmptyStateError,
    NotAStateError,
    StateFormatError,
    StateOutput,
    UnsupportedStateVersion,
)
from auditd.normalize.secrets import is_secret_name

__all__ = ["SUPPORTED_VERSIONS", "StateDocument", "load_state_document", "read_outputs"]

SUPPORTED_VERSIONS = (3, 4)
_BOM = b"\xef\xbb\xbf"
_TRUNCATED = "the file ends early: it looks truncated (interrupted upload, copy or full disk?)"
_PULL_HINT = ("give driftaudit the raw state: the backend's object, or the output of "
              "`terraform state pull`")
_UPGRADE_HINT = ("let a current Terraform upgrade it: `terraform state pull > upgraded.tfstate` "
                 "writes it in format 4 (so does the next `terraform apply`)")


@dataclass(frozen=True, slots=True)
class StateDocument:
    raw: Mapping[str, Any]
    version: int
    serial: int
    lineage: str
    terraform_version: str
    warnings: tuple[str, ...] = ()


def load_state_document(data: bytes, source: str) -> StateDocument:
    raw = _load_json(data, source)
    version = _classify(raw, source)
    serial = _serial(raw, source)
    lineage, warnings = _lineage(raw, source)
    return StateDocument(raw=raw, version=version, serial=serial, lineage=lineage,
                         terraform_version=_terraform_version(raw, source), warnings=warnings)


def _load_json(data: bytes, source: str) -> dict[str, Any]:
    data = data.removeprefix(_BOM)
    if not data.strip():
        raise EmptyStateError(source, "the file is empty", hint=(
            "Terraform treats an empty state as 'nothing applied yet'; driftaudit records "
            "nothing for it (previous resources are kept). Check the file if it should not be "
            "empty"))
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise _json_error(exc, data, source) from None
    if not isinstance(raw, dict):
        raise NotAStateError(source, f"expected a JSON object, found a {_json_type(raw)}",
                             hint=_PULL_HINT)
    return raw


def _json_error(exc: orjson.JSONDecodeError, data: bytes, source: str) -> StateFormatError:
    if not exc.doc:  # not UTF-8: cut inside a character, or a binary file
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            if bad.end >= len(data) and bad.reason == "unexpected end of data":
                return StateFormatError(source, "not valid JSON: the file ends inside a UTF-8 "
                                        "character", hint=_TRUNCATED)
            return NotAStateError(source, f"not UTF-8 text: invalid byte {data[bad.start]:#04x} "
                                  f"at offset {bad.start}",
                                  hint="a state is UTF-8 JSON; is this a binary, encrypted or "
                                       "compressed file?")
    truncated = exc.pos >= len(exc.doc.rstrip()) - 1
    problem = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    return StateFormatError(source, problem, hint=_TRUNCATED if truncated else (
        "this is not a Terraform state, or it was edited by hand: fix the JSON at that position"))


def _json_type(value: Any) -> str:
    return {list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def _classify(raw: dict[str, Any], source: str) -> int:
    """The format version of a state; raises for anything that is not a readable state."""
    _refuse_known_other_formats(raw, source)
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise NotAStateError(source, "no integer 'version' field: this is not a Terraform state",
                             hint=_PULL_HINT)
    if _is_backend_config(raw, version):
        raise _backend_config_error(raw, source)
    if version in (1, 2):
        raise UnsupportedStateVersion(
            source, f"state format version {version} (Terraform 0.6 or older) is not supported",
            where="version", hint=_UPGRADE_HINT)
    if version > max(SUPPORTED_VERSIONS):
        raise UnsupportedStateVersion(
            source, f"state format version {version} is newer than this driftaudit reads "
            f"(versions 3 and 4)", where="version",
            hint="upgrade driftaudit; the state was written by a newer Terraform")
    if version not in SUPPORTED_VERSIONS:
        raise UnsupportedStateVersion(source, f"{version} is not a Terraform state format "
                                      "version", where="version", hint=_PULL_HINT)
    return version


def _refuse_known_other_formats(raw: dict[str, Any], source: str) -> None:
    if "format_version" in raw:
        what = ("a plan in JSON (`terraform show -json PLANFILE`)"
                if "planned_values" in raw or "resource_changes" in raw
                else "`terraform show -json` output, Terraform's presentation of a state")
        raise NotAStateError(source, f"this is {what}, not a state file", hint=_PULL_HINT)
    if raw.get("format") == "driftaudit-snapshot":
        raise NotAStateError(source, "this is a driftaudit snapshot, not a Terraform state",
                             hint="import it with `driftaudit snapshot import FILE`")


def _is_backend_config(raw: dict[str, Any], version: int) -> bool:
    """``.terraform/terraform.tfstate``: which backend ``terraform init`` configured.

    Terraform writes it in the v3 layout with a ``backend`` object naming the
    backend ``type`` (or, before 0.9, ``remote``); a real state never has a typed one.
    """
    return version <= 3 and any(
        isinstance(raw.get(name), dict) and bool(raw[name].get("type"))
        for name in ("backend", "remote"))


def _backend_config_error(raw: dict[str, Any], source: str) -> BackendConfigError:
    block = raw.get("backend") if isinstance(raw.get("backend"), dict) else raw.get("remote")
    block = block if isinstance(block, dict) else {}
    config = block.get("config")
    config = config if isinstance(config, dict) else {}
    where = ", ".join(f"{k}={v}" for k, v in sorted(config.items())
                      if v and k in ("path", "bucket", "key", "workspace_key_prefix", "region"))
    detail = f" (type {block.get('type')!r}{': ' + where if where else ''})"
    return BackendConfigError(
        source, f"this is Terraform's backend configuration file{detail}, not a state",
        hint="point driftaudit at the state that backend stores (for an S3 backend, "
             "s3://BUCKET/KEY); `terraform state pull` prints it")


def _serial(raw: dict[str, Any], source: str) -> int:
    serial = raw.get("serial")
    if serial is None:
        raise StateFormatError(source, "no 'serial': every state Terraform writes has one",
                               where="serial", hint="the file was edited by hand or written "
                               "by another tool; fetch it again with `terraform state pull`")
    if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
        raise StateFormatError(source, f"must be a whole number >= 0, found {serial!r}",
                               where="serial", hint="fetch the state again with "
                               "`terraform state pull`")
    return serial


def _lineage(raw: dict[str, Any], source: str) -> tuple[str, tuple[str, ...]]:
    lineage = raw.get("lineage")
    if lineage is None or lineage == "":
        return "", (f"{source}: the state has no lineage; serial changes cannot be told apart "
                    "from a different state replacing this one",)
    if not isinstance(lineage, str):
        raise StateFormatError(source, f"must be a string, found {lineage!r}", where="lineage")
    return lineage, ()


def _terraform_version(raw: dict[str, Any], source: str) -> str:
    version = raw.get("terraform_version", "")
    if version is None:
        return ""
    if not isinstance(version, str):
        raise StateFormatError(source, f"must be a string, found {version!r}",
                               where="terraform_version")
    return version


def read_outputs(document: StateDocument, source: str) -> dict[str, StateOutput]:
    """Root module outputs; sensitive ones (and secret-named ones) lose their value here."""
    if document.version == 4:
        outputs, where = document.raw.get("outputs"), "outputs"
    else:
        outputs, where = _v3_root_outputs(document.raw), "modules[root].outputs"
    if outputs is None:
        return {}
    if not isinstance(outputs, dict):
        raise StateFormatError(source, "must be an object of outputs", where=where)
    return {name: _output(value, source, f"{where}.{name}") for name, value in outputs.items()}


def _v3_root_outputs(raw: Mapping[str, Any]) -> Any:
    modules = raw.get("modules")
    for module in modules if isinstance(modules, list) else ():
        if isinstance(module, dict) and module.get("path") == ["root"]:
            return module.get("outputs")
    return None


def _output(entry: Any, source: str, where: str) -> StateOutput:
    name = where.rsplit(".", 1)[-1]
    if not isinstance(entry, dict):  # v1-era outputs were bare strings
        redact = is_secret_name(name)
        return StateOutput(value=None if redact else entry, redacted=redact)
    sensitive = entry.get("sensitive", False)
    if not isinstance(sensitive, bool):
        raise StateFormatError(source, f"'sensitive' must be true or false, found {sensitive!r}",
                               where=where)
    redact = sensitive or is_secret_name(name)
    return StateOutput(value=None if redact else entry.get("value"), type=entry.get("type"),
                       sensitive=sensitive, redacted=redact)
