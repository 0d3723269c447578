"""Scenarios for the database types: RDS instances."""

from __future__ import annotations

from tests.unit.aws.support import client, scenario


@scenario("aws_db_instance")
def db_instance() -> dict[str, str]:
    rds = client("rds")
    made = rds.create_db_instance(
        DBInstanceIdentifier="orders", DBInstanceClass="db.t3.micro", Engine="postgres",
        EngineVersion="16.3", AllocatedStorage=20, StorageType="gp3", StorageEncrypted=True,
        MasterUsername="app", MasterUserPassword="not-a-real-password", DBName="orders",
        Port=5432, BackupRetentionPeriod=7, DeletionProtection=True,
        Tags=[{"Key": "team", "Value": "data"}])["DBInstance"]
    group = made["VpcSecurityGroups"][0]["VpcSecurityGroupId"]
    return {"id": made["DbiResourceId"], "sg_id": group, "kms_key_id": made["KmsKeyId"],
            "address": made["Endpoint"]["Address"],
            "backup_window": made["PreferredBackupWindow"],
            "maintenance_window": made["PreferredMaintenanceWindow"],
            "availability_zone": made["AvailabilityZone"]}
