"""A deterministic synthetic AWS estate for the benchmarks in ``bench/``.

``Estate(n, seed)`` describes ``n`` resources of nine Terraform types, shaped
like what the AWS provider stores (security groups with ingress/egress rule
lists, buckets, bucket and IAM policies as JSON strings, instances with tags
and volatile runtime fields, database instances with a clear password marked
sensitive, lambdas, DNS records).  The same seed always gives the same estate.

``Estate.snapshot(generation)`` builds a fresh :class:`~auditd.model.Snapshot`
(new objects every call, as if just parsed from a collector):

- generation 0 is the baseline;
- generation 1 has ``changed`` resources really modified (one or two
  attributes each, in a way the normaliser keeps: a new ingress rule, a
  rotated password, an extra policy action, a resized instance...) plus
  ``noise`` resources whose raw attributes differ only in ways the normaliser
  removes (volatile fields, set-like lists reordered, policy JSON
  re-formatted): those must NOT be reported as changes;
- generation 2 is generation 1 again with a later ``taken_at`` (nothing changed).

Nothing here imports the store; it builds model objects only.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from auditd.model import Resource, ResourceKey, Snapshot

__all__ = ["Estate", "snapshot_document"]

ACCOUNTS = ("111111111111", "222222222222", "333333333333", "444444444444")
REGIONS = ("eu-west-1", "eu-central-1", "us-east-1", "us-west-2")
TEAMS = ("platform", "payments", "orders", "data", "web", "search", "identity", "ml")
ENVS = ("prod", "staging", "dev")
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

Attrs = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Spec:
    """How one resource is built: its type, id, account, region and generator seed."""

    tf_type: str
    rid: str
    account: str
    region: str
    seed: int


@dataclass(slots=True)
class Estate:
    n: int
    seed: int = 42
    changed_fraction: float = 0.01
    noise_fraction: float = 0.005
    scope: str = "aws/org-bench"
    specs: list[Spec] = field(init=False)
    changed: frozenset[int] = field(init=False)
    noisy: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        types = [t for t, _ in _TYPES]
        weights = [w for _, w in _TYPES]
        self.specs = []
        for i, tf_type in enumerate(rng.choices(types, weights, k=self.n)):
            region = "global" if tf_type in _GLOBAL_TYPES else rng.choice(REGIONS)
            self.specs.append(Spec(tf_type, _rid(tf_type, i), rng.choice(ACCOUNTS), region,
                                   rng.getrandbits(32)))
        picked = rng.sample(range(self.n), round(self.n * (self.changed_fraction
                                                           + self.noise_fraction)))
        n_changed = round(self.n * self.changed_fraction)
        self.changed = frozenset(picked[:n_changed])
        self.noisy = frozenset(picked[n_changed:])

    @property
    def n_changed(self) -> int:
        return len(self.changed)

    def taken_at(self, generation: int) -> datetime:
        return T0 + timedelta(minutes=5 * generation)

    def snapshot(self, generation: int) -> Snapshot:
        """A fresh snapshot; the caller should ``gc.collect()`` before timing anything after."""
        enabled = gc.isenabled()
        gc.disable()  # building allocates only live objects: collecting meanwhile is waste
        try:
            return Snapshot(scope=self.scope, taken_at=self.taken_at(generation),
                            resources=tuple(self.resource(i, generation) for i in range(self.n)))
        finally:
            if enabled:
                gc.enable()

    def resource(self, i: int, generation: int) -> Resource:
        spec = self.specs[i]
        rng = random.Random(spec.seed)
        build, sensitive = _BUILDERS[spec.tf_type]
        attrs = build(rng, spec)
        if generation >= 1 and i in self.changed:
            _MUTATORS[spec.tf_type](attrs, random.Random(spec.seed + 1))
        elif generation >= 1 and i in self.noisy:
            _add_noise(attrs, spec)
        provenance = {"collector": "aws", "request_id": f"req-{spec.seed:08x}"}
        return Resource(key=ResourceKey("aws", spec.tf_type, spec.rid, spec.account, spec.region),
                         attrs=attrs, sensitive_paths=sensitive, provenance=provenance,
                         address=f"module.{_team(spec)}.{spec.tf_type}.r{i}")


def snapshot_document(snapshot: Snapshot) -> bytes:
    """The snapshot in the documented JSON file format (docs/snapshot-format.md)."""
    resources = [{"type": r.key.tf_type, "id": r.key.id, "provider": r.key.provider,
                  "account": r.key.account, "region": r.key.region, "origin": r.origin.value,
                  "address": r.address, "attributes": r.attrs,
                  "sensitive_paths": list(r.sensitive_paths), "provenance": dict(r.provenance)}
                 for r in snapshot.resources]
    return orjson.dumps({"format": "driftaudit-snapshot", "version": 1, "scope": snapshot.scope,
                         "taken_at": snapshot.taken_at.isoformat(), "complete": snapshot.complete,
                         "resources": resources})


def _rid(tf_type: str, i: int) -> str:
    prefix = {"aws_security_group": "sg-", "aws_instance": "i-", "aws_db_instance": "db-",
              "aws_route53_record": "Z0ZONE_rec"}.get(tf_type, "")
    if tf_type in ("aws_security_group", "aws_instance"):
        return f"{prefix}{i:017x}"
    return f"{prefix}{tf_type.removeprefix('aws_').replace('_', '-')}-{i:06d}"


def _team(spec: Spec) -> str:
    return TEAMS[spec.seed % len(TEAMS)]


def _tags(rng: random.Random, spec: Spec, name: str) -> Attrs:
    tags = {"Name": name, "team": _team(spec), "env": ENVS[spec.seed % 3],
            "cost-center": f"cc-{rng.randrange(100, 999)}", "managed-by": "terraform"}
    if rng.random() < 0.3:
        tags["kubernetes.io/cluster/main"] = "owned"
    return tags


def _arn(spec: Spec, service: str, what: str) -> str:
    region = "" if spec.region == "global" else spec.region
    return f"arn:aws:{service}:{region}:{spec.account}:{what}"


def _cidr(rng: random.Random) -> str:
    return f"10.{rng.randrange(256)}.{rng.randrange(256)}.0/{rng.choice((16, 20, 24))}"


def _rule(rng: random.Random) -> Attrs:
    port = rng.choice((22, 80, 443, 5432, 6379, 8080, 9090, 3306))
    return {"from_port": port, "to_port": port, "protocol": "tcp",
            "cidr_blocks": sorted({_cidr(rng) for _ in range(rng.randrange(1, 4))}),
            "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [],
            "self": False, "description": f"allow {port}"}


def _security_group(rng: random.Random, spec: Spec) -> Attrs:
    name = f"{_team(spec)}-sg-{spec.rid[-5:]}"
    return {
        "name": name, "description": f"{_team(spec)} service tier", "arn":
        _arn(spec, "ec2", f"security-group/{spec.rid}"), "owner_id": spec.account,
        "vpc_id": f"vpc-{spec.seed % 97:08x}", "revoke_rules_on_delete": False,
        "ingress": [_rule(rng) for _ in range(rng.randrange(1, 6))],
        "egress": [{"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"],
                    "ipv6_cidr_blocks": ["::/0"], "prefix_list_ids": [], "security_groups": [],
                    "self": False, "description": ""}],
        "tags": _tags(rng, spec, name), "timeouts": None,
    }


def _instance(rng: random.Random, spec: Spec) -> Attrs:
    name = f"{_team(spec)}-{rng.choice(('api', 'worker', 'batch', 'cache'))}-{spec.seed % 1000}"
    return {
        "ami": f"ami-{rng.getrandbits(40):010x}", "arn": _arn(spec, "ec2", f"instance/{spec.rid}"),
        "instance_type": rng.choice(("t3.medium", "m6i.large", "c6i.xlarge", "r6g.2xlarge")),
        "availability_zone": f"{spec.region}{rng.choice('abc')}",
        "subnet_id": f"subnet-{rng.getrandbits(32):08x}",
        "vpc_security_group_ids": [f"sg-{rng.getrandbits(48):012x}"
                                   for _ in range(rng.randrange(1, 4))],
        "key_name": f"{_team(spec)}-key", "iam_instance_profile": f"{_team(spec)}-profile",
        "ebs_optimized": True, "monitoring": rng.random() < 0.5,
        "root_block_device": [{"volume_size": rng.choice((20, 50, 100)), "volume_type": "gp3",
                               "encrypted": True, "delete_on_termination": True,
                               "iops": 3000, "throughput": 125}],
        "metadata_options": [{"http_endpoint": "enabled", "http_tokens": "required",
                              "http_put_response_hop_limit": 2}],
        "private_ip": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
        "public_ip": "", "private_dns": f"ip-{spec.seed}.{spec.region}.compute.internal",
        "public_dns": "", "instance_state": "running", "tags": _tags(rng, spec, name),
        **orjson.loads(_INSTANCE_DEFAULTS),  # fresh objects per resource, as if parsed
    }


# What the AWS provider stores for every instance besides the interesting fields:
# defaults, empty blocks and nulls (tfstate records are mostly this).
_INSTANCE_DEFAULTS = orjson.dumps({
    "associate_public_ip_address": False, "capacity_reservation_specification": [{
        "capacity_reservation_preference": "open", "capacity_reservation_target": []}],
    "cpu_core_count": 1, "cpu_threads_per_core": 2,
    "credit_specification": [{"cpu_credits": "unlimited"}], "disable_api_stop": False,
    "disable_api_termination": False, "ebs_block_device": [],
    "enclave_options": [{"enabled": False}], "ephemeral_block_device": [],
    "get_password_data": False, "hibernation": False, "host_id": "",
    "host_resource_group_arn": None, "instance_initiated_shutdown_behavior": "stop",
    "instance_lifecycle": "", "instance_market_options": [], "ipv6_address_count": 0,
    "ipv6_addresses": [], "launch_template": [],
    "maintenance_options": [{"auto_recovery": "default"}], "network_interface": [],
    "outpost_arn": "", "password_data": "", "placement_group": "",
    "placement_partition_number": 0, "primary_network_interface_id": "eni-0123456789abcdef0",
    "private_dns_name_options": [{"enable_resource_name_dns_a_record": False,
                                  "enable_resource_name_dns_aaaa_record": False,
                                  "hostname_type": "ip-name"}],
    "secondary_private_ips": [], "security_groups": [], "source_dest_check": True,
    "spot_instance_request_id": "", "tenancy": "default", "timeouts": None, "user_data": None,
    "user_data_base64": None, "user_data_replace_on_change": False, "volume_tags": None,
})


def _policy_document(rng: random.Random, spec: Spec, resource: str) -> Attrs:
    statements = []
    for s in range(rng.randrange(1, 4)):
        statements.append({
            "Sid": f"Stmt{s}", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{spec.account}:role/{_team(spec)}-{s}"},
            "Action": sorted(rng.sample(("s3:GetObject", "s3:PutObject", "s3:ListBucket",
                                         "s3:DeleteObject", "s3:GetBucketLocation"),
                                        rng.randrange(1, 4))),
            "Resource": [resource, f"{resource}/*"],
        })
    return {"Version": "2012-10-17", "Statement": statements}


def _bucket(rng: random.Random, spec: Spec) -> Attrs:
    return {
        "bucket": spec.rid, "arn": f"arn:aws:s3:::{spec.rid}", "force_destroy": False,
        "object_lock_enabled": False, "region": spec.region, "hosted_zone_id": "Z1BKCTXD74EZPE",
        "bucket_domain_name": f"{spec.rid}.s3.amazonaws.com",
        "bucket_regional_domain_name": f"{spec.rid}.s3.{spec.region}.amazonaws.com",
        "versioning": [{"enabled": rng.random() < 0.7, "mfa_delete": False}],
        "server_side_encryption_configuration": [{"rule": [{
            "apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms",
                                                         "kms_master_key_id": ""}],
            "bucket_key_enabled": True}]}],
        "tags": _tags(rng, spec, spec.rid), "acceleration_status": "", "cors_rule": [],
        "grant": [{"id": f"{rng.getrandbits(128):032x}", "permissions": ["FULL_CONTROL"],
                   "type": "CanonicalUser", "uri": ""}],
        "lifecycle_rule": [], "logging": [], "object_lock_configuration": [],
        "replication_configuration": [], "request_payer": "BucketOwner", "website": [],
        "website_domain": None, "website_endpoint": None, "timeouts": None,
    }


def _bucket_policy(rng: random.Random, spec: Spec) -> Attrs:
    document = _policy_document(rng, spec, f"arn:aws:s3:::{spec.rid}")
    return {"bucket": spec.rid, "policy": orjson.dumps(document).decode()}


def _db_instance(rng: random.Random, spec: Spec) -> Attrs:
    return {
        "identifier": spec.rid, "arn": _arn(spec, "rds", f"db:{spec.rid}"),
        "engine": "postgres", "engine_version": rng.choice(("15.6", "16.3")),
        "instance_class": rng.choice(("db.r6g.large", "db.m6g.xlarge")),
        "allocated_storage": rng.choice((100, 200, 500)), "multi_az": rng.random() < 0.6,
        "username": "app", "password": f"pw-{rng.getrandbits(64):016x}", "port": 5432,
        "vpc_security_group_ids": [f"sg-{rng.getrandbits(48):012x}"],
        "db_subnet_group_name": f"{_team(spec)}-db", "parameter_group_name": "default.postgres16",
        "backup_retention_period": 7, "storage_encrypted": True, "status": "available",
        "latest_restorable_time": "2026-11-01T11:55:00Z", "replicas": [],
        "endpoint": f"{spec.rid}.abc.{spec.region}.rds.amazonaws.com:5432",
        "tags": _tags(rng, spec, spec.rid), **orjson.loads(_DB_DEFAULTS),
    }


_DB_DEFAULTS = orjson.dumps({
    "allow_major_version_upgrade": None, "apply_immediately": False,
    "auto_minor_version_upgrade": True, "availability_zone": "", "backup_target": "region",
    "backup_window": "03:00-03:30", "blue_green_update": [], "ca_cert_identifier":
    "rds-ca-rsa2048-g1", "character_set_name": "", "copy_tags_to_snapshot": True,
    "custom_iam_instance_profile": "", "customer_owned_ip_enabled": False, "db_name": "app",
    "dedicated_log_volume": False, "delete_automated_backups": True,
    "deletion_protection": True, "domain": "", "domain_iam_role_name": "",
    "enabled_cloudwatch_logs_exports": ["postgresql", "upgrade"], "final_snapshot_identifier":
    None, "iam_database_authentication_enabled": False, "iops": 3000, "kms_key_id": "",
    "license_model": "postgresql-license", "maintenance_window": "sun:04:00-sun:04:30",
    "manage_master_user_password": None, "master_user_secret": [], "max_allocated_storage": 0,
    "monitoring_interval": 60, "monitoring_role_arn": "", "network_type": "IPV4",
    "option_group_name": "default:postgres-16", "performance_insights_enabled": True,
    "performance_insights_retention_period": 7, "publicly_accessible": False,
    "replicate_source_db": "", "restore_to_point_in_time": [], "s3_import": [],
    "skip_final_snapshot": False, "snapshot_identifier": None, "storage_throughput": 125,
    "storage_type": "gp3", "timeouts": None, "timezone": "",
})


def _iam_role(rng: random.Random, spec: Spec) -> Attrs:
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": rng.choice(("ecs-tasks.amazonaws.com", "ec2.amazonaws.com",
                                             "lambda.amazonaws.com"))}}]}
    return {
        "name": spec.rid, "path": "/", "arn": f"arn:aws:iam::{spec.account}:role/{spec.rid}",
        "assume_role_policy": orjson.dumps(trust).decode(), "max_session_duration": 3600,
        "managed_policy_arns": [f"arn:aws:iam::aws:policy/{p}" for p in
                                rng.sample(("ReadOnlyAccess", "AmazonS3ReadOnlyAccess",
                                            "CloudWatchAgentServerPolicy"), rng.randrange(0, 3))],
        "tags": _tags(rng, spec, spec.rid),
    }


def _iam_policy(rng: random.Random, spec: Spec) -> Attrs:
    document = _policy_document(rng, spec, f"arn:aws:s3:::{_team(spec)}-data-{spec.seed % 50}")
    for statement in document["Statement"]:
        del statement["Principal"]
    return {"name": spec.rid, "path": "/", "arn": f"arn:aws:iam::{spec.account}:policy/{spec.rid}",
            "description": f"{_team(spec)} data access", "policy": orjson.dumps(document).decode(),
            "tags": _tags(rng, spec, spec.rid)}


def _lambda(rng: random.Random, spec: Spec) -> Attrs:
    return {
        "function_name": spec.rid, "arn": _arn(spec, "lambda", f"function:{spec.rid}"),
        "runtime": rng.choice(("python3.12", "nodejs20.x")), "handler": "app.handler",
        "memory_size": rng.choice((128, 256, 512, 1024)), "timeout": rng.choice((3, 30, 60)),
        "role": f"arn:aws:iam::{spec.account}:role/{_team(spec)}-lambda",
        "environment": [{"variables": {f"VAR_{k}": f"value-{rng.getrandbits(24):06x}"
                                       for k in range(rng.randrange(1, 6))}}],
        "layers": [], "source_code_hash": f"{rng.getrandbits(128):032x}",
        "last_modified": "2026-10-30T08:00:00.000+0000", "version": "$LATEST",
        "tags": _tags(rng, spec, spec.rid), "architectures": ["arm64"], "code_signing_config_arn":
        "", "dead_letter_config": [], "description": "", "ephemeral_storage": [{"size": 512}],
        "file_system_config": [], "image_config": [], "image_uri": "", "kms_key_arn": "",
        "logging_config": [{"application_log_level": "", "log_format": "Text",
                            "log_group": f"/aws/lambda/{spec.rid}", "system_log_level": ""}],
        "package_type": "Zip", "publish": False, "reserved_concurrent_executions": -1,
        "skip_destroy": False, "snap_start": [], "source_code_size": rng.randrange(10**6),
        "tracing_config": [{"mode": "PassThrough"}], "vpc_config": [],
    }


def _dns_record(rng: random.Random, spec: Spec) -> Attrs:
    return {"zone_id": "Z0ZONE", "name": f"{spec.rid}.{_team(spec)}.example.com",
            "type": "A", "ttl": rng.choice((60, 300, 3600)),
            "records": [f"10.0.{rng.randrange(256)}.{rng.randrange(256)}"
                        for _ in range(rng.randrange(1, 4))]}


Builder = Callable[[random.Random, Spec], Attrs]
_TYPES: tuple[tuple[str, float], ...] = (
    ("aws_security_group", 20), ("aws_instance", 20), ("aws_s3_bucket", 10),
    ("aws_s3_bucket_policy", 8), ("aws_db_instance", 5), ("aws_iam_role", 10),
    ("aws_iam_policy", 5), ("aws_lambda_function", 10), ("aws_route53_record", 12),
)
_GLOBAL_TYPES = frozenset({"aws_iam_role", "aws_iam_policy", "aws_route53_record"})
_BUILDERS: dict[str, tuple[Builder, tuple[str, ...]]] = {
    "aws_security_group": (_security_group, ()), "aws_instance": (_instance, ()),
    "aws_s3_bucket": (_bucket, ()), "aws_s3_bucket_policy": (_bucket_policy, ()),
    "aws_db_instance": (_db_instance, ("password",)), "aws_iam_role": (_iam_role, ()),
    "aws_iam_policy": (_iam_policy, ()), "aws_lambda_function": (_lambda, ()),
    "aws_route53_record": (_dns_record, ()),
}


# --- real changes: each survives normalisation ------------------------------------------------

def _change_sg(attrs: Attrs, rng: random.Random) -> None:
    attrs["ingress"].append({**_rule(rng), "from_port": 8443, "to_port": 8443,
                             "description": "new rule"})


def _change_instance(attrs: Attrs, rng: random.Random) -> None:
    attrs["instance_type"] = "m7i.4xlarge"
    attrs["tags"]["owner"] = f"user{rng.randrange(100)}"


def _change_bucket(attrs: Attrs, _rng: random.Random) -> None:
    attrs["versioning"][0]["enabled"] = not attrs["versioning"][0]["enabled"]


def _change_policy(attrs: Attrs, _rng: random.Random) -> None:
    document = orjson.loads(attrs["policy"])
    document["Statement"][0]["Action"].append("s3:*")
    attrs["policy"] = orjson.dumps(document).decode()


def _change_db(attrs: Attrs, rng: random.Random) -> None:
    attrs["password"] = f"rotated-{rng.getrandbits(64):016x}"  # a secret rotation


def _change_role(attrs: Attrs, _rng: random.Random) -> None:
    attrs["max_session_duration"] = 43200


def _change_lambda(attrs: Attrs, _rng: random.Random) -> None:
    attrs["memory_size"] = 2048
    attrs["environment"][0]["variables"]["FEATURE_FLAG"] = "on"


def _change_dns(attrs: Attrs, _rng: random.Random) -> None:
    attrs["ttl"] = 30


_MUTATORS: dict[str, Callable[[Attrs, random.Random], None]] = {
    "aws_security_group": _change_sg, "aws_instance": _change_instance,
    "aws_s3_bucket": _change_bucket, "aws_s3_bucket_policy": _change_policy,
    "aws_db_instance": _change_db, "aws_iam_role": _change_role, "aws_iam_policy": _change_policy,
    "aws_lambda_function": _change_lambda, "aws_route53_record": _change_dns,
}


# --- noise: raw attributes differ, canonical content does not ---------------------------------

def _add_noise(attrs: Attrs, spec: Spec) -> None:
    t = spec.tf_type
    if t == "aws_instance":
        attrs["public_ip"] = "54.0.0.1"  # volatile
        attrs["instance_state"] = "stopping"
    elif t == "aws_security_group":
        attrs["ingress"].reverse()  # a set: order means nothing
        attrs["timeouts"] = {}
    elif t in ("aws_s3_bucket_policy", "aws_iam_policy"):
        attrs["policy"] = orjson.dumps(orjson.loads(attrs["policy"]),
                                       option=orjson.OPT_INDENT_2).decode()  # reformatted JSON
    elif t == "aws_db_instance":
        attrs["status"] = "backing-up"
    elif t == "aws_lambda_function":
        attrs["last_modified"] = "2026-11-01T12:01:00.000+0000"
    elif t == "aws_s3_bucket":
        attrs["bucket_regional_domain_name"] = f"{spec.rid}.s3.amazonaws.com"  # volatile
        attrs["tags"] = dict(reversed(list(attrs["tags"].items())))  # key order
    elif t == "aws_route53_record":
        attrs["records"] = list(reversed(attrs["records"]))
        attrs["health_check_id"] = None
    else:
        attrs["tags"] = dict(reversed(list(attrs["tags"].items())))  # key order
        attrs["timeouts"] = None
