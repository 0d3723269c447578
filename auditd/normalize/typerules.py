"""Per-Terraform-type knowledge the normaliser needs: which lists are sets, which fields
are volatile, which hold JSON documents, which are secret, which name another resource
in a form the configuration chose (:mod:`auditd.normalize.references`); and, for the few
types whose Terraform id cannot be known from AWS, the id both sides key them by
(:func:`import_id`).

A type without an entry gets :data:`DEFAULT_RULES`.  Collectors for new types
register their rules here (one call, next to the type's collector class).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditd.normalize.references import (
    ValueForms,
    cluster_name,
    role_name,
    task_definition_revision,
)

__all__ = ["DEFAULT_RULES", "IMPORT_ID_TYPES", "TypeRules", "import_id", "register_type_rules",
           "rules_for"]

# List-valued attributes that Terraform's AWS provider models as sets: their order
# carries no meaning, so they are sorted before hashing.
COMMON_SET_FIELDS = frozenset(
    {
        "aliases",
        "availability_zones",
        "cidr_blocks",
        "egress",
        "ingress",
        "ipv6_cidr_blocks",
        "prefix_list_ids",
        "records",
        "security_group_ids",
        "security_groups",
        "subnet_ids",
        "vpc_security_group_ids",
        "vpc_zone_identifier",
        "managed_policy_arns",
        "enabled_cloudwatch_logs_exports",
        "layers",
    }
)

# Attributes whose value is a JSON document kept as a string.
COMMON_JSON_FIELDS = frozenset(
    {
        "policy",
        "assume_role_policy",
        "access_policies",
        "redrive_policy",
        "redrive_allow_policy",
        "delivery_policy",
        "container_definitions",
        "definition",
        "event_pattern",
    }
)

# Attributes that change on their own and say nothing about configuration.
COMMON_VOLATILE_FIELDS = frozenset({"last_modified", "last_updated", "timeouts"})


@dataclass(frozen=True, slots=True)
class TypeRules:
    set_fields: frozenset[str] = COMMON_SET_FIELDS
    json_fields: frozenset[str] = COMMON_JSON_FIELDS
    volatile_fields: frozenset[str] = COMMON_VOLATILE_FIELDS
    secret_fields: frozenset[str] = field(default_factory=frozenset)
    # Top-level attributes compared in a short form (references.py): (name, form) pairs.
    value_forms: ValueForms = ()

    def extended(
        self,
        *,
        set_fields: frozenset[str] = frozenset(),
        json_fields: frozenset[str] = frozenset(),
        volatile_fields: frozenset[str] = frozenset(),
        secret_fields: frozenset[str] = frozenset(),
        value_forms: ValueForms = (),
    ) -> TypeRules:
        return TypeRules(
            set_fields=self.set_fields | set_fields,
            json_fields=self.json_fields | json_fields,
            volatile_fields=self.volatile_fields | volatile_fields,
            secret_fields=self.secret_fields | secret_fields,
            value_forms=(*self.value_forms, *value_forms),
        )


DEFAULT_RULES = TypeRules()

_REGISTRY: dict[str, TypeRules] = {
    "aws_instance": DEFAULT_RULES.extended(
        volatile_fields=frozenset({"instance_state", "public_dns", "public_ip", "private_dns",
                                   "password_data", "primary_network_interface_id"}),
    ),
    "aws_db_instance": DEFAULT_RULES.extended(
        volatile_fields=frozenset({"latest_restorable_time", "status", "replicas"}),
        secret_fields=frozenset({"password"}),
    ),
    "aws_lambda_function": DEFAULT_RULES.extended(
        volatile_fields=frozenset({"last_modified", "qualified_arn", "qualified_invoke_arn",
                                   "version"}),
    ),
    "aws_s3_bucket": DEFAULT_RULES.extended(
        volatile_fields=frozenset({"bucket_domain_name", "bucket_regional_domain_name"}),
    ),
    # Sets in the AWS provider's schema: registered here, not by the live collector, so a
    # process that reads only tfstate hashes them the same way.
    "aws_route_table": DEFAULT_RULES.extended(
        set_fields=frozenset({"route", "propagating_vgws"}),
    ),
    "aws_dynamodb_table": DEFAULT_RULES.extended(
        set_fields=frozenset({"attribute", "global_secondary_index", "local_secondary_index"}),
    ),
    "aws_route53_zone": DEFAULT_RULES.extended(set_fields=frozenset({"vpc"})),
    "aws_ecs_cluster": DEFAULT_RULES.extended(set_fields=frozenset({"setting"})),
    "aws_lb": DEFAULT_RULES.extended(set_fields=frozenset({"subnets", "subnet_mapping"})),
    # cluster, task_definition and iam_role: an ARN or a name / family:revision, as
    # configured (the provider saves them "in the same format"); AWS answers ARNs.
    # Compared short.
    "aws_ecs_service": DEFAULT_RULES.extended(
        set_fields=frozenset({"load_balancer", "subnets", "capacity_provider_strategy"}),
        volatile_fields=frozenset({"desired_count_actual", "running_count", "pending_count"}),
        value_forms=(("cluster", cluster_name), ("task_definition", task_definition_revision),
                     ("iam_role", role_name)),
    ),
    # Containers, their environment and secrets: orders the provider itself sorts by name
    # (older providers kept the configured order), so they mean nothing.
    "aws_ecs_task_definition": DEFAULT_RULES.extended(
        set_fields=frozenset({"requires_compatibilities", "volume", "placement_constraints",
                              "container_definitions", "environment", "secrets"}),
    ),
    "aws_lb_listener": DEFAULT_RULES.extended(set_fields=frozenset({"target_group"})),
    "aws_s3_bucket_server_side_encryption_configuration": DEFAULT_RULES.extended(
        set_fields=frozenset({"rule"}),
    ),
}


def register_type_rules(tf_type: str, rules: TypeRules) -> None:
    """Register (or replace) the rules of one Terraform type."""
    _REGISTRY[tf_type] = rules


def rules_for(tf_type: str) -> TypeRules:
    return _REGISTRY.get(tf_type, DEFAULT_RULES)


def import_id(tf_type: str, attrs: Mapping[str, Any]) -> str | None:
    """The id both sides key a type by when AWS cannot tell Terraform's id: the id
    Terraform would *import* it with.  None for other types, or when an attribute it
    needs is not a non-empty string.

    * ``aws_iam_role_policy_attachment``: Terraform's id is ``<role>-<random suffix>``;
      keyed ``<role>/<policy_arn>``.
    * ``aws_route53_record``: Terraform's id repeats the configured name, which may be
      relative to the zone (``www``); keyed ``<zone_id>_<fqdn>_<type>[_<set_identifier>]``.
    """
    build = _IMPORT_IDS.get(tf_type)
    return None if build is None else build(attrs)


def _strings(attrs: Mapping[str, Any], names: tuple[str, ...]) -> list[str] | None:
    """The attributes' values, or None when one is not a non-empty string."""
    values = [attrs.get(name) for name in names]
    if all(isinstance(v, str) and v for v in values):
        return [str(v) for v in values]
    return None


def _role_policy_attachment_id(attrs: Mapping[str, Any]) -> str | None:
    parts = _strings(attrs, ("role", "policy_arn"))
    return None if parts is None else "/".join(parts)


def _route53_record_id(attrs: Mapping[str, Any]) -> str | None:
    parts = _strings(attrs, ("zone_id", "fqdn", "type"))
    if parts is None:
        return None
    parts[1] = parts[1].lower()
    set_identifier = attrs.get("set_identifier")
    if isinstance(set_identifier, str) and set_identifier:
        parts.append(set_identifier)
    return "_".join(parts)


_IMPORT_IDS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "aws_iam_role_policy_attachment": _role_policy_attachment_id,
    "aws_route53_record": _route53_record_id,
}
# The types :func:`import_id` keys (their Terraform ids are never compared with live).
IMPORT_ID_TYPES = frozenset(_IMPORT_IDS)
