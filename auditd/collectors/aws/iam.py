"""IAM types (a global service: read once per account, keyed ``global``):
aws_iam_role, aws_iam_policy, aws_iam_user, aws_iam_role_policy_attachment.

Service-linked roles (path ``/aws-service-role/``) are AWS-managed and skipped
unless strict; AWS-managed policies are never listed (``Scope=Local``): Terraform
cannot manage them.  Policy documents become JSON strings, as Terraform stores
them; the normaliser parses both sides, so whitespace and key order never count.

Terraform's id of a role policy attachment is ``<role>-<random suffix>``, which AWS
cannot know: both sides key it by its import id ``<role>/<policy_arn>``
(:func:`~auditd.normalize.typerules.import_id`; the tfstate reader does the same).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import (
    AWSType,
    Describe,
    Within,
    aws_type,
    json_text,
    rfc3339,
    tags_of,
    text,
)
from auditd.normalize.typerules import import_id

__all__ = ["Policy", "Role", "RolePolicyAttachment", "User"]

_SERVICE_LINKED_PATH = "/aws-service-role/"


def _boundary(raw: Mapping[str, Any]) -> str:
    return text((raw.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"))


@aws_type
class Role(AWSType):
    """Maps: arn, name, path, description, assume_role_policy, max_session_duration,
    permissions_boundary, unique_id, create_date, tags_all."""

    tf_type = "aws_iam_role"
    service = "iam"
    global_service = True
    list_call = ("list_roles", "Roles")
    id_field = "RoleName"
    describe = (Describe("get_role", {"RoleName": "RoleName"}, into="Role", result_key="Role"),)
    iam = ("iam:ListRoles", "iam:GetRole")

    def is_aws_managed(self, raw: Mapping[str, Any]) -> bool:
        return str(raw.get("Path", "")).startswith(_SERVICE_LINKED_PATH)

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        role = {**raw, **(raw.get("Role") or {})}
        return {
            "id": role["RoleName"], "name": role["RoleName"], "arn": role["Arn"],
            "path": role.get("Path", "/"), "description": text(role.get("Description")),
            "assume_role_policy": json_text(role.get("AssumeRolePolicyDocument")),
            "max_session_duration": int(role.get("MaxSessionDuration") or 3600),
            "permissions_boundary": _boundary(role), "unique_id": role.get("RoleId"),
            "create_date": rfc3339(role.get("CreateDate")),
            "tags_all": tags_of(role.get("Tags")),
        }


@aws_type
class Policy(AWSType):
    """Customer-managed policies.  Maps: arn, name, path, description, policy (the
    default version's document), policy_id, tags_all."""

    tf_type = "aws_iam_policy"
    service = "iam"
    global_service = True
    list_call = ("list_policies", "Policies")
    id_field = "Arn"
    describe = (
        Describe("get_policy", {"PolicyArn": "Arn"}, into="Policy", result_key="Policy"),
        Describe("get_policy_version", {"PolicyArn": "Arn", "VersionId": "DefaultVersionId"},
                 into="Version", result_key="PolicyVersion"),
    )
    iam = ("iam:ListPolicies", "iam:GetPolicy", "iam:GetPolicyVersion")

    def list_params(self) -> dict[str, Any]:
        return {"Scope": "Local"}  # customer-managed only

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        policy = {**raw, **(raw.get("Policy") or {})}
        return {
            "id": policy["Arn"], "arn": policy["Arn"], "name": policy["PolicyName"],
            "path": policy.get("Path", "/"), "description": text(policy.get("Description")),
            "policy": json_text((raw.get("Version") or {}).get("Document")),
            "policy_id": policy.get("PolicyId"), "tags_all": tags_of(policy.get("Tags")),
        }


@aws_type
class User(AWSType):
    """Maps: arn, name, path, permissions_boundary, unique_id, tags_all."""

    tf_type = "aws_iam_user"
    service = "iam"
    global_service = True
    list_call = ("list_users", "Users")
    id_field = "UserName"
    describe = (Describe("get_user", {"UserName": "UserName"}, into="User", result_key="User"),)
    iam = ("iam:ListUsers", "iam:GetUser")

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        user = {**raw, **(raw.get("User") or {})}
        return {
            "id": user["UserName"], "name": user["UserName"], "arn": user["Arn"],
            "path": user.get("Path", "/"), "permissions_boundary": _boundary(user),
            "unique_id": user.get("UserId"), "tags_all": tags_of(user.get("Tags")),
        }


@aws_type
class RolePolicyAttachment(AWSType):
    """Managed policies attached to roles, listed per role.  Maps: role (the role's name),
    policy_arn.  Attachments of service-linked roles are AWS-managed (skipped unless
    strict)."""

    tf_type = "aws_iam_role_policy_attachment"
    service = "iam"
    global_service = True
    within = Within(("list_roles", "Roles"), {"RoleName": "RoleName"},
                    absent=frozenset({"NoSuchEntity"}))
    list_call = ("list_attached_role_policies", "AttachedPolicies")
    iam = ("iam:ListRoles", "iam:ListAttachedRolePolicies")

    def is_aws_managed(self, raw: Mapping[str, Any]) -> bool:
        return str(raw["Parent"].get("Path", "")).startswith(_SERVICE_LINKED_PATH)

    def item_id(self, raw: Mapping[str, Any]) -> str:
        found = import_id(self.tf_type, self.to_attrs(raw))
        if found is None:
            raise ValueError(f"{self.tf_type}: no role name or policy ARN in {dict(raw)!r}")
        return found

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {"role": text(raw["Parent"].get("RoleName")),
                "policy_arn": text(raw.get("PolicyArn"))}
