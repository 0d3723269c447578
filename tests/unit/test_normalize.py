"""The normaliser chain: equivalent inputs hash equal, secrets never leave in clear."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from auditd.normalize import (
    FINGERPRINT_PREFIX,
    HmacFingerprinter,
    TypeRules,
    is_fingerprint,
    normalize_attrs,
    normalize_resource,
    typerules,
)
from auditd.normalize.canonical import canonical_json, content_hash
from tests.helpers import res

FP = HmacFingerprinter(b"k" * 32)
SG = "aws_security_group"


def norm(attrs: dict[str, Any], tf_type: str = SG, sensitive: tuple[str, ...] = (),
         fp: HmacFingerprinter = FP) -> dict[str, Any]:
    return normalize_attrs(tf_type, attrs, fp, sensitive)


def dumped(attrs: dict[str, Any]) -> bytes:
    return orjson.dumps(attrs)


# --------------------------------------------------------------------------- ordering


def test_dict_key_order_does_not_matter() -> None:
    a = {"name": "web", "tags": {"team": "a", "env": "prod"}, "vpc_id": "vpc-1"}
    b = {"vpc_id": "vpc-1", "tags": {"env": "prod", "team": "a"}, "name": "web"}
    assert norm(a) == norm(b)
    assert dumped(norm(a)) == dumped(norm(b))
    assert list(norm(b)) == ["name", "tags", "vpc_id"]
    assert list(norm(b)["tags"]) == ["env", "team"]


@pytest.mark.parametrize("field", ["cidr_blocks", "vpc_security_group_ids", "subnet_ids",
                                   "security_groups", "availability_zones"])
def test_set_like_lists_are_sorted(field: str) -> None:
    assert norm({field: ["b", "c", "a"]}) == {field: ["a", "b", "c"]}
    assert norm({field: ["c", "a", "b"]}) == norm({field: ["a", "b", "c"]})


def test_set_of_blocks_is_sorted_whatever_the_order_inside() -> None:
    rule_a = {"from_port": 443, "to_port": 443, "protocol": "tcp",
              "cidr_blocks": ["10.0.0.0/8", "192.168.0.0/16"]}
    rule_b = {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["10.1.0.0/16"]}
    rule_a_shuffled = {"protocol": "tcp", "cidr_blocks": ["192.168.0.0/16", "10.0.0.0/8"],
                       "to_port": 443, "from_port": 443}
    one = norm({"ingress": [rule_a, rule_b]})
    other = norm({"ingress": [rule_b, rule_a_shuffled]})
    assert one == other
    assert dumped(one) == dumped(other)
    assert one["ingress"][0]["cidr_blocks"] == ["10.0.0.0/8", "192.168.0.0/16"]


def test_ordinary_lists_keep_their_order() -> None:
    assert norm({"command": ["b", "a", "c"]}) == {"command": ["b", "a", "c"]}
    assert norm({"command": ["b", "a"]}) != norm({"command": ["a", "b"]})
    # nested list that is not a set, inside a set-like list
    out = norm({"ingress": [{"description": "x", "ports": [443, 80]}]})
    assert out["ingress"][0]["ports"] == [443, 80]


def test_set_like_list_order_matters_for_content_not_for_hash() -> None:
    one = norm({"cidr_blocks": ["10.0.0.0/8", "10.1.0.0/16"]})
    other = norm({"cidr_blocks": ["10.1.0.0/16", "10.0.0.0/8"]})
    changed = norm({"cidr_blocks": ["10.1.0.0/16", "10.2.0.0/8"]})
    assert content_hash(one) == content_hash(other)
    assert content_hash(one) != content_hash(changed)


# --------------------------------------------------------------------------- JSON documents

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]},
        {"Sid": "Deny", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
    ],
}


def _pretty_reordered() -> str:
    statements = [
        {"Resource": "*", "Action": ["s3:DeleteObject"], "Effect": "Deny", "Sid": "Deny"},
        {"Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b"], "Effect": "Allow",
         "Action": ["s3:ListBucket", "s3:GetObject"], "Sid": "Read"},
    ]
    doc = {"Statement": statements, "Version": "2012-10-17"}
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode()


@pytest.mark.parametrize(
    "policy",
    [
        orjson.dumps(POLICY).decode(),
        _pretty_reordered(),
        "\n  " + orjson.dumps(POLICY).decode() + "\n",
        quote(orjson.dumps(POLICY).decode()),  # IAM's URL-encoded form
        POLICY,  # already data
    ],
    ids=["compact", "pretty-reordered", "padded", "url-encoded", "dict"],
)
def test_equivalent_policies_normalise_equal(policy: Any) -> None:
    expected = norm({"policy": orjson.dumps(POLICY).decode()})
    got = norm({"policy": policy})
    assert got == expected
    assert content_hash(got) == content_hash(expected)
    assert isinstance(got["policy"], dict)


def test_action_string_equals_one_element_list() -> None:
    single = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    listed = {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}]}
    assert norm({"policy": orjson.dumps(single).decode()}) == norm(
        {"policy": orjson.dumps(listed).decode()})


def test_statement_as_dict_equals_one_element_list() -> None:
    as_dict = {"Version": "2012-10-17",
               "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole",
                             "Principal": {"Service": "ec2.amazonaws.com"}}}
    as_list = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole"],
                              "Principal": {"Service": ["ec2.amazonaws.com"]}}]}
    assert norm({"assume_role_policy": orjson.dumps(as_dict).decode()}) == norm(
        {"assume_role_policy": orjson.dumps(as_list).decode()})


def test_principal_lists_are_sets() -> None:
    def policy(principals: Any, key: str = "Principal") -> dict[str, Any]:
        doc = {"Statement": [{"Effect": "Deny", "Action": "s3:*", key: {"AWS": principals}}]}
        return norm({"policy": orjson.dumps(doc).decode()})

    assert policy(["arn:b", "arn:a"]) == policy(["arn:a", "arn:b"])
    assert policy("arn:a") == policy(["arn:a"])
    assert policy(["arn:b", "arn:a"], "NotPrincipal") == policy(["arn:a", "arn:b"], "NotPrincipal")
    assert policy(["arn:a"]) != policy(["arn:a", "arn:b"])


def test_really_different_policies_differ() -> None:
    allow = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    deny = {"Statement": [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]}
    assert content_hash(norm({"policy": orjson.dumps(allow).decode()})) != content_hash(
        norm({"policy": orjson.dumps(deny).decode()}))


def test_statement_order_is_decided_on_the_final_form() -> None:
    # The first statement carries a null the canonical form drops; sorting statements
    # before that drop would order these two differently from their null-free twin.
    with_null = {"Statement": [{"Condition": None, "Sid": "Z", "Effect": "Allow"},
                               {"Sid": "B", "Effect": "Allow"}]}
    without = {"Statement": [{"Sid": "Z", "Effect": "Allow"}, {"Sid": "B", "Effect": "Allow"}]}
    one = norm({"policy": orjson.dumps(with_null).decode()})
    other = norm({"policy": orjson.dumps(without).decode()})
    assert one == other
    assert dumped(one) == dumped(other)
    assert norm(one) == one


def test_policy_nested_in_a_block_is_parsed_too() -> None:
    # aws_iam_role keeps inline policies as JSON strings inside inline_policy blocks
    compact = orjson.dumps(POLICY).decode()
    one = norm({"inline_policy": [{"name": "p", "policy": compact}]}, "aws_iam_role")
    other = norm({"inline_policy": [{"name": "p", "policy": _pretty_reordered()}]}, "aws_iam_role")
    assert one == other
    assert isinstance(one["inline_policy"][0]["policy"], dict)


@pytest.mark.parametrize("text", ["{not json", '{"Statement": [}', "%7Bbroken", "{}}"])
def test_invalid_json_document_is_kept_as_a_string(text: str) -> None:
    assert norm({"policy": text}) == {"policy": text}


def test_url_encoded_policy_is_decoded() -> None:
    out = norm({"policy": quote('{"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}')})
    assert out == {"policy": {"Statement": [{"Action": ["s3:*"], "Effect": "Allow"}]}}


def test_named_document_may_be_an_array_unnamed_may_not() -> None:
    defs = '[{"name": "web", "image": "nginx:1.27", "essential": true}]'
    out = norm({"container_definitions": defs, "description": "[1, 2]"}, "aws_ecs_task_definition")
    assert out["container_definitions"] == [{"essential": True, "image": "nginx:1.27",
                                             "name": "web"}]
    assert out["description"] == "[1, 2]"


def test_unnamed_top_level_json_object_string_is_parsed() -> None:
    one = norm({"settings": '{"b": 1, "a": 2}'})
    other = norm({"settings": '{ "a": 2,\n "b": 1 }'})
    assert one == other == {"settings": {"a": 2, "b": 1}}


# --------------------------------------------------------------------------- volatile / empties


@pytest.mark.parametrize(
    ("tf_type", "volatile"),
    [
        ("aws_db_instance", "status"),
        ("aws_db_instance", "latest_restorable_time"),
        ("aws_instance", "public_ip"),
        ("aws_instance", "instance_state"),
        ("aws_s3_bucket", "bucket_domain_name"),
        ("aws_lambda_function", "last_modified"),
        ("aws_security_group", "timeouts"),
    ],
)
def test_volatile_fields_are_dropped_per_type(tf_type: str, volatile: str) -> None:
    base = {"name": "x"}
    assert norm({**base, volatile: "anything"}, tf_type) == norm(base, tf_type)


def test_volatile_fields_are_per_type() -> None:
    # `status` is noise for a database but configuration elsewhere
    assert norm({"status": "Enabled"}, "aws_s3_bucket_versioning") == {"status": "Enabled"}
    assert norm({"public_ip": "1.2.3.4"}, "aws_eip") == {"public_ip": "1.2.3.4"}


def test_empty_values_are_dropped_but_falsy_scalars_kept() -> None:
    out = norm({"a": None, "b": {}, "c": [], "d": {"x": None, "y": {}}, "e": False, "f": 0,
                "g": "", "h": [None], "i": [{}]})
    assert out == {"e": False, "f": 0, "g": "", "h": [None], "i": [{}]}
    assert norm({"tags": {}}) == norm({})


def test_integral_floats_equal_ints() -> None:
    assert norm({"port": 80.0, "nested": {"size": 1.0}}) == norm({"port": 80,
                                                                  "nested": {"size": 1}})
    assert dumped(norm({"port": 80.0})) == b'{"port":80}'
    assert norm({"ratio": 1.5}) == {"ratio": 1.5}


def test_huge_integral_float_stays_a_float_that_can_be_hashed() -> None:
    out = norm({"big": 1e30})
    assert out == {"big": 1e30}
    assert len(content_hash(out)) == 64


def test_datetimes_and_other_convertible_types() -> None:
    moment = datetime(2026, 11, 1, 12, 30, tzinfo=UTC)
    out = norm({"created": moment, "day": date(2026, 11, 1), "pair": ("a", "b"),
                "blob": b"\x00\xff"})
    assert out == {"created": "2026-11-01T12:30:00+00:00", "day": "2026-11-01",
                   "pair": ["a", "b"], "blob": "AP8="}
    assert norm({"created": moment}) == norm({"created": "2026-11-01T12:30:00+00:00"})


@pytest.mark.parametrize(
    ("value", "type_name"),
    [({1, 2}, "set"), (Decimal("1.5"), "Decimal"), (object(), "object"), (1 + 2j, "complex")],
)
def test_non_json_values_raise_type_error_naming_the_path(value: Any, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"ingress\[0\]\.from_port holds a {type_name}"):
        norm({"ingress": [{"from_port": value}]})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 2**64, -(2**63) - 1])
def test_values_canonical_json_cannot_hold_raise_type_error(value: Any) -> None:
    # orjson would write every non-finite float as null: all of them would hash the same
    with pytest.raises(TypeError, match=r"tags\.size"):
        norm({"tags": {"size": value}})


def test_64_bit_integer_limits_are_accepted() -> None:
    out = norm({"a": 2**64 - 1, "b": -(2**63)})
    assert len(content_hash(out)) == 64


def test_non_string_key_raises_type_error() -> None:
    with pytest.raises(TypeError, match="not a string"):
        norm({"tags": {1: "x"}})


# --------------------------------------------------------------------------- secrets

CLEAR = "Sup3rS3cretClearValue"


@pytest.mark.parametrize(
    "name",
    ["password", "master_password", "auth_token", "github_token", "token", "private_key",
     "private_key_pem", "client_secret", "secret", "secret_string", "api_key",
     "DB_PASSWORD", "sasl_password", "ses_smtp_password_v4", "tls_private_key"],
)
def test_secret_is_fingerprinted_by_name(name: str) -> None:
    out = norm({name: CLEAR, "name": "x"})
    assert is_fingerprint(out[name])
    assert out[name].startswith(FINGERPRINT_PREFIX)
    assert CLEAR.encode() not in dumped(out)
    assert out["name"] == "x"


def test_non_secret_names_stay_clear() -> None:
    out = norm({"password_length": 16, "description": CLEAR, "token_url": "https://x"})
    assert out == {"description": CLEAR, "password_length": 16, "token_url": "https://x"}


@pytest.mark.parametrize(
    ("attrs", "paths", "secret_at"),
    [
        ({"user_data": CLEAR}, ("user_data",), [("user_data",)]),
        ({"config": {"dsn": CLEAR, "host": "h"}}, ("config.dsn",), [("config", "dsn")]),
        ({"containers": [{"env": CLEAR}, {"env": "plain"}]}, ("containers[0].env",),
         [("containers", 0, "env")]),
        ({"containers": [{"env": CLEAR}, {"env": CLEAR + "2"}]}, ("containers[*].env",),
         [("containers", 0, "env"), ("containers", 1, "env")]),
        ({"tags": {"kubernetes.io/token-ish": CLEAR}}, ('tags["kubernetes.io/token-ish"]',),
         [("tags", "kubernetes.io/token-ish")]),
    ],
    ids=["top", "nested", "index", "wildcard", "quoted-key"],
)
def test_secret_is_fingerprinted_by_sensitive_path(
    attrs: dict[str, Any], paths: tuple[str, ...], secret_at: list[tuple[Any, ...]]
) -> None:
    out = norm(attrs, sensitive=paths)
    assert CLEAR.encode() not in dumped(out)
    for where in secret_at:
        value: Any = out
        for segment in where:
            value = value[segment]
        assert is_fingerprint(value)


def test_sensitive_index_path_touches_only_that_element() -> None:
    out = norm({"containers": [{"env": CLEAR}, {"env": "plain"}]}, sensitive=("containers[0].env",))
    assert out["containers"][1] == {"env": "plain"}


def test_bad_sensitive_path_raises_value_error() -> None:
    with pytest.raises(ValueError, match="bad attribute path"):
        norm({"a": 1}, sensitive=("a..b",))


def test_nested_secrets_are_fingerprinted_everywhere() -> None:
    attrs = {
        "master_user_secret": [{"secret_arn": "arn:x", "kms_key_id": "k"}],
        "environment": [{"variables": {"API_TOKEN": CLEAR, "LOG_LEVEL": "info"}}],
        "ingress": [{"description": "x", "auth_token": CLEAR + "b"}],
        "connection": {"password": {"value": CLEAR + "c", "rotate": True}},
    }
    out = norm(attrs)
    blob = dumped(out)
    assert CLEAR.encode() not in blob
    assert is_fingerprint(out["environment"][0]["variables"]["API_TOKEN"])
    assert out["environment"][0]["variables"]["LOG_LEVEL"] == "info"
    assert is_fingerprint(out["ingress"][0]["auth_token"])
    assert is_fingerprint(out["connection"]["password"])


def test_secret_inside_a_json_string_is_fingerprinted() -> None:
    doc = f'{{"username": "app", "password": "{CLEAR}"}}'
    out = norm({"connection_settings": doc})
    assert CLEAR.encode() not in dumped(out)
    assert out["connection_settings"]["username"] == "app"
    assert is_fingerprint(out["connection_settings"]["password"])
    # secret_string holding JSON: the whole document is the secret, its layout is not
    one = norm({"secret_string": doc})
    other = norm({"secret_string": f'{{ "password": "{CLEAR}",\n  "username": "app" }}'})
    assert one == other
    assert CLEAR.encode() not in dumped(one)


def test_registered_secret_field_is_fingerprinted(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = TypeRules().extended(secret_fields=frozenset({"connection_string"}))
    monkeypatch.setitem(typerules._REGISTRY, "test_custom_type", rules)
    out = norm({"connection_string": CLEAR}, "test_custom_type")
    assert is_fingerprint(out["connection_string"])
    assert norm({"connection_string": CLEAR}, "test_other_type") == {"connection_string": CLEAR}


def test_fingerprint_tracks_the_secret_value() -> None:
    first = norm({"password": "correct horse battery"})
    same = norm({"password": "correct horse battery"})
    changed = norm({"password": "correct horse battery staple"})
    assert first == same
    assert first["password"] != changed["password"]
    assert content_hash(first) != content_hash(changed)


def test_fingerprint_depends_on_the_installation_key() -> None:
    other_key = HmacFingerprinter(b"j" * 32)
    assert norm({"password": CLEAR})["password"] != norm({"password": CLEAR}, fp=other_key)[
        "password"]


def test_secret_fingerprint_ignores_layout_of_structured_secrets() -> None:
    one = norm({"password": {"b": 1.0, "a": {"cidr_blocks": ["y", "x"]}, "c": None}})
    other = norm({"password": {"a": {"cidr_blocks": ["x", "y"]}, "b": 1}})
    assert one == other
    assert norm({"password": 1.0}) == norm({"password": 1})
    assert norm({"password": {"a": 1}}) != norm({"password": {"a": 2}})


@pytest.mark.parametrize("blank", ["", None, {}, [], {"a": None}])
def test_blank_secrets_are_not_fingerprinted(blank: Any) -> None:
    out = norm({"password": blank, "name": "x"})
    if blank == "":
        assert out == {"name": "x", "password": ""}
    else:
        assert out == {"name": "x"}  # absent, like any other empty value


def test_fingerprints_are_not_fingerprinted_again() -> None:
    once = norm({"password": CLEAR, "cfg": {"x": CLEAR}}, sensitive=("cfg.x",))
    twice = norm(once, sensitive=("cfg.x",))
    assert twice == once
    assert FP(once["password"]) == once["password"]


def test_fingerprinter_refuses_a_short_key() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        HmacFingerprinter(b"short")


def test_fingerprint_shape() -> None:
    value = FP("x")
    assert value.startswith(FINGERPRINT_PREFIX)
    assert len(value) == len(FINGERPRINT_PREFIX) + 32
    int(value.removeprefix(FINGERPRINT_PREFIX), 16)
    assert not is_fingerprint("x")
    assert not is_fingerprint(None)


# --------------------------------------------------------------------------- normalize_resource


def test_normalize_resource_fills_the_content_hash() -> None:
    raw = res("db1", {"password": CLEAR, "tags": {"b": "2", "a": "1"}, "status": "available",
                      "allocated_storage": 20.0}, tf_type="aws_db_instance",
              sensitive=("tags.a",))
    out = normalize_resource(raw, FP)
    assert out.content_hash == hashlib.sha256(canonical_json(out.attrs)).hexdigest()
    assert out.content_hash == content_hash(out.attrs)
    assert out.sensitive_paths == ()
    assert out.key == raw.key
    assert "status" not in out.attrs
    assert is_fingerprint(out.attrs["tags"]["a"])
    assert CLEAR.encode() not in dumped(dict(out.attrs))
    assert raw.content_hash == ""


def test_normalize_resource_equal_hash_for_equivalent_inputs() -> None:
    one = normalize_resource(res("sg", {"ingress": [{"p": 1}, {"p": 2}], "tags": {"a": "1"},
                                        "egress": []}, tf_type=SG), FP)
    other = normalize_resource(res("sg", {"tags": {"a": "1"}, "ingress": [{"p": 2.0}, {"p": 1}]},
                                   tf_type=SG), FP)
    changed = normalize_resource(res("sg", {"tags": {"a": "2"}, "ingress": [{"p": 2}, {"p": 1}]},
                                     tf_type=SG), FP)
    assert one.content_hash == other.content_hash
    assert one.content_hash != changed.content_hash


# --------------------------------------------------------------------------- properties

SECRET_NAMES = ["password", "master_password", "api_token", "client_secret", "private_key"]
SET_NAMES = ["ingress", "cidr_blocks", "vpc_security_group_ids", "subnet_ids", "Statement"]
OTHER_NAMES = ["name", "tags", "policy", "description", "status", "public_ip", "rules", "x"]
TYPES = ["aws_security_group", "aws_db_instance", "aws_instance", "aws_iam_role"]

keys = st.one_of(st.sampled_from(SECRET_NAMES + SET_NAMES + OTHER_NAMES), st.text(max_size=6))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(['{"b": 1, "a": [2, 1]}', '{"Statement": {"Action": "s3:*"}}', "{bad", "[1]"]),
)
trees = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(keys, children, max_size=4)),
    max_leaves=20,
)
attr_trees = st.dictionaries(keys, trees, max_size=6)

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])


def shuffled(value: Any, rnd: random.Random, name: Any = None) -> Any:
    """The same data with dict keys reordered everywhere and set-like lists permuted."""
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {k: shuffled(v, rnd, k) for k, v in items}
    if isinstance(value, list):
        items = [shuffled(v, rnd) for v in value]
        if name in SET_NAMES:
            rnd.shuffle(items)
        return items
    return value


@PROPERTY_SETTINGS
@given(attrs=attr_trees, tf_type=st.sampled_from(TYPES))
def test_property_normalising_is_idempotent(attrs: dict[str, Any], tf_type: str) -> None:
    once = norm(attrs, tf_type)
    twice = norm(once, tf_type)
    assert twice == once
    assert dumped(twice) == dumped(once)


@PROPERTY_SETTINGS
@given(attrs=attr_trees, tf_type=st.sampled_from(TYPES), rnd=st.randoms(use_true_random=False))
def test_property_key_order_and_set_order_do_not_matter(
    attrs: dict[str, Any], tf_type: str, rnd: random.Random
) -> None:
    other = shuffled(attrs, rnd)
    assert dumped(norm(other, tf_type)) == dumped(norm(attrs, tf_type))
    assert content_hash(norm(other, tf_type)) == content_hash(norm(attrs, tf_type))


# Secret values use upper-case letters only; every other string the tree can hold is
# lower case or digits (fingerprints are lower-case hex), so a substring check is meaningful.
secret_values = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=8, max_size=24)
plain_keys = st.sampled_from([*SET_NAMES[:-1], "name", "tags", "rules", "x", "description"])
plain_scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000),
                          st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-./ ", max_size=8))
plain_trees = st.recursive(
    plain_scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(plain_keys, children, max_size=3)),
    max_leaves=12,
)

PLACEMENTS = ["top", "nested-block", "json-string", "sensitive-path", "structured"]


def with_secret(base: dict[str, Any], placement: str, name: str,
                secret: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    attrs = dict(base)
    if placement == "top":
        attrs[name] = secret
        return attrs, ()
    if placement == "nested-block":
        attrs["settings"] = [{"engine": "pg", "credentials": {name: secret}}]
        return attrs, ()
    if placement == "json-string":
        attrs["connection"] = orjson.dumps({"user": "app", name: secret}).decode()
        return attrs, ()
    if placement == "structured":
        attrs[name] = {"value": secret, "cidr_blocks": ["b", "a"]}
        return attrs, ()
    attrs["containers"] = [{"env": secret, "image": "nginx"}, {"env": secret, "image": "redis"}]
    return attrs, ("containers[*].env",)


@PROPERTY_SETTINGS
@given(base=st.dictionaries(plain_keys, plain_trees, max_size=5), s1=secret_values,
       s2=secret_values, name=st.sampled_from(SECRET_NAMES), placement=st.sampled_from(PLACEMENTS),
       tf_type=st.sampled_from(TYPES))
def test_property_secrets_change_the_hash_and_never_appear(
    *, base: dict[str, Any], s1: str, s2: str, name: str, placement: str, tf_type: str
) -> None:
    assume(s1 != s2)
    attrs1, paths = with_secret(base, placement, name, s1)
    attrs2, _ = with_secret(base, placement, name, s2)
    out1 = norm(attrs1, tf_type, paths)
    out2 = norm(attrs2, tf_type, paths)
    blob1, blob2 = canonical_json(out1), canonical_json(out2)
    for secret in (s1, s2):
        assert secret.encode() not in blob1
        assert secret.encode() not in blob2
    assert content_hash(out1) != content_hash(out2)
    assert norm(attrs1, tf_type, paths) == out1  # same secret, same fingerprint
