"""One resource instance object of a state, and how it becomes a :class:`~auditd.model.Resource`.

Both state formats (v3 and v4) are read into :class:`Instance` records; this
module gives every record its identity the way Terraform and the live
collectors do:

* the address, formatted exactly like Terraform (``module.a["x"].aws_instance.web[0]``;
  string keys quoted and escaped like HCL, deposed objects suffixed
  ``(deposed object 0a1b2c3d)`` as in Terraform's plan output);
* the provider local name from the provider configuration string
  (``provider["registry.terraform.io/hashicorp/aws"].west`` → ``aws``);
* the id from the ``id`` attribute, else the address (said in provenance); types whose
  Terraform id is random (:func:`~auditd.normalize.typerules.import_id`) are keyed
  by their import id instead, as the live collector keys them;
* account and region from the ARN (``arn`` attribute, or an ``id`` that is an
  ARN), then the ``region`` attribute, then the caller's defaults.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditd.collectors.terraform.state_types import StateDefaults, StateFormatError
from auditd.model import Origin, Resource, ResourceKey
from auditd.normalize.secrets import is_secret_name
from auditd.normalize.typerules import import_id
from auditd.paths import format_path

__all__ = ["GLOBAL_SERVICES", "Instance", "format_index_key", "provider_name", "to_resource"]

# AWS services whose ARNs carry no region because the service itself is global.
GLOBAL_SERVICES = frozenset({"iam", "sts", "route53", "cloudfront", "organizations", "waf",
                             "shield", "globalaccelerator", "networkmanager", "budgets", "ce",
                             "account"})
_GLOBAL_TYPE_PREFIXES = ("aws_iam_", "aws_route53_", "aws_cloudfront_", "aws_organizations_",
                         "aws_shield_", "aws_globalaccelerator_")
_REGIONAL_TYPE_PREFIXES = ("aws_route53_resolver_",)
_ARN = re.compile(r"arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):"
                  r"(?P<region>[a-z0-9-]*):(?P<account>[^:]*):")
_ACCOUNT = re.compile(r"\d{12}\Z")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z0-9]+)+-\d+\Z")
_PROVIDER = re.compile(r'(?:\A|\.)provider(?:\["(?P<fqn>[^"]+)"\]|\.(?P<legacy>[A-Za-z0-9_-]+))'
                       r'(?:\.(?P<alias>[A-Za-z0-9_-]+))?\Z')


@dataclass(frozen=True, slots=True)
class Instance:
    """One object of one resource instance, as either state format describes it."""

    module: str  # "" for the root module, else "module.a.module.b[0]"
    mode: str  # "managed" or "data"
    tf_type: str
    name: str
    provider: str  # the provider configuration string as written in the state
    index_key: int | str | None
    attributes: Mapping[str, Any] | None  # None: the instance had no attributes at all
    where: str  # JSON location, for messages: resources[3].instances[0]
    flat: bool = False  # legacy flatmap attributes ("tags.%": "1")
    sensitive_paths: tuple[str, ...] = ()
    deposed: str = ""
    tainted: bool = False
    schema_version: int | None = None
    dependencies: tuple[str, ...] = ()
    create_before_destroy: bool = False

    @property
    def address(self) -> str:
        """Terraform's address of the instance (without the deposed suffix)."""
        base = f"{self.tf_type}.{self.name}" if self.mode == "managed" else (
            f"data.{self.tf_type}.{self.name}")
        prefix = f"{self.module}." if self.module else ""
        return prefix + base + format_index_key(self.index_key)

    @property
    def object_address(self) -> str:
        """The address, with ``(deposed object KEY)`` for a deposed object."""
        suffix = f" (deposed object {self.deposed})" if self.deposed else ""
        return self.address + suffix


def format_index_key(key: int | str | None) -> str:
    if key is None:
        return ""
    if isinstance(key, int):
        return f"[{key}]"
    return f"[{_hcl_quoted(key)}]"


def _hcl_quoted(text: str) -> str:
    """A string as Terraform prints instance keys: HCL quoting, ``${``/``%{`` doubled."""
    out = ['"']
    for i, char in enumerate(text):
        escaped = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char in "$%":
            out.append(char * 2 if text[i + 1:i + 2] == "{" else char)
        elif not char.isprintable():
            code = ord(char)
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def provider_name(provider: str, tf_type: str) -> str:
    """The provider's local name: ``aws`` from ``provider["registry.terraform.io/hashicorp/aws"]``.

    Falls back to Terraform's implied provider (the type's prefix, ``aws`` for
    ``aws_instance``) when the string is absent or not understood.
    """
    match = _PROVIDER.search(provider)
    if match is not None:
        return (match.group("fqn") or "").rsplit("/", 1)[-1] or match.group("legacy") or ""
    return tf_type.split("_", 1)[0]


