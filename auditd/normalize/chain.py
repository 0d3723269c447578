"""The chain itself: an ordered list of small pure steps, and the entry points.

Order matters: references are put in their short form first (a secret or a
document never holds one), JSON documents are parsed before secrets are
fingerprinted (so a secret's fingerprint does not depend on its whitespace), and
canonicalisation runs last (so fingerprints and parsed documents are sorted like
everything else).  Bump :data:`NORMALIZER_VERSION` whenever a step's output changes: the
store keys its fast path on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from auditd.model import Resource
from auditd.normalize.canonical import canonical_value, canonicalise, content_hash
from auditd.normalize.documents import parse_json_documents
from auditd.normalize.references import short_references
from auditd.normalize.secrets import Fingerprinter, fingerprint_secrets
from auditd.normalize.typerules import TypeRules, rules_for
from auditd.paths import PathSegment

__all__ = ["CHAIN", "NORMALIZER_VERSION", "Step", "normalize_attrs", "normalize_resource"]

# 2: secrets canonicalised before fingerprinting, blank secrets kept blank, policy
#    statements sorted on their final form, policies nested in blocks parsed.
# 6: an ECS service's cluster and task_definition in their short forms (references.py).
# 7: an ECS service's iam_role as the role's name (references.py).
NORMALIZER_VERSION = 7

Attrs = dict[str, Any]
Step = Callable[[Mapping[str, Any], TypeRules, Sequence[str], Fingerprinter], Attrs]


def drop_volatile(attrs: Mapping[str, Any], rules: TypeRules, _sensitive: Sequence[str],
                  _fp: Fingerprinter) -> Attrs:
    return {k: v for k, v in attrs.items() if k not in rules.volatile_fields}


def short_forms(attrs: Mapping[str, Any], rules: TypeRules, _sensitive: Sequence[str],
                _fp: Fingerprinter) -> Attrs:
    return short_references(attrs, rules.value_forms) if rules.value_forms else dict(attrs)


def parse_documents(attrs: Mapping[str, Any], rules: TypeRules, _sensitive: Sequence[str],
                    _fp: Fingerprinter) -> Attrs:
    return parse_json_documents(attrs, rules.json_fields)


def hide_secrets(attrs: Mapping[str, Any], rules: TypeRules, sensitive: Sequence[str],
                 fp: Fingerprinter) -> Attrs:
    def canonical_secret(value: Any, path: tuple[PathSegment, ...]) -> Any:
        return canonical_value(value, rules.set_fields, path)

    return fingerprint_secrets(attrs, fp, sensitive, rules.secret_fields, canonical_secret)


def canonical_form(attrs: Mapping[str, Any], rules: TypeRules, _sensitive: Sequence[str],
                   _fp: Fingerprinter) -> Attrs:
    return canonicalise(attrs, rules.set_fields)


CHAIN: tuple[Step, ...] = (drop_volatile, short_forms, parse_documents, hide_secrets,
                           canonical_form)


def normalize_attrs(tf_type: str, attrs: Mapping[str, Any], fingerprint: Fingerprinter,
                    sensitive_paths: Sequence[str] = ()) -> Attrs:
    """Run the whole chain on one resource's attributes."""
    rules = rules_for(tf_type)
    result: Attrs = dict(attrs)
    for step in CHAIN:
        result = step(result, rules, sensitive_paths, fingerprint)
    return result


def normalize_resource(resource: Resource, fingerprint: Fingerprinter) -> Resource:
    """The resource with canonical attributes and its content hash filled in."""
    attrs = normalize_attrs(resource.key.tf_type, resource.attrs, fingerprint,
                            resource.sensitive_paths)
    return replace(resource, attrs=attrs, content_hash=content_hash(attrs), sensitive_paths=())
