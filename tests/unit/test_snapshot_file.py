"""The JSON snapshot format: good files become Snapshots, bad ones a clear SnapshotFormatError."""

from __future__ import annotations

import copy
import gzip
import io
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from auditd.collectors.snapshot_file import json_schema, parse_snapshot, read_snapshot_file
from auditd.errors import InputError, SnapshotFormatError
from auditd.model import Origin, ResourceKey, ScopeSelector

SOURCE = "estate.json"
LIMIT = 1 << 20


def good_doc() -> dict[str, Any]:
    return {
        "format": "driftaudit-snapshot",
        "version": 1,
        "scope": "aws/123456789012",
        "taken_at": "2026-11-25T15:00:00Z",
        "defaults": {"provider": "aws", "account": "123456789012", "region": "eu-west-1",
                     "origin": "state"},
        "resources": [
            {"type": "aws_s3_bucket", "id": "logs", "attributes": {"bucket": "logs",
                                                                   "tags": {"team": "ops"}}},
            {"type": "aws_iam_role", "id": "arn:aws:iam::123456789012:role/ops/deployer",
             "provider": "aws-alt", "account": "999999999999", "region": "global",
             "origin": "live", "address": "module.iam.aws_iam_role.deployer",
             "attributes": {"name": "deployer", "password": "x"},
             "sensitive_paths": ["password", "tags[\"k8s.io/x\"]"],
             "provenance": {"actor": "jane", "via": "console"}},
        ],
    }


def encode(doc: Any) -> bytes:
    return orjson.dumps(doc)


def parse(doc: Any) -> Any:
    return parse_snapshot(encode(doc), SOURCE)


def refused(data: bytes, source: str = SOURCE) -> SnapshotFormatError:
    with pytest.raises(SnapshotFormatError) as info:
        parse_snapshot(data, source)
    assert source in str(info.value)
    return info.value


# --------------------------------------------------------------------------- good files


def test_good_file_defaults_and_overrides() -> None:
    snapshot = parse(good_doc())
    assert snapshot.scope == "aws/123456789012"
    assert snapshot.taken_at == datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    assert snapshot.complete is True
    assert snapshot.errors == ()
    logs, role = snapshot.resources
    assert logs.key == ResourceKey("aws", "aws_s3_bucket", "logs", "123456789012", "eu-west-1")
    assert logs.origin is Origin.STATE
    assert logs.attrs == {"bucket": "logs", "tags": {"team": "ops"}}
    assert logs.address == ""
    assert logs.sensitive_paths == ()
    assert role.key == ResourceKey("aws-alt", "aws_iam_role",
                                   "arn:aws:iam::123456789012:role/ops/deployer",
                                   "999999999999", "global")
    assert role.origin is Origin.LIVE
    assert role.address == "module.iam.aws_iam_role.deployer"
    assert role.sensitive_paths == ("password", 'tags["k8s.io/x"]')
    assert role.provenance == {"actor": "jane", "via": "console"}
    assert role.content_hash == ""  # not normalised yet


def test_defaults_of_the_defaults() -> None:
    doc = good_doc()
    del doc["defaults"]
    snapshot = parse(doc)
    key = snapshot.resources[0].key
    assert (key.provider, key.account, key.region) == ("aws", "", "")
    assert snapshot.resources[0].origin is Origin.LIVE


def test_empty_resource_list_is_a_valid_snapshot() -> None:
    doc = good_doc()
    doc["resources"] = []
    assert parse(doc).resources == ()


def test_errors_with_selectors_make_it_incomplete() -> None:
    doc = good_doc()
    doc["errors"] = [
        {"message": "AccessDenied on ec2:DescribeInstances", "kind": "access-denied",
         "region": "us-east-1", "type": "aws_instance"},
        {"message": "throttled", "kind": "throttled", "account": "123456789012"},
    ]
    snapshot = parse(doc)
    assert snapshot.complete is False
    first, second = snapshot.errors
    assert first.selector == ScopeSelector(region="us-east-1", tf_type="aws_instance")
    assert first.kind == "access-denied"
    assert first.message == "AccessDenied on ec2:DescribeInstances"
    assert second.selector == ScopeSelector(account="123456789012")
    inside = ResourceKey("aws", "aws_s3_bucket", "x", "123456789012", "eu-west-1")
    outside = ResourceKey("aws", "aws_s3_bucket", "x", "555555555555", "eu-west-1")
    assert snapshot.may_delete(inside) is False
    assert snapshot.may_delete(outside) is True


