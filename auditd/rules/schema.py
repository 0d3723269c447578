"""The JSON Schema of rule packs, generated from the pydantic models.

``rules/schema.json`` is this function's output, committed so editors can
validate packs; a test keeps it current (regenerate with
``python -c "from auditd.rules.schema import schema_text as s; print(s(), end='')"
> rules/schema.json``).
"""

from __future__ import annotations

import json
from typing import Any

from auditd.rules.models import RulePack

__all__ = ["rule_pack_schema", "schema_text"]

SCHEMA_ID = "https://driftaudit.dev/schemas/rule-pack-1.json"


def rule_pack_schema() -> dict[str, Any]:
    schema = RulePack.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            **schema}


def schema_text() -> str:
    return json.dumps(rule_pack_schema(), indent=2, sort_keys=True) + "\n"
