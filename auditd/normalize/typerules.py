"""Per-Terraform-type knowledge the normaliser needs: which lists are sets, which fields
are volatile, which hold JSON documents, which are secret.

A type without an entry gets :data:`DEFAULT_RULES`.  Collectors for new types
register their rules here (one call, next to the type's collector class).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_RULES", "TypeRules", "register_type_rules", "rules_for"]

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

    def extended(
        self,
        *,
        set_fields: frozenset[str] = frozenset(),
        json_fields: frozenset[str] = frozenset(),
        volatile_fields: frozenset[str] = frozenset(),
        secret_fields: frozenset[str] = frozenset(),
    ) -> TypeRules:
        return TypeRules(
            set_fields=self.set_fields | set_fields,
            json_fields=self.json_fields | json_fields,
            volatile_fields=self.volatile_fields | volatile_fields,
            secret_fields=self.secret_fields | secret_fields,
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
    "aws_ecs_service": DEFAULT_RULES.extended(
        volatile_fields=frozenset({"desired_count_actual", "running_count", "pending_count"}),
    ),
}


def register_type_rules(tf_type: str, rules: TypeRules) -> None:
    """Register (or replace) the rules of one Terraform type."""
    _REGISTRY[tf_type] = rules


def rules_for(tf_type: str) -> TypeRules:
    return _REGISTRY.get(tf_type, DEFAULT_RULES)