def test_error_without_selector_protects_everything() -> None:
    doc = good_doc()
    doc["errors"] = [{"message": "region down"}]
    snapshot = parse(doc)
    assert snapshot.complete is False
    assert snapshot.errors[0].selector is None
    assert snapshot.errors[0].kind == "error"
    assert snapshot.may_delete(snapshot.resources[0].key) is False


@pytest.mark.parametrize(("given", "expected"), [(None, True), (True, True), (False, False)])
def test_complete_is_inferred_or_taken(given: bool | None, expected: bool) -> None:
    doc = good_doc()
    if given is not None:
        doc["complete"] = given
    assert parse(doc).complete is expected


def test_same_key_with_different_origins_is_not_a_duplicate() -> None:
    doc = good_doc()
    doc["resources"] = [{"type": "aws_s3_bucket", "id": "b", "origin": "live"},
                        {"type": "aws_s3_bucket", "id": "b", "origin": "state"}]
    assert len(parse(doc).resources) == 2


def test_taken_at_offset_is_kept_as_the_same_instant() -> None:
    doc = good_doc()
    doc["taken_at"] = "2026-11-25T17:00:00+02:00"
    assert parse(doc).taken_at == datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def test_utf8_bom_is_accepted() -> None:
    snapshot = parse_snapshot(b"\xef\xbb\xbf" + encode(good_doc()), SOURCE)
    assert len(snapshot.resources) == 2


def test_json_schema_describes_the_document() -> None:
    schema = json_schema()
    assert isinstance(schema, dict)
    assert "resources" in schema["properties"]
    assert {"format", "version", "scope", "taken_at", "resources"} <= set(schema["required"])
    orjson.dumps(schema)  # printable as JSON


# --------------------------------------------------------------------------- bad documents


def _mutate(change: Callable[[dict[str, Any]], Any]) -> bytes:
    doc = copy.deepcopy(good_doc())
    change(doc)
    return encode(doc)


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return change


def _delete(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]
    return change


def _duplicate(doc: dict[str, Any]) -> None:
    doc["resources"].append({"type": "aws_s3_bucket", "id": "other"})
    doc["resources"].append({"type": "aws_s3_bucket", "id": "logs", "attributes": {"b": 1}})


def _complete_with_errors(doc: dict[str, Any]) -> None:
    doc["complete"] = True
    doc["errors"] = [{"message": "AccessDenied"}]


