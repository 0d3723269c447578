"""State format version 4 (Terraform 0.12 and later): ``resources[].instances[]`` → Instance.

Structure is checked as strictly as Terraform checks it (mode, instance key,
status, deposed key, duplicate instances): a state with a malformed resource is
refused as a whole, because skipping the resource would make it look deleted.
``sensitive_attributes`` (lists of cty path steps) become driftaudit paths:
``[{"type":"get_attr","value":"a"},{"type":"index","value":{"value":0,"type":"number"}}]``
is ``a[0]``; a string index is ``a["k"]``; a set element (indexed by its value)
becomes ``*``; a step that cannot be read ends the path there, so the whole
enclosing value is fingerprinted rather than leaked.  Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from auditd.collectors.terraform.state_instances import Instance
from auditd.collectors.terraform.state_types import StateFormatError
from auditd.paths import WILDCARD, PathSegment, format_path

__all__ = ["read_v4_instances", "sensitive_path"]

_MODES = ("managed", "data")
_DEPOSED_KEY = re.compile(r"[0-9a-f]{8}\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def read_v4_instances(raw: Mapping[str, Any], source: str) -> list[Instance]:
    resources = raw.get("resources")
    if resources is None:
        return []
    if not isinstance(resources, list):
        raise StateFormatError(source, "must be a list", where="resources")
    out: list[Instance] = []
    seen: set[tuple[str, str]] = set()
    for r_index, resource in enumerate(resources):
        for instance in _resource_instances(resource, source, f"resources[{r_index}]"):
            _reject_duplicate(instance, seen, source)
            out.append(instance)
    return out


def _reject_duplicate(instance: Instance, seen: set[tuple[str, str]], source: str) -> None:
    identity = (instance.address, instance.deposed)
    if identity in seen:
        raise StateFormatError(source, f"{instance.object_address} appears more than once",
                               where=instance.where,
                               hint="the state was edited by hand; Terraform refuses it too")
    seen.add(identity)


def _resource_instances(resource: Any, source: str, where: str) -> Iterator[Instance]:
    if not isinstance(resource, dict):
        raise StateFormatError(source, "must be an object", where=where)
    mode = resource.get("mode")
    if mode not in _MODES:
        raise StateFormatError(source, f"unknown resource mode {mode!r} (expected managed or "
                               "data)", where=f"{where}.mode")
    header = {
        "module": _text(resource, "module", source, where, required=False),
        "mode": mode,
        "tf_type": _name(resource, "type", source, where),
        "name": _name(resource, "name", source, where),
        "provider": _text(resource, "provider", source, where, required=False),
    }
    instances = resource.get("instances")
    if not isinstance(instances, list):
        raise StateFormatError(source, "must be a list", where=f"{where}.instances")
    for i, entry in enumerate(instances):
        yield _instance(entry, header, source, f"{where}.instances[{i}]")


def _text(obj: Mapping[str, Any], name: str, source: str, where: str, *,
          required: bool) -> str:
    value = obj.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise StateFormatError(source, f"must be a non-empty string, found {value!r}",
                               where=f"{where}.{name}")
    return value


def _name(obj: Mapping[str, Any], name: str, source: str, where: str) -> str:
    value = _text(obj, name, source, where, required=True)
    if not _NAME.match(value):
        raise StateFormatError(source, f"{value!r} is not a Terraform identifier",
                               where=f"{where}.{name}")
    return value


def _instance(entry: Any, header: dict[str, Any], source: str, where: str) -> Instance:
    if not isinstance(entry, dict):
        raise StateFormatError(source, "must be an object", where=where)
    attributes, flat = _attributes(entry, source, where)
    return Instance(
        **header, index_key=_index_key(entry.get("index_key"), source, where),
        attributes=attributes, flat=flat, where=where,
        sensitive_paths=_sensitive_paths(entry.get("sensitive_attributes"), attributes,
                                         source, where),
        deposed=_deposed(entry.get("deposed"), source, where),
        tainted=_tainted(entry.get("status"), source, where),
        schema_version=_schema_version(entry.get("schema_version"), source, where),
        dependencies=_dependencies(entry, source, where),
        create_before_destroy=entry.get("create_before_destroy") is True)


def _attributes(entry: Mapping[str, Any], source: str,
                where: str) -> tuple[Mapping[str, Any] | None, bool]:
    attributes = entry.get("attributes")
    if attributes is not None:
        if not isinstance(attributes, dict):
            raise StateFormatError(source, "must be an object", where=f"{where}.attributes")
        return attributes, False
    flat = entry.get("attributes_flat")
    if flat is not None:
        if not isinstance(flat, dict):
            raise StateFormatError(source, "must be an object", where=f"{where}.attributes_flat")
        return flat, True
    return None, False  # Terraform reads this as an empty object; so do we, and say so


def _index_key(value: Any, source: str, where: str) -> int | str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise StateFormatError(source, f"invalid instance key {value!r}: expected a number or a "
                           "string", where=f"{where}.index_key")


def _deposed(value: Any, source: str, where: str) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not _DEPOSED_KEY.match(value):
        raise StateFormatError(source, f"invalid deposed key {value!r}: expected 8 hex digits",
                               where=f"{where}.deposed")
    return value


def _tainted(value: Any, source: str, where: str) -> bool:
    if value in (None, ""):
        return False
    if value == "tainted":
        return True
    raise StateFormatError(source, f"invalid status {value!r} (expected \"tainted\" or none)",
                           where=f"{where}.status")


def _schema_version(value: Any, source: str, where: str) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise StateFormatError(source, f"must be a whole number >= 0, found {value!r}",
                           where=f"{where}.schema_version")


def _dependencies(entry: Mapping[str, Any], source: str, where: str) -> tuple[str, ...]:
    # "depends_on" is what Terraform 0.12.0-0.12.x wrote before "dependencies".
    value = entry.get("dependencies", entry.get("depends_on"))
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StateFormatError(source, "must be a list of resource addresses",
                               where=f"{where}.dependencies")
    return tuple(value)


def _sensitive_paths(value: Any, attributes: Mapping[str, Any] | None, source: str,
                     where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(p, list) for p in value):
        raise StateFormatError(source, "must be a list of attribute paths (lists of steps)",
                               where=f"{where}.sensitive_attributes",
                               hint="fetch the state again with `terraform state pull`")
    paths: list[str] = []
    for steps in value:
        path = sensitive_path(steps)
        # An empty path marks the whole object: every attribute is sensitive.
        paths.extend([path] if path else [format_path([k]) for k in attributes or {}])
    return tuple(dict.fromkeys(paths))


def sensitive_path(steps: list[Any]) -> str:
    """One ``sensitive_attributes`` entry as a driftaudit path (``""`` for the whole object)."""
    segments: list[PathSegment] = []
    for step in steps:
        segment = _segment(step)
        if segment is None:
            break  # unreadable step: mark the enclosing value, never leak it
        segments.append(segment)
    if segments and isinstance(segments[0], int):
        return ""
    return format_path(segments) if segments else ""


def _segment(step: Any) -> PathSegment | None:
    if not isinstance(step, dict):
        return None
    kind, value = step.get("type"), step.get("value")
    if kind == "get_attr":
        return value if isinstance(value, str) and value else None
    if kind != "index" or not isinstance(value, dict):
        return None
    key, key_type = value.get("value"), value.get("type")
    if key_type == "number" and isinstance(key, int | float) and not isinstance(key, bool):
        return int(key) if float(key).is_integer() and key >= 0 else None
    if key_type == "string" and isinstance(key, str):
        return key
    return WILDCARD  # a set element, indexed by its whole value: match any element
