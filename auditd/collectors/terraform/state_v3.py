"""State format version 3 (Terraform 0.7 to 0.11): ``modules[].resources{}`` to :class:`Instance`.

Read the way Terraform's own v3→v4 upgrade reads it: a module path
``["root", "a", "b"]`` is ``module.a.module.b``; a resource key
``aws_instance.web.2`` is ``aws_instance.web[2]`` (no index: no key);
``data.`` keys are data sources.  Attributes stay in the legacy *flatmap* form
(``"tags.%": "1"``, ``"tags.Name": "web"``, every value a string) because only
the provider's schema can turn them back into typed values; the provenance says
``attributes_format: flatmap``.  Deposed objects get the deterministic keys
``00000000``, ``00000001``... in list order (Terraform invents random ones).
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from auditd.collectors.terraform.state_instances import Instance
from auditd.collectors.terraform.state_types import StateFormatError

__all__ = ["read_v3_instances"]

_MIN_KEY_PARTS = 2
_MAX_KEY_PARTS = 3


def read_v3_instances(raw: Mapping[str, Any], source: str) -> list[Instance]:
    modules = raw.get("modules")
    if modules is None:
        return []
    if not isinstance(modules, list):
        raise StateFormatError(source, "must be a list", where="modules")
    out: list[Instance] = []
    for m_index, module in enumerate(modules):
        out.extend(_module_instances(module, source, f"modules[{m_index}]"))
    return out


def _module_instances(module: Any, source: str, where: str) -> Iterator[Instance]:
    if not isinstance(module, dict):
        raise StateFormatError(source, "must be an object", where=where)
    prefix = _module_address(module.get("path"), source, f"{where}.path")
    resources = module.get("resources") or {}
    if not isinstance(resources, dict):
        raise StateFormatError(source, "must be an object", where=f"{where}.resources")
    for key, resource in resources.items():
        yield from _resource_objects(prefix, key, resource, source,
                                     f'{where}.resources["{key}"]')


def _module_address(path: Any, source: str, where: str) -> str:
    if not isinstance(path, list) or not path or path[0] != "root" or not all(
            isinstance(p, str) and p for p in path):
        raise StateFormatError(source, f"expected a module path like [\"root\", \"child\"], "
                               f"found {path!r}", where=where)
    return ".".join(f"module.{name}" for name in path[1:])


def _parse_key(key: str, source: str, where: str) -> tuple[str, str, str, int | None]:
    """``data.aws_ami.x.1`` → (mode, type, name, index), as Terraform's v3 reader parses it."""
    parts = key.split(".")
    mode = "managed"
    if len(parts) > _MIN_KEY_PARTS and parts[0] == "data":
        mode, parts = "data", parts[1:]
    if not _MIN_KEY_PARTS <= len(parts) <= _MAX_KEY_PARTS or not all(parts):
        raise StateFormatError(source, f"invalid resource key {key!r}: expected "
                               "TYPE.NAME or TYPE.NAME.INDEX", where=where)
    index = None
    if len(parts) == _MAX_KEY_PARTS:
        if not parts[2].isdigit():
            raise StateFormatError(source, f"invalid index {parts[2]!r} in resource key "
                                   f"{key!r}", where=where)
        index = int(parts[2])
    return mode, parts[0], parts[1], index


def _resource_objects(module: str, key: str, resource: Any, source: str,
                      where: str) -> Iterator[Instance]:
    mode, tf_type, name, index = _parse_key(key, source, where)
    if not isinstance(resource, dict):
        raise StateFormatError(source, "must be an object", where=where)
    common: dict[str, Any] = {
        "module": module, "mode": mode, "tf_type": tf_type, "name": name, "index_key": index,
        "provider": _string(resource.get("provider"), source, f"{where}.provider"),
        "dependencies": _strings(resource.get("depends_on"), source, f"{where}.depends_on"),
    }
    primary = resource.get("primary")
    if primary is not None:
        yield _object(primary, common, "", source, f"{where}.primary")
    deposed = resource.get("deposed") or []
    if not isinstance(deposed, list):
        raise StateFormatError(source, "must be a list", where=f"{where}.deposed")
    for i, obj in enumerate(deposed):
        yield _object(obj, common, f"{i:08x}", source, f"{where}.deposed[{i}]")


def _object(obj: Any, common: dict[str, Any], deposed: str, source: str,
            where: str) -> Instance:
    if not isinstance(obj, dict):
        raise StateFormatError(source, "must be an object", where=where)
    attributes = obj.get("attributes")
    if attributes is not None and not isinstance(attributes, dict):
        raise StateFormatError(source, "must be an object", where=f"{where}.attributes")
    rid = obj.get("id")
    if attributes is not None and "id" not in attributes and isinstance(rid, str) and rid:
        attributes = {**attributes, "id": rid}
    elif attributes is None and isinstance(rid, str) and rid:
        attributes = {"id": rid}
    return Instance(**common, attributes=attributes, flat=attributes is not None, where=where,
                    deposed=deposed, tainted=obj.get("tainted") is True,
                    schema_version=_schema_version(obj.get("meta")))


def _schema_version(meta: Any) -> int | None:
    value = meta.get("schema_version") if isinstance(meta, dict) else None
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _string(value: Any, source: str, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise StateFormatError(source, f"must be a string, found {value!r}", where=where)
    return value


def _strings(value: Any, source: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StateFormatError(source, "must be a list of strings", where=where)
    return tuple(value)
