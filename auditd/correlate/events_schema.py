"""Our change-event format: its JSON Schema and the error a bad event raises.

The schema is documented in ``docs/correlation.md``; :data:`CHANGE_EVENT_SCHEMA`
is the machine-readable form (JSON Schema 2020-12) the API can publish.
Pure data.
"""

from __future__ import annotations

from typing import Any

from auditd.errors import InputError

__all__ = ["CHANGE_EVENT_SCHEMA", "EXTRA_FIELDS", "EventFormatError"]

EXTRA_FIELDS = ("rollout", "version", "previous_version", "out_of_band", "stateful",
                "irreversible", "size", "tags", "drift")


class EventFormatError(InputError):
    """One change event cannot be read; the message says which field and why."""


_STRINGS = {"type": "array", "items": {"type": "string"}}
_TIME = {"type": ["string", "number"],
         "description": "ISO-8601 (a zone is expected; none means UTC) or epoch s/ms"}

CHANGE_EVENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://driftaudit.dev/schemas/change-event/v1",
    "title": "driftaudit change event v1",
    "type": "object",
    "required": ["summary", "started_at"],
    "properties": {
        "id": {"type": "string", "description": "unique within source; default: content hash"},
        "kind": {"type": "string", "description": "deploy, config, feature-flag, migration, "
                 "terraform-apply, ...; default change"},
        "summary": {"type": "string", "minLength": 1},
        "source": {"type": "string", "description": "the sending system; default: the "
                   "ingest channel"},
        "service": {"type": "string"},
        "services": _STRINGS,
        "started_at": _TIME,
        "finished_at": _TIME,
        "actor": {"type": "string"},
        "links": {"type": "array", "items": {"type": ["string", "object"]}},
        "resources": {**_STRINGS, "description": "resource keys, Terraform addresses or "
                      "image references"},
        "rollout": {"type": "number", "minimum": 0, "maximum": 1,
                    "description": "fraction rolled out, when known"},
        "version": {"type": "string"},
        "previous_version": {"type": "string", "description": "what a rollback returns to"},
        "reviewed": {"type": "boolean"},
        "emergency": {"type": "boolean"},
        "out_of_band": {"type": "boolean", "description": "made outside the normal pipeline"},
        "stateful": {"type": "boolean"},
        "irreversible": {"type": "boolean"},
        "size": {"type": "integer", "minimum": 1},
        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        "details": {"type": "object"},
    },
    "additionalProperties": True,
}