BAD_DOCUMENTS: list[tuple[str, Callable[[dict[str, Any]], Any], str, list[str]]] = [
    ("wrong-format", _set(["format"], "terraform-state"), "format", ["driftaudit-snapshot"]),
    ("missing-format", _delete(["format"]), "format", ["driftaudit-snapshot"]),
    ("version-2", _set(["version"], 2), "version", ["version 2", "upgrade"]),
    ("version-true", _set(["version"], True), "version", []),
    ("version-string", _set(["version"], "1"), "version", []),
    ("missing-scope", _delete(["scope"]), "scope", ["required"]),
    ("empty-scope", _set(["scope"], ""), "scope", []),
    ("naive-taken-at", _set(["taken_at"], "2026-11-25T15:00:00"), "taken_at", ["time zone"]),
    ("bad-taken-at", _set(["taken_at"], "yesterday"), "taken_at", []),
    ("missing-resources", _delete(["resources"]), "resources", ["required"]),
    ("resource-without-id", _delete(["resources", 1, "id"]), "resources[1].id", ["required"]),
    ("resource-empty-id", _set(["resources", 0, "id"], ""), "resources[0].id", []),
    ("resource-without-type", _delete(["resources", 0, "type"]), "resources[0].type", []),
    ("slash-in-type", _set(["resources", 0, "type"], "aws/s3"), "resources[0]", ["tf_type"]),
    ("slash-in-region", _set(["resources", 1, "region"], "eu/west"), "resources[1]", ["region"]),
    ("unknown-top-field", _set(["colour"], "blue"), "colour", ["not permitted"]),
    ("unknown-resource-field", _set(["resources", 1, "tpye"], "x"), "resources[1].tpye",
     ["not permitted"]),
    ("unknown-origin", _set(["resources", 0, "origin"], "guessed"), "resources[0].origin", []),
    ("attributes-not-object", _set(["resources", 0, "attributes"], [1, 2]),
     "resources[0].attributes", []),
    ("error-without-message", _set(["errors"], [{"kind": "throttled"}]), "errors[0].message",
     ["required"]),
    ("duplicate", _duplicate, "resources[3]", ["resources[0]", "duplicate"]),
    ("complete-with-errors", _complete_with_errors, "complete", ["errors"]),
    ("bad-sensitive-path", _set(["resources", 1, "sensitive_paths"], ["password", "a..b"]),
     "resources[1].sensitive_paths[1]", ["a..b"]),
]


@pytest.mark.parametrize(("change", "where", "words"), [b[1:] for b in BAD_DOCUMENTS],
                         ids=[b[0] for b in BAD_DOCUMENTS])
def test_bad_document_names_file_and_location(
    change: Callable[[dict[str, Any]], Any], where: str, words: list[str]
) -> None:
    error = refused(_mutate(change))
    assert error.where == where
    assert str(error).startswith(f"{SOURCE}: {where}: ")
    for word in words:
        assert word.lower() in str(error).lower()
    assert isinstance(error, InputError)
    assert error.hint  # says what to do next


def test_several_problems_are_counted() -> None:
    doc = good_doc()
    del doc["scope"]
    del doc["resources"][0]["id"]
    assert "more problem" in str(refused(encode(doc)))


def test_truncated_json_says_it_looks_truncated() -> None:
    data = orjson.dumps(good_doc(), option=orjson.OPT_INDENT_2)
    for cut in (len(data) // 2, len(data) - 3, len(data) - 1):
        error = refused(data[:cut])
        assert "truncated" in str(error)


def test_truncated_json_with_non_ascii_text_says_it_looks_truncated() -> None:
    doc = good_doc()
    doc["resources"][0]["attributes"]["description"] = "Données clients - 顧客データ " * 20
    data = encode(doc)
    assert "truncated" in str(refused(data[:-40]))


def test_truncated_inside_a_utf8_character_says_it_looks_truncated() -> None:
    doc = good_doc()
    doc["resources"][0]["attributes"]["description"] = "é" * 10
    data = encode(doc)
    cut = data.index("é".encode()) + 1  # half of the two-byte character
    assert "truncated" in str(refused(data[:cut]))


def test_broken_json_in_the_middle_is_not_called_truncated() -> None:
    data = encode(good_doc()).replace(b'"scope":', b'"scope" ', 1)
    error = refused(data)
    assert "not valid JSON" in str(error)
    assert "line 1" in str(error)
    assert "truncated" not in str(error)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", ["empty"]),
        (b" \n\t ", ["empty"]),
        (b"\xef\xbb\xbf", ["empty"]),
        (b"hello world", ["not valid JSON"]),
        (b"<html><body>502 Bad Gateway</body></html>", ["not valid JSON"]),
        (b"[]", ["expected a JSON object", "list"]),
        (b'"a string"', ["expected a JSON object", "str"]),
        (b"null", ["expected a JSON object"]),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00", ["not UTF-8"]),
        (b"\xff\xfe{\x00}\x00", ["not UTF-8"]),  # UTF-16
        (b'{"format": "driftaudit-snapshot"}{}', ["not valid JSON"]),
        (b'{"format": "driftaudit-snapshot", "version": NaN}', ["not valid JSON"]),
    ],
    ids=["empty", "blank", "bom-only", "garbage", "html", "array", "string", "null", "png",
         "utf16", "two-documents", "nan"],
)
def test_not_a_snapshot_at_all(data: bytes, words: list[str]) -> None:
    error = refused(data)
    for word in words:
        assert word in str(error)