def _provider_config(provider: str, name: str) -> str:
    """``aws.west`` for an aliased configuration, ``aws`` otherwise."""
    match = _PROVIDER.search(provider)
    alias = match.group("alias") if match is not None else None
    return f"{name}.{alias}" if alias else name


def to_resource(instance: Instance, defaults: StateDefaults, source: str) -> Resource:
    attrs = dict(instance.attributes or {})
    provider = provider_name(instance.provider, instance.tf_type)
    rid, id_source = _resource_id(instance, attrs)
    account, region, located_by = _locate(instance, attrs, provider, defaults)
    try:
        key = ResourceKey(provider=provider, tf_type=instance.tf_type, id=rid, account=account,
                          region=region)
    except ValueError as exc:
        raise StateFormatError(source, str(exc), where=instance.where) from None
    return Resource(key=key, attrs=attrs, origin=Origin.STATE, address=instance.object_address,
                    sensitive_paths=_sensitive_paths(instance, attrs),
                    provenance=_provenance(instance, id_source, located_by))


def _resource_id(instance: Instance, attrs: Mapping[str, Any]) -> tuple[str, str]:
    imported = import_id(instance.tf_type, attrs)
    if imported is not None:  # a random Terraform id AWS cannot know: key as imported
        return imported, "import-id"
    value = attrs.get("id")
    if isinstance(value, str) and value:
        return value, "id"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value), "id"
    return instance.object_address, "address"


def _locate(instance: Instance, attrs: Mapping[str, Any], provider: str,
            defaults: StateDefaults) -> tuple[str, str, str]:
    """(account, region, how) for the instance's key."""
    uses_defaults = provider in defaults.providers
    arn = _arn_of(attrs)
    account = arn.group("account") if arn and _ACCOUNT.match(arn.group("account")) else (
        defaults.account if uses_defaults else "")
    if arn and arn.group("region"):
        return account, arn.group("region"), "arn"
    if (arn and arn.group("service") in GLOBAL_SERVICES) or _global_type(instance.tf_type):
        return account, "global", "arn" if arn else "type"
    region = attrs.get("region")
    if isinstance(region, str) and _REGION.match(region):
        return account, region, "attributes.region"
    if not uses_defaults:
        return account, "", "arn" if arn else "none"
    config = _provider_config(instance.provider, provider)
    configured = defaults.provider_regions.get(config) or defaults.provider_regions.get(provider)
    return account, configured or defaults.region, "provider" if configured else "defaults"


def _arn_of(attrs: Mapping[str, Any]) -> re.Match[str] | None:
    for name in ("arn", "id"):
        value = attrs.get(name)
        if isinstance(value, str):
            match = _ARN.match(value)
            if match is not None:
                return match
    return None


def _global_type(tf_type: str) -> bool:
    return tf_type.startswith(_GLOBAL_TYPE_PREFIXES) and not tf_type.startswith(
        _REGIONAL_TYPE_PREFIXES)


def _sensitive_paths(instance: Instance, attrs: Mapping[str, Any]) -> tuple[str, ...]:
    """The state's sensitive paths, plus (flatmap only) nested keys with secret names.

    The normaliser recognises secret names at any depth of nested JSON, but a
    flatmap key such as ``master.0.password`` is one opaque name to it.
    """
    paths = list(instance.sensitive_paths)
    if instance.flat:
        paths += [format_path([name]) for name in attrs
                  if any(is_secret_name(part) for part in name.split("."))]
    return tuple(dict.fromkeys(paths))


def _provenance(instance: Instance, id_source: str, located_by: str) -> dict[str, Any]:
    provenance: dict[str, Any] = {
        "address": instance.object_address,
        "provider": instance.provider,
        "mode": instance.mode,
        "module": instance.module,
        "index_key": instance.index_key,
        "schema_version": instance.schema_version,
        "status": "tainted" if instance.tainted else "ready",
        "deposed": instance.deposed or None,
        "dependencies": list(instance.dependencies),
        "create_before_destroy": instance.create_before_destroy,
        "id_source": id_source,
        "location_source": located_by,
    }
    if instance.flat:
        provenance["attributes_format"] = "flatmap"
    if instance.attributes is None:
        provenance["attributes_missing"] = True
    return provenance
