"""Database types (RDS API): aws_db_instance.

Since version 5 of the AWS provider an instance's id in state is its resource id
(``db-…``, ``DbiResourceId``); the name is ``identifier``.  The master password is
never read: RDS does not return it, so ``password`` is not mapped and never compared.
Members of Aurora / Multi-AZ DB clusters are ``aws_rds_cluster_instance`` for
Terraform, not ``aws_db_instance``, and are not reported as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditd.collectors.aws._base import AWSType, aws_type, tags_of, text

__all__ = ["DbInstance"]


@aws_type
class DbInstance(AWSType):
    """Maps: identifier, arn, resource_id, engine, engine_version_actual, instance_class,
    allocated_storage, max_allocated_storage, storage_type, iops, storage_encrypted,
    kms_key_id, multi_az, publicly_accessible, port, db_name, username,
    backup_retention_period, backup_window, maintenance_window, deletion_protection,
    auto_minor_version_upgrade, iam_database_authentication_enabled,
    copy_tags_to_snapshot, monitoring_interval, vpc_security_group_ids,
    parameter_group_name, db_subnet_group_name, ca_cert_identifier, availability_zone,
    address, endpoint, tags_all.  Never the password (RDS does not return it)."""

    tf_type = "aws_db_instance"
    service = "rds"
    list_call = ("describe_db_instances", "DBInstances")
    id_field = "DbiResourceId"
    iam = ("rds:DescribeDBInstances",)

    def exists(self, raw: Mapping[str, Any]) -> bool:
        return not raw.get("DBClusterIdentifier") and raw.get("DBInstanceStatus") != "deleting"

    def to_attrs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        endpoint = raw.get("Endpoint") or {}
        port = int(endpoint.get("Port") or raw.get("DbInstancePort") or 0)
        address = text(endpoint.get("Address"))
        groups = raw.get("DBParameterGroups") or ()
        return {
            "id": raw["DbiResourceId"], "resource_id": raw["DbiResourceId"],
            "identifier": raw["DBInstanceIdentifier"], "arn": raw.get("DBInstanceArn"),
            "engine": raw.get("Engine"), "engine_version_actual": text(raw.get("EngineVersion")),
            "instance_class": raw.get("DBInstanceClass"),
            "allocated_storage": int(raw.get("AllocatedStorage") or 0),
            "max_allocated_storage": int(raw.get("MaxAllocatedStorage") or 0),
            "storage_type": text(raw.get("StorageType")), "iops": int(raw.get("Iops") or 0),
            "storage_encrypted": bool(raw.get("StorageEncrypted")),
            "kms_key_id": text(raw.get("KmsKeyId")), "multi_az": bool(raw.get("MultiAZ")),
            "publicly_accessible": bool(raw.get("PubliclyAccessible")), "port": port,
            "db_name": text(raw.get("DBName")), "username": text(raw.get("MasterUsername")),
            "backup_retention_period": int(raw.get("BackupRetentionPeriod") or 0),
            "backup_window": text(raw.get("PreferredBackupWindow")),
            "maintenance_window": text(raw.get("PreferredMaintenanceWindow")),
            "deletion_protection": bool(raw.get("DeletionProtection")),
            "auto_minor_version_upgrade": bool(raw.get("AutoMinorVersionUpgrade")),
            "iam_database_authentication_enabled": bool(
                raw.get("IAMDatabaseAuthenticationEnabled")),
            "copy_tags_to_snapshot": bool(raw.get("CopyTagsToSnapshot")),
            "monitoring_interval": int(raw.get("MonitoringInterval") or 0),
            "vpc_security_group_ids": sorted(text(g.get("VpcSecurityGroupId"))
                                             for g in raw.get("VpcSecurityGroups") or ()),
            "parameter_group_name": text(groups[0].get("DBParameterGroupName")) if groups else "",
            "db_subnet_group_name": text((raw.get("DBSubnetGroup") or {}).get(
                "DBSubnetGroupName")),
            "ca_cert_identifier": text(raw.get("CACertificateIdentifier")),
            "availability_zone": text(raw.get("AvailabilityZone")),
            "address": address, "endpoint": f"{address}:{port}" if address else "",
            "tags_all": tags_of(raw.get("TagList")),
        }
