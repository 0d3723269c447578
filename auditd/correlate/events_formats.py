"""The three accepted change-event shapes, each mapped to :class:`ChangeEvent` fields.

Every function returns the keyword arguments of ``ChangeEvent`` with
``started_at``/``finished_at`` still raw (the caller parses times) and raises
:class:`EventFormatError` naming the field at fault.  Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from auditd.correlate.events_schema import EXTRA_FIELDS, EventFormatError

__all__ = ["from_datadog", "from_ours", "from_pagerduty"]


def from_ours(item: Mapping[str, Any], warnings: list[str]) -> dict[str, Any]:
    summary = item.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise EventFormatError("summary is missing or not a non-empty string")
    details = dict(_mapping(item.get("details"), "details"))
    for name in EXTRA_FIELDS:
        if name in item and item[name] is not None:
            details[name] = _extra(name, item[name])
    services = _strings(item.get("services"), "services")
    if isinstance(item.get("service"), str) and item["service"] not in services:
        services = (item["service"], *services)
    fields = {"id": _text(item.get("id"), "id"), "kind": _text(item.get("kind"), "kind")
              or "change", "summary": summary.strip(), "services": services,
              "actor": _text(item.get("actor"), "actor"), "links": _links(item.get("links")),
              "resources": _strings(item.get("resources"), "resources"),
              "reviewed": _flag(item.get("reviewed"), "reviewed"),
              "emergency": bool(_flag(item.get("emergency"), "emergency")),
              "details": details, "started_at": item.get("started_at"),
              "finished_at": item.get("finished_at")}
    if item.get("source"):
        fields["source"] = _text(item["source"], "source")
    return fields


def from_pagerduty(item: Mapping[str, Any], payload: Mapping[str, Any], warnings: list[str],
                   received_at: datetime | None) -> dict[str, Any]:
    """PagerDuty Events v2 change event; ``custom_details`` may carry our extra fields."""
    custom = dict(_mapping(payload.get("custom_details"), "payload.custom_details"))
    started = payload.get("timestamp")
    if started in (None, "") and received_at is not None:
        warnings.append("payload.timestamp is missing; using the time it was received")
        started = received_at.isoformat()
    elif started in (None, ""):
        raise EventFormatError("payload.timestamp is missing")
    services = _strings(custom.pop("services", None), "custom_details.services")
    if isinstance(custom.get("service"), str):
        services = (custom.pop("service"), *services)
    if not services:
        warnings.append("no service named (custom_details.service); the change is matched "
                        "by its resources only")
    details = {"pagerduty_source": payload.get("source"), **custom}
    return {"id": _text(custom.pop("id", None), "custom_details.id"),
            "kind": _text(custom.pop("kind", None), "custom_details.kind") or "change",
            "summary": _text(payload.get("summary"), "payload.summary") or "(no summary)",
            "services": services, "actor": _text(custom.get("actor"), "custom_details.actor"),
            "links": _links(item.get("links")), "source": "pagerduty",
            "resources": _strings(custom.get("resources"), "custom_details.resources"),
            "details": details, "started_at": started, "finished_at": None}


def from_datadog(item: Mapping[str, Any], attrs: Mapping[str, Any],
                 warnings: list[str]) -> dict[str, Any]:
    """Datadog change event: ``changed_resource``, ``impacted_resources``, ``author``, values."""
    outer = _outer_datadog(item)
    changed = _mapping(attrs.get("changed_resource"), "changed_resource")
    name = _text(changed.get("name"), "changed_resource.name") or ""
    kind = _text(changed.get("type"), "changed_resource.type") or "change"
    impacted = attrs.get("impacted_resources") or []
    if not isinstance(impacted, list):
        raise EventFormatError("impacted_resources must be a list")
    services = tuple(str(r["name"]) for r in impacted
                     if isinstance(r, Mapping) and r.get("type") == "service" and r.get("name"))
    author = attrs.get("author")
    started = outer.get("timestamp") or attrs.get("timestamp")
    if started in (None, ""):
        raise EventFormatError("timestamp is missing (data.attributes.timestamp)")
    details = {"prev_value": attrs.get("prev_value"), "new_value": attrs.get("new_value"),
               "change_metadata": attrs.get("change_metadata"), "changed_resource": dict(changed)}
    if kind == "service" and name and name not in services:
        services = (name, *services)
    return {"id": _text(outer.get("aggregation_key") or item.get("id"), "aggregation_key"),
            "kind": kind, "summary": _text(outer.get("title"), "title") or f"{kind} {name}",
            "services": services, "resources": (name,) if name else (),
            "actor": _text(author.get("name"), "author.name") if isinstance(author, Mapping)
            else None, "source": "datadog", "details": details, "started_at": started,
            "finished_at": None, "links": (), "reviewed": None, "emergency": False}


def _outer_datadog(item: Mapping[str, Any]) -> Mapping[str, Any]:
    data = item.get("data")
    if isinstance(data, Mapping) and isinstance(data.get("attributes"), Mapping):
        return dict(data["attributes"])
    return item


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise EventFormatError(f"{name} must be an object")
    return dict(value)


def _text(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    raise EventFormatError(f"{name} must be a string")


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EventFormatError(f"{name} must be a list of strings")
    return tuple(value)


def _links(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise EventFormatError("links must be a list")
    out = [v if isinstance(v, str) else v.get("href") for v in value
           if isinstance(v, str | Mapping)]
    return tuple(str(v) for v in out if v)


def _flag(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise EventFormatError(f"{name} must be true or false")


def _extra(name: str, value: Any) -> Any:
    if name == "rollout":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise EventFormatError("rollout must be a number between 0 and 1")
    elif name == "size" and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise EventFormatError("size must be a positive integer")
    elif name == "tags":
        return {str(k): str(v) for k, v in _mapping(value, "tags").items()}
    elif name in ("out_of_band", "stateful", "irreversible", "drift"):
        _flag(value, name)
    return value
