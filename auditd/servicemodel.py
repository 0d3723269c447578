"""Service model files: TOML, YAML or JSON services, or a CSV/JSON edge list.

A services file (``.toml``, ``.yaml``/``.yml``, ``.json``)::

    [services.checkout]
    calls = ["payments", "inventory"]          # who this service calls
    tags = { service = "checkout" }            # resources carrying all these tags
    addresses = ["module.checkout.*"]          # globs over Terraform addresses / key texts
    accounts = ["123456789012/eu-west-1"]      # account or account/region (globs)
    images = ["123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout"]

An optional top-level ``dependencies = [{caller = "web", callee = "checkout"}]``
(or ``[["web", "checkout"]]``) adds edges.  An edge list alone is a CSV file
with a ``caller,callee`` header (``from,to`` and ``source,target`` work too)
or a JSON array of pairs or ``{caller, callee}`` objects.  A service named only
in an edge is added bare, with a warning.  YAML needs PyYAML installed.

Reads files; builds the pure :class:`~auditd.correlate.topology.ServiceModel`.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditd.correlate.topology import ServiceModel, ServiceSpec
from auditd.errors import ConfigError

__all__ = ["LoadedServices", "load_services", "parse_services"]

_EDGE_HEADERS = (("caller", "callee"), ("from", "to"), ("source", "target"))
_SPEC_LISTS = ("calls", "addresses", "accounts", "images")


@dataclass(frozen=True, slots=True)
class LoadedServices:
    model: ServiceModel
    warnings: tuple[str, ...]


def load_services(path: Path) -> LoadedServices:
    """Read a services file or edge list; the format follows the file name's suffix."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read services file {path}: {exc}",
                          hint="check the path given for the service model") from None
    return parse_services(text, path.suffix.lower().lstrip(".") or "toml", name=str(path))


def parse_services(text: str, fmt: str, *, name: str = "<services>") -> LoadedServices:
    """``fmt``: toml, yaml, yml, json or csv."""
    if fmt == "csv":
        return _build({}, _csv_edges(text, name), name)
    data = _decode(text, fmt, name)
    if isinstance(data, list):
        return _build({}, _edge_items(data, name), name)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{name}: expected a table of services or a list of edges")
    services = data.get("services", {})
    if not isinstance(services, Mapping):
        raise ConfigError(f"{name}: 'services' must be a table keyed by service name")
    return _build(services, _edge_items(data.get("dependencies", []), name), name)


def _decode(text: str, fmt: str, name: str) -> Any:
    try:
        if fmt == "toml":
            return tomllib.loads(text)
        if fmt == "json":
            return json.loads(text)
        if fmt in ("yaml", "yml"):
            return _yaml(name).safe_load(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{name}: not valid {fmt.upper()}: {exc}") from None
    except Exception as exc:  # PyYAML's YAMLError has no stub to name it by
        raise ConfigError(f"{name}: not valid YAML: {exc}") from None
    raise ConfigError(f"{name}: unknown services format {fmt!r}",
                      hint="use .toml, .yaml, .json or a .csv edge list")


def _yaml(name: str) -> Any:
    try:
        return importlib.import_module("yaml")
    except ImportError:
        raise ConfigError(f"{name}: YAML services files need PyYAML",
                          hint="pip install PyYAML, or write the file as TOML") from None


def _csv_edges(text: str, name: str) -> list[tuple[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    pair = next((p for p in _EDGE_HEADERS if set(p) <= set(header)), None)
    if pair is None:
        raise ConfigError(f"{name}: an edge list needs a caller,callee header; found {header}")
    edges = []
    for row in reader:
        clean = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if clean.get(pair[0]) and clean.get(pair[1]):
            edges.append((clean[pair[0]], clean[pair[1]]))
    return edges


def _edge_items(items: Any, name: str) -> list[tuple[str, str]]:
    if not isinstance(items, list):
        raise ConfigError(f"{name}: dependencies must be a list of edges")
    edges = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, Mapping) and item.get("caller") and item.get("callee"):
            edges.append((str(item["caller"]), str(item["callee"])))
        elif isinstance(item, list | tuple) and len(item) == 2:
            edges.append((str(item[0]), str(item[1])))
        else:
            raise ConfigError(f"{name}: edge {number} is neither [caller, callee] nor "
                              f"{{caller, callee}}: {item!r}")
    return edges


def _build(services: Mapping[str, Any], edges: list[tuple[str, str]],
           name: str) -> LoadedServices:
    specs = {str(n): _spec(str(n), body, name) for n, body in services.items()}
    calls = {n: list(s.calls) for n, s in specs.items()}
    warnings = []
    for caller, callee in edges:
        calls.setdefault(caller, [])
        if callee not in calls[caller]:
            calls[caller].append(callee)
    for service in sorted({c for cs in calls.values() for c in cs} - set(calls)):
        warnings.append(f"{name}: {service} is called but not declared; added without "
                        "resources")
        calls[service] = []
    built = [ServiceSpec(n, tuple(cs), **_selectors(specs.get(n))) for n, cs in calls.items()]
    return LoadedServices(ServiceModel(built), tuple(warnings))


def _selectors(spec: ServiceSpec | None) -> dict[str, Any]:
    if spec is None:
        return {}
    return {"tags": spec.tags, "addresses": spec.addresses, "accounts": spec.accounts,
            "images": spec.images}


def _spec(service: str, body: Any, name: str) -> ServiceSpec:
    if body is None:
        body = {}
    if not isinstance(body, Mapping):
        raise ConfigError(f"{name}: services.{service} must be a table")
    lists = {}
    for key in _SPEC_LISTS:
        value = body.get(key, [])
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{name}: services.{service}.{key} must be a list of strings")
        lists[key] = tuple(value)
    tags = body.get("tags", {})
    if not isinstance(tags, Mapping):
        raise ConfigError(f"{name}: services.{service}.tags must be a table of strings")
    return ServiceSpec(service, lists["calls"], {str(k): str(v) for k, v in tags.items()},
                       lists["addresses"], lists["accounts"], lists["images"])
