"""tfstate parsing on hand-made states: addresses, keys, secrets, outputs, deposed objects."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from auditd.collectors.terraform.state import (
    StateDefaults,
    StateFailure,
    parse_state,
)
from auditd.collectors.terraform.state_instances import format_index_key, provider_name
from auditd.collectors.terraform.state_v4 import sensitive_path
from auditd.model import Origin
from auditd.normalize import HmacFingerprinter, is_fingerprint, normalize_attrs
from auditd.paths import parse_path

AWS = 'provider["registry.terraform.io/hashicorp/aws"]'
ACCOUNT = "123456789012"
DEFAULTS = StateDefaults(account="999999999999", region="eu-west-1")
FP = HmacFingerprinter(b"k" * 32)
T = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def instance(attrs: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"schema_version": 0, **extra}
    if attrs is not None:
        out["attributes"] = attrs
    return out


def resource(tf_type: str = "aws_instance", name: str = "web", *instances: dict[str, Any],
             module: str = "", mode: str = "managed", provider: str = AWS) -> dict[str, Any]:
    out: dict[str, Any] = {"mode": mode, "type": tf_type, "name": name, "provider": provider,
                           "instances": list(instances) or [instance({"id": "i-1"})]}
    if module:
        out["module"] = module
    return out


def state(*resources: dict[str, Any], **top: Any) -> bytes:
    doc = {"version": 4, "terraform_version": "1.5.7", "serial": 3, "lineage": "lin-1",
           "outputs": {}, "resources": list(resources), **top}
    return json.dumps(doc).encode()


def parse(data: bytes, defaults: StateDefaults = DEFAULTS) -> Any:
    return parse_state(data, "mem.tfstate", defaults)


# --- addresses --------------------------------------------------------------------------

def test_addresses_are_built_like_terraform() -> None:
    read = parse(state(
        resource("aws_instance", "web", instance({"id": "i-0"}, index_key=0),
                 instance({"id": "i-3"}, index_key=3), module="module.a.module.b"),
        resource("aws_s3_bucket", "logs", instance({"id": "b-x"}, index_key="x"),
                 module='module.env["prod"]'),
        resource("aws_vpc", "main")))
    assert [r.address for r in read.resources] == [
        "module.a.module.b.aws_instance.web[0]",
        "module.a.module.b.aws_instance.web[3]",
        'module.env["prod"].aws_s3_bucket.logs["x"]',
        "aws_vpc.main",
    ]
    assert read.resources[0].provenance["index_key"] == 0


@pytest.mark.parametrize(("key", "text"), [
    (None, ""), (0, "[0]"), (12, "[12]"), ("a", '["a"]'), ("", '[""]'),
    ('say "hi"', r'["say \"hi\""]'), ("back\\slash", r'["back\\slash"]'),
    ("line\nbreak\ttab", r'["line\nbreak\ttab"]'), ("${var}", '["$${var}"]'),
    ("%{if}", '["%%{if}"]'), ("$5 and 100%", '["$5 and 100%"]'),
    ("bell\x07", r'["bell\u0007"]'), ("kubernetes.io/role", '["kubernetes.io/role"]'),
    ("ünïcode", '["ünïcode"]'),
])
def test_instance_keys_are_quoted_like_terraform(key: int | str | None, text: str) -> None:
    assert format_index_key(key) == text


def test_deposed_and_tainted_objects_are_distinct_resources() -> None:
    read = parse(state(resource(
        "aws_instance", "web",
        instance({"id": "i-new"}, status="tainted", create_before_destroy=True),
        instance({"id": "i-old"}, deposed="0a1b2c3d"))))
    current, deposed = read.resources
    assert current.address == "aws_instance.web"
    assert current.provenance["status"] == "tainted"
    assert current.provenance["deposed"] is None
    assert deposed.address == "aws_instance.web (deposed object 0a1b2c3d)"
    assert deposed.key.id == "i-old" and deposed.provenance["deposed"] == "0a1b2c3d"
    assert read.stats.deposed == 1 and read.stats.tainted == 1


def test_v3_deposed_objects_get_stable_keys() -> None:
    doc = {"version": 3, "serial": 2, "lineage": "l3", "terraform_version": "0.11.14",
           "modules": [{"path": ["root", "net"], "outputs": {}, "resources": {
               "aws_instance.web.1": {"type": "aws_instance", "provider": "provider.aws.west",
                                      "primary": {"id": "i-2", "attributes": {"id": "i-2"},
                                                  "tainted": True},
                                      "deposed": [{"id": "i-1", "attributes": {}}]},
               "data.aws_ami.ubuntu": {"type": "aws_ami", "primary": {"id": "ami-1"}}}}]}
    read = parse(json.dumps(doc).encode())
    assert [r.address for r in read.resources] == [
        "module.net.aws_instance.web[1]",
        "module.net.aws_instance.web[1] (deposed object 00000000)"]
    assert read.resources[0].provenance["status"] == "tainted"
    assert read.resources[1].key.id == "i-1"  # from the object's id
    assert read.stats.data_instances == 1


# --- keys -------------------------------------------------------------------------------

@pytest.mark.parametrize(("provider", "expected"), [
    ('provider["registry.terraform.io/hashicorp/aws"]', "aws"),
    ('provider["registry.terraform.io/hashicorp/aws"].west', "aws"),
    ('module.net.provider["registry.terraform.io/hashicorp/google"]', "google"),
    ('provider["registry.terraform.io/-/null"]', "null"),
    ('provider["terraform.io/builtin/terraform"]', "terraform"),
    ('provider["example.com/acme/my-cloud"].eu', "my-cloud"),
    ("provider.aws", "aws"),
    ("provider.aws.west", "aws"),
    ("module.child.provider.null", "null"),
    ("", "aws"),  # Terraform's implied provider: the type's prefix
])
def test_provider_local_name(provider: str, expected: str) -> None:
    assert provider_name(provider, "aws_instance") == expected


def key_of(attrs: dict[str, Any], tf_type: str = "aws_instance", provider: str = AWS,
           defaults: StateDefaults = DEFAULTS) -> tuple[str, str, str]:
    read = parse(state(resource(tf_type, "x", instance(attrs), provider=provider)), defaults)
    key = read.resources[0].key
    return key.id, key.account, key.region


def test_account_and_region_come_from_the_arn() -> None:
    arn = f"arn:aws:ec2:us-east-2:{ACCOUNT}:instance/i-1"
    assert key_of({"id": "i-1", "arn": arn}) == ("i-1", ACCOUNT, "us-east-2")


def test_global_services_have_region_global() -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:role/deploy"
    assert key_of({"id": "deploy", "arn": arn}, "aws_iam_role") == ("deploy", ACCOUNT, "global")
    # no ARN at all, but an IAM / Route53 type: still global
    assert key_of({"id": "role-2023"}, "aws_iam_role_policy_attachment")[2] == "global"
    assert key_of({"id": "Z1_www_A"}, "aws_route53_record")[2] == "global"
    assert key_of({"id": "rslvr-1"}, "aws_route53_resolver_endpoint")[2] == "eu-west-1"


def test_arn_without_region_falls_back_to_the_region_attribute_then_defaults() -> None:
    bucket = {"id": "logs", "arn": "arn:aws:s3:::logs", "region": "ap-southeast-2"}
    assert key_of(bucket, "aws_s3_bucket") == ("logs", "999999999999", "ap-southeast-2")
    assert key_of({"id": "logs", "arn": "arn:aws:s3:::logs"}, "aws_s3_bucket") == (
        "logs", "999999999999", "eu-west-1")


def test_an_id_that_is_an_arn_locates_the_resource() -> None:
    arn = f"arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:{ACCOUNT}:loadbalancer/app/x/1"
    assert key_of({"id": arn}, "aws_lb") == (arn, ACCOUNT, "us-gov-west-1")


def test_aws_managed_arns_do_not_give_an_account() -> None:
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert key_of({"id": "x", "arn": arn}, "aws_iam_policy") == ("x", "999999999999", "global")


def test_provider_aliases_take_their_region_from_the_caller() -> None:
    defaults = StateDefaults(account=ACCOUNT, region="eu-west-1",
                             provider_regions={"aws.west": "us-west-2"})
    assert key_of({"id": "vpc-1"}, "aws_vpc", f"{AWS}.west", defaults)[2] == "us-west-2"
    assert key_of({"id": "vpc-1"}, "aws_vpc", AWS, defaults)[2] == "eu-west-1"


def test_defaults_do_not_leak_onto_other_providers() -> None:
    google = 'provider["registry.terraform.io/hashicorp/google"]'
    assert key_of({"id": "projects/p/instances/x"}, "google_compute_instance", google) == (
        "projects/p/instances/x", "", "")


def test_an_instance_without_attributes_is_kept_with_its_address_as_id() -> None:
    read = parse(state(resource("aws_vpc", "bare", instance(None, index_key="k"))))
    (res,) = read.resources
    assert res.key.id == 'aws_vpc.bare["k"]'
    assert res.attrs == {}
    assert res.provenance["attributes_missing"] is True
    assert res.provenance["id_source"] == "address"
    assert any("no attributes" in w for w in read.warnings)


def test_numeric_ids_become_text() -> None:
    assert key_of({"id": 42}, "random_integer", 'provider["registry.terraform.io/hashicorp/'
                  'random"]')[0] == "42"


def test_snapshot_is_complete_and_of_origin_state() -> None:
    read = parse(state(resource()))
    snapshot = read.to_snapshot(T)
    assert snapshot.complete and snapshot.scope == "tfstate/mem.tfstate"
    assert snapshot.resources[0].origin is Origin.STATE
    assert read.resource_count == 1


def test_a_failure_snapshot_never_deletes() -> None:
    from auditd.collectors.terraform.state import StateFormatError

    failure = StateFailure(scope="tfstate/x", source="x", error=StateFormatError("x", "bad"))
    snapshot = failure.to_snapshot(T)
    assert not snapshot.complete and snapshot.errors[0].kind == "parse-error"
    assert not snapshot.may_delete(parse(state(resource())).resources[0].key)


# --- secrets ----------------------------------------------------------------------------

@pytest.mark.parametrize(("steps", "path"), [
    ([{"type": "get_attr", "value": "password"}], "password"),
    ([{"type": "get_attr", "value": "a"}, {"type": "index", "value": {"value": 0,
      "type": "number"}}, {"type": "get_attr", "value": "b"}], "a[0].b"),
    ([{"type": "get_attr", "value": "tags"}, {"type": "index", "value": {"value": "x",
      "type": "string"}}], 'tags["x"]'),
    ([{"type": "get_attr", "value": "tags"}, {"type": "index", "value": {
      "value": "kubernetes.io/role", "type": "string"}}], 'tags["kubernetes.io/role"]'),
    ([{"type": "get_attr", "value": "ingress"}, {"type": "index", "value": {
      "value": {"port": 1}, "type": ["object", {"port": "number"}]}},
      {"type": "get_attr", "value": "secret"}], "ingress[*].secret"),
    ([{"type": "get_attr", "value": "conn"}, {"type": "what", "value": 1},
      {"type": "get_attr", "value": "x"}], "conn"),  # unreadable step: whole `conn`
    ([], ""),
])
def test_sensitive_steps_become_paths(steps: list[Any], path: str) -> None:
    # One formatter (auditd.paths) writes identifier-like map keys as `.x`: same path.
    got = sensitive_path(steps)
    assert (parse_path(got) if got else ()) == (parse_path(path) if path else ())


SECRETS = ("hunter2-db", "nested-s3cr3t", "tag-s3cr3t", "set-s3cr3t", "flat-s3cr3t")


def test_sensitive_values_are_fingerprinted_by_the_normaliser() -> None:
    attrs = {"id": "db-1", "password": "hunter2-db", "username": "admin",
             "config": [{"token_value": "nested-s3cr3t", "port": 5432}],
             "tags": {"x": "tag-s3cr3t", "Name": "db"},
             "ingress": [{"from": 1, "key": "set-s3cr3t"}]}
    sensitive = [
        [{"type": "get_attr", "value": "password"}],
        [{"type": "get_attr", "value": "config"},
         {"type": "index", "value": {"value": 0, "type": "number"}},
         {"type": "get_attr", "value": "token_value"}],
        [{"type": "get_attr", "value": "tags"},
         {"type": "index", "value": {"value": "x", "type": "string"}}],
        [{"type": "get_attr", "value": "ingress"},
         {"type": "index", "value": {"value": {"from": 1, "key": "set-s3cr3t"},
                                     "type": ["object", {"from": "number", "key": "string"}]}},
         {"type": "get_attr", "value": "key"}],
    ]
    read = parse(state(resource("aws_db_instance", "db",
                                instance(attrs, sensitive_attributes=sensitive))))
    (res,) = read.resources
    assert {parse_path(p) for p in res.sensitive_paths} == {
        ("password",), ("config", 0, "token_value"), ("tags", "x"), ("ingress", "*", "key")}
    clean = normalize_attrs(res.key.tf_type, res.attrs, FP, res.sensitive_paths)
    text = orjson.dumps(clean).decode()
    assert not any(secret in text for secret in SECRETS)
    assert is_fingerprint(clean["password"]) and is_fingerprint(clean["tags"]["x"])
    assert clean["username"] == "admin" and clean["tags"]["Name"] == "db"


def test_whole_object_sensitive_marks_every_attribute() -> None:
    read = parse(state(resource("aws_ssm_parameter", "p", instance(
        {"id": "p", "value": "v"}, sensitive_attributes=[[]]))))
    assert set(read.resources[0].sensitive_paths) == {"id", "value"}


def test_flatmap_secrets_under_nested_names_are_fingerprinted() -> None:
    flat = {"id": "db-1", "password": "x", "master.0.password": "flat-s3cr3t",
            "tags.%": "1", "tags.Name": "db"}
    read = parse(state(resource("aws_db_instance", "db",
                                {"schema_version": 0, "attributes_flat": flat})))
    (res,) = read.resources
    assert '["master.0.password"]' in res.sensitive_paths
    clean = normalize_attrs(res.key.tf_type, res.attrs, FP, res.sensitive_paths)
    assert "flat-s3cr3t" not in orjson.dumps(clean).decode()


def test_sensitive_outputs_never_keep_their_value() -> None:
    outputs = {"db_endpoint": {"value": "db.example:5432", "type": "string"},
               "db_pass": {"value": "out-s3cr3t", "type": "string", "sensitive": True},
               "api_token": {"value": "tok-s3cr3t", "type": "string"}}
    read = parse(state(resource(), outputs=outputs))
    assert read.outputs["db_endpoint"].value == "db.example:5432"
    assert read.outputs["db_pass"].redacted and read.outputs["db_pass"].value is None
    assert read.outputs["api_token"].redacted  # secret by name, even if not marked
    assert read.stats.outputs == 3 and read.stats.redacted_outputs == 2
    assert "s3cr3t" not in repr(read)


def test_v3_sensitive_outputs_are_redacted_too() -> None:
    doc = {"version": 3, "serial": 1, "lineage": "l", "modules": [{"path": ["root"],
           "outputs": {"pw": {"sensitive": True, "type": "string", "value": "v3-s3cr3t"}},
           "resources": {}}]}
    read = parse(json.dumps(doc).encode())
    assert read.outputs["pw"].redacted and "v3-s3cr3t" not in repr(read)
