"""Provider configurations: region, account and ``default_tags`` per module instance.

A resource uses the configuration named by its ``provider`` meta-argument
(``aws.west``) or the default configuration of its type's prefix (``aws``).
A child module inherits its caller's default (un-aliased) configurations,
unless the call has a ``providers`` map: then it gets exactly the mapped ones,
as in Terraform.  Provider blocks inside a module add to or replace them.

The resource key takes ``region`` from the configuration when it is a known
string and ``account`` from a literal ``allowed_account_ids[0]``; anything
else leaves the key field empty ("unknown"), never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from auditd.collectors.terraform.evaluate import Evaluator
from auditd.collectors.terraform.evaluate_values import Unknown, is_number, to_string
from auditd.collectors.terraform.expand import Reporter
from auditd.collectors.terraform.hcl_print import render
from auditd.collectors.terraform.modules import Decl

__all__ = ["ProviderConfig", "child_providers", "module_providers", "provider_ref"]


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    name: str  # local name, e.g. "aws"
    alias: str = ""
    region: str = ""
    account: str = ""
    default_tags: Any = None  # dict, Unknown or None
    file: str = ""
    line: int = 0

    @property
    def ref(self) -> str:
        """How the configuration is referenced where it is declared: ``aws`` or ``aws.west``."""
        return f"{self.name}.{self.alias}" if self.alias else self.name


def provider_ref(resource_type: str, body: Mapping[str, Any]) -> str:
    """The configuration a resource uses: its ``provider`` argument or its type's prefix."""
    attr = body["attrs"].get("provider")
    if attr is not None:
        return render(attr["expr"])
    return resource_type.split("_", 1)[0]


def module_providers(decls: Iterable[Decl], evaluator: Evaluator, reporter: Reporter,
                     inherited: Mapping[str, ProviderConfig]) -> dict[str, ProviderConfig]:
    """The configurations visible in a module instance, by reference text."""
    result = dict(inherited)
    for decl in decls:
        config = _provider(decl, evaluator, reporter)
        result[config.ref] = config
    return result


def _provider(decl: Decl, evaluator: Evaluator, reporter: Reporter) -> ProviderConfig:
    attrs = decl.body["attrs"]

    def value(name: str) -> Any:
        return reporter.value(evaluator, attrs[name], decl.file) if name in attrs else None

    alias, region, accounts = value("alias"), value("region"), value("allowed_account_ids")
    return ProviderConfig(
        name=decl.labels[0],
        alias=alias if isinstance(alias, str) else "",
        region=region if isinstance(region, str) and "/" not in region else "",
        account=_first_account(accounts),
        default_tags=_default_tags(decl, evaluator, reporter),
        file=decl.file,
        line=decl.line,
    )


def _first_account(accounts: Any) -> str:
    if isinstance(accounts, list) and accounts:
        first = accounts[0]
        if isinstance(first, str) and first and "/" not in first:
            return first
        if is_number(first):
            return to_string(first)
    return ""


def _default_tags(decl: Decl, evaluator: Evaluator, reporter: Reporter) -> Any:
    block = next((b for b in decl.body["blocks"] if b["type"] == "default_tags"), None)
    if block is None or "tags" not in block["body"]["attrs"]:
        return None
    tags = reporter.value(evaluator, block["body"]["attrs"]["tags"], decl.file)
    return tags if isinstance(tags, dict | Unknown) else None


def child_providers(parent: Mapping[str, ProviderConfig],
                    call_body: Mapping[str, Any]) -> dict[str, ProviderConfig]:
    """The configurations a module call passes to its module."""
    attr = call_body["attrs"].get("providers")
    if attr is None or attr["expr"][0] != "obj":
        return {ref: config for ref, config in parent.items() if "." not in ref}
    result: dict[str, ProviderConfig] = {}
    for key_node, value_node in attr["expr"][1]:
        child_ref = str(key_node[1]) if key_node[0] == "lit" else render(key_node)
        config = parent.get(render(value_node))
        if config is not None:
            name, _, alias = child_ref.partition(".")
            result[child_ref] = replace(config, name=name, alias=alias)
    return result
