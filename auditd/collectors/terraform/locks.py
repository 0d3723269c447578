"""Dependency pins as declared resources: provider locks and module versions.

- every provider of a root's ``.terraform.lock.hcl`` becomes a resource
  ``terraform / terraform_provider_lock / <provider address>`` with
  ``{version, constraints, hashes}`` (hashes sorted);
- every module call whose source is not a local folder (registry, git, http...)
  becomes ``terraform / terraform_module / <module path>`` with ``{source, version}``.

Both go into the root's declared snapshot, so an update is an ordinary change
the store records (the daemon labels it a dependency change).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.terraform.evaluate import Evaluator
from auditd.collectors.terraform.evaluate_values import to_output
from auditd.collectors.terraform.expand import Reporter
from auditd.model import Origin, Resource, ResourceKey

__all__ = ["LOCK_TYPE", "MODULE_TYPE", "PIN_PROVIDER", "lock_resources", "module_pin"]

PIN_PROVIDER = "terraform"
LOCK_TYPE = "terraform_provider_lock"
MODULE_TYPE = "terraform_module"


def lock_resources(path: str, doc: Mapping[str, Any], reporter: Reporter) -> list[Resource]:
    """The provider pins of one lock file."""
    constant = Evaluator({})
    out = []
    for block in doc["body"]["blocks"]:
        if block["type"] != "provider" or len(block["labels"]) != 1:
            continue
        attrs = block["body"]["attrs"]
        values = {name: reporter.value(constant, attrs[name], path)
                  for name in ("version", "constraints", "hashes") if name in attrs}
        if isinstance(values.get("hashes"), list):
            values["hashes"] = sorted(values["hashes"], key=str)
        address = block["labels"][0]
        out.append(Resource(key=ResourceKey(PIN_PROVIDER, LOCK_TYPE, address),
                            attrs=to_output(values), origin=Origin.DECLARED,
                            provenance={"file": path, "line": block["line"]}))
    return out


def module_pin(module_path: str, source: str, version: Any, file: str, line: int) -> Resource:
    """The pin of a module call with a non-local source (``version`` may be None or unknown)."""
    return Resource(key=ResourceKey(PIN_PROVIDER, MODULE_TYPE, module_path),
                    attrs=to_output({"source": source, "version": version}),
                    origin=Origin.DECLARED, address=module_path,
                    provenance={"file": file, "line": line, "expanded": False})