# --------------------------------------------------------------------------- files


def write(tmp_path: Path, data: bytes, name: str = "snap.json") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def refused_file(path: str, max_bytes: int = LIMIT) -> SnapshotFormatError:
    with pytest.raises(SnapshotFormatError) as info:
        read_snapshot_file(path, max_bytes=max_bytes)
    assert path in str(info.value)
    return info.value


def test_read_good_file(tmp_path: Path) -> None:
    path = write(tmp_path, encode(good_doc()))
    snapshot, name = read_snapshot_file(path, max_bytes=LIMIT)
    assert name == path
    assert len(snapshot.resources) == 2


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    doc = good_doc()
    del doc["resources"][0]["id"]
    path = write(tmp_path, encode(doc))
    error = refused_file(path)
    assert str(error).startswith(f"{path}: resources[0].id: ")


def test_gzip_file_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, gzip.compress(encode(good_doc())), "snap.json.gz")
    snapshot, _ = read_snapshot_file(path, max_bytes=LIMIT)
    assert snapshot.scope == "aws/123456789012"


def test_gzip_is_detected_by_content_not_name(tmp_path: Path) -> None:
    path = write(tmp_path, gzip.compress(b"\xef\xbb\xbf" + encode(good_doc())), "snap.json")
    assert len(read_snapshot_file(path, max_bytes=LIMIT)[0].resources) == 2


def test_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress(encode(good_doc()))
    path = write(tmp_path, data[: len(data) - 12], "snap.json.gz")
    error = refused_file(path)
    assert "gzip" in str(error)
    assert "truncated" in str(error)


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = write(tmp_path, b"\x1f\x8b" + b"\x00" * 40)
    assert "gzip" in str(refused_file(path))


def test_bom_file_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + encode(good_doc()))
    assert len(read_snapshot_file(path, max_bytes=LIMIT)[0].resources) == 2


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    data = encode(good_doc())
    path = write(tmp_path, data)
    error = refused_file(path, max_bytes=len(data) - 1)
    assert f"limit of {len(data) - 1} bytes" in str(error)
    assert "max_bytes" in error.hint
    snapshot, _ = read_snapshot_file(path, max_bytes=len(data))  # exactly at the limit is fine
    assert snapshot.scope


def test_gzip_expanding_over_the_size_limit(tmp_path: Path) -> None:
    doc = good_doc()
    doc["resources"][0]["attributes"]["blob"] = "a" * 200_000
    data = gzip.compress(encode(doc))
    path = write(tmp_path, data, "bomb.json.gz")
    assert len(data) < 10_000
    assert "expands beyond the limit" in str(refused_file(path, max_bytes=100_000))


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in str(refused_file(str(tmp_path / "nope.json")))


def test_directory(tmp_path: Path) -> None:
    assert "directory" in str(refused_file(str(tmp_path)))


def test_binary_junk_file(tmp_path: Path) -> None:
    path = write(tmp_path, bytes(range(256)) * 4, "junk.bin")
    refused_file(path)


def test_empty_file(tmp_path: Path) -> None:
    assert "empty" in str(refused_file(write(tmp_path, b"")))


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(gzip.compress(encode(good_doc()))))
    monkeypatch.setattr(sys, "stdin", stdin)
    snapshot, name = read_snapshot_file("-", max_bytes=LIMIT)
    assert name == "<stdin>"
    assert len(snapshot.resources) == 2


def test_stdin_errors_name_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"[]")))
    with pytest.raises(SnapshotFormatError, match="<stdin>"):
        read_snapshot_file("-", max_bytes=LIMIT)
