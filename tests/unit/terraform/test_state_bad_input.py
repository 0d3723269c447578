"""Bad tfstate input: every case is a precise error naming the file and what to do.

None of them may crash, and none may look like "every resource was deleted":
:func:`collect_states` turns them into :class:`StateFailure`, whose snapshot is
incomplete.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditd.collectors.terraform.state import (
    BackendConfigError,
    EmptyStateError,
    NotAStateError,
    StateFailure,
    StateFormatError,
    StateLocationError,
    StateRead,
    StateTooLarge,
    StateUnreadable,
    UnsupportedStateVersion,
    collect_states,
    parse_state,
    read_state_file,
)
from auditd.errors import InputError

GOOD: dict[str, Any] = {
    "version": 4, "terraform_version": "1.5.7", "serial": 7, "lineage": "abc",
    "outputs": {},
    "resources": [{"mode": "managed", "type": "aws_vpc", "name": "main",
                   "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                   "instances": [{"schema_version": 1, "attributes": {
                       "id": "vpc-1", "cidr_block": "10.0.0.0/16", "tags": {"Name": "µ-net"}},
                       "sensitive_attributes": []}]}],
}


def good_bytes() -> bytes:
    return json.dumps(GOOD, indent=2, ensure_ascii=False).encode()


def with_(**changes: Any) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


def without(name: str) -> bytes:
    return json.dumps({k: v for k, v in GOOD.items() if k != name}).encode()


def instance_with(**changes: Any) -> bytes:
    res = dict(GOOD["resources"][0])
    res["instances"] = [{**res["instances"][0], **changes}]
    return with_(resources=[res])


def resource_with(**changes: Any) -> bytes:
    return with_(resources=[{**GOOD["resources"][0], **changes}])


def fails(data: bytes, error: type[Exception] = StateFormatError) -> StateFormatError:
    with pytest.raises(error) as caught:
        parse_state(data, "prod.tfstate")
    assert type(caught.value) is error
    assert "prod.tfstate" in str(caught.value)
    assert isinstance(caught.value, StateFormatError)
    return caught.value


def test_the_good_state_parses() -> None:
    assert isinstance(parse_state(good_bytes(), "prod.tfstate"), StateRead)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.999])
def test_truncated_mid_file(fraction: float) -> None:
    data = good_bytes()
    error = fails(data[: int(len(data) * fraction)])
    assert "truncated" in error.hint


def test_truncated_inside_a_utf8_character() -> None:
    data = good_bytes()
    cut = data.index("µ".encode()) + 1
    error = fails(data[:cut])
    assert "ends inside a UTF-8 character" in str(error) and "truncated" in error.hint


def test_not_json_at_all() -> None:
    error = fails(b"invalid\n")
    assert "not valid JSON" in str(error) and "line 1 column 1" in str(error)


def test_binary_file() -> None:
    error = fails(b"\x1f\x8b\x08\x00\xff\xfe binary", NotAStateError)
    assert "not UTF-8" in str(error)


def test_empty_file() -> None:
    error = fails(b"  \n", EmptyStateError)
    assert error.kind == "empty"


@pytest.mark.parametrize(("doc", "says"), [
    ({"format_version": "1.2", "terraform_version": "1.5.7", "planned_values": {},
      "resource_changes": []}, "a plan in JSON"),
    ({"format_version": "1.0", "terraform_version": "1.5.7", "values": {}},
     "`terraform show -json` output"),
    ({"format": "driftaudit-snapshot", "version": 1, "scope": "x",
      "taken_at": "2026-01-01T00:00:00Z", "resources": []}, "driftaudit snapshot"),
    ({"name": "package.json"}, "no integer 'version'"),
    ({"version": "4", "serial": 1, "lineage": "x"}, "no integer 'version'"),
    ([{"version": 4}], "found a list"),
    ("state", "found a string"),
])
def test_json_that_is_not_a_state(doc: Any, says: str) -> None:
    error = fails(json.dumps(doc).encode(), NotAStateError)
    assert says in str(error)
    assert error.kind == "not-a-state"
    assert error.hint


def test_backend_configuration_file() -> None:
    doc = {"version": 3, "serial": 0, "lineage": "x", "modules": [],
           "backend": {"type": "s3", "config": {"bucket": "tf", "key": "prod/tfstate"},
                       "hash": 1}}
    error = fails(json.dumps(doc).encode(), BackendConfigError)
    assert "type 's3': bucket=tf, key=prod/tfstate" in str(error)
    assert "s3://BUCKET/KEY" in error.hint


@pytest.mark.parametrize("version", [5, 99])
def test_future_version(version: int) -> None:
    error = fails(with_(version=version), UnsupportedStateVersion)
    assert f"version {version} is newer" in str(error) and "upgrade driftaudit" in error.hint


@pytest.mark.parametrize("version", [1, 2])
def test_ancient_versions(version: int) -> None:
    error = fails(json.dumps({"version": version, "serial": 1, "modules": []}).encode(),
                  UnsupportedStateVersion)
    assert f"state format version {version}" in str(error)
    assert "terraform state pull" in error.hint


def test_version_zero() -> None:
    assert "not a Terraform state format version" in str(
        fails(with_(version=0), UnsupportedStateVersion))


def test_missing_serial() -> None:
    error = fails(without("serial"))
    assert error.where == "serial" and "no 'serial'" in str(error)


@pytest.mark.parametrize("serial", [-1, "7", 1.5, True])
def test_bad_serial(serial: Any) -> None:
    assert fails(with_(serial=serial)).where == "serial"


def test_missing_lineage_is_read_with_a_warning() -> None:
    read = parse_state(without("lineage"), "prod.tfstate")
    assert read.lineage == "" and "no lineage" in read.warnings[0]


def test_lineage_of_the_wrong_type() -> None:
    assert fails(with_(lineage=5)).where == "lineage"


def test_instances_without_attributes_are_kept() -> None:
    read = parse_state(instance_with(attributes=None), "prod.tfstate")
    assert read.resources[0].key.id == "aws_vpc.main"
    assert read.stats.ids_from_address == 1


@pytest.mark.parametrize(("data", "where"), [
    (instance_with(attributes=["id", "vpc-1"]), "resources[0].instances[0].attributes"),
    (instance_with(index_key=[1]), "resources[0].instances[0].index_key"),
    (instance_with(index_key=True), "resources[0].instances[0].index_key"),
    (instance_with(status="gone"), "resources[0].instances[0].status"),
    (instance_with(deposed="xyz"), "resources[0].instances[0].deposed"),
    (instance_with(sensitive_attributes={"password": True}),
     "resources[0].instances[0].sensitive_attributes"),
    (instance_with(dependencies="aws_vpc.x"), "resources[0].instances[0].dependencies"),
    (resource_with(mode="ephemeral"), "resources[0].mode"),
    (resource_with(type=""), "resources[0].type"),
    (resource_with(name="has space"), "resources[0].name"),
    (resource_with(instances=None), "resources[0].instances"),
    (with_(resources={"aws_vpc.main": {}}), "resources"),
    (with_(resources=["aws_vpc.main"]), "resources[0]"),
    (with_(outputs=[]), "outputs"),
])
def test_malformed_structure_is_refused_as_a_whole(data: bytes, where: str) -> None:
    # Skipping one bad resource would make it look deleted: refuse the whole state.
    assert fails(data).where == where


def test_duplicate_instances_are_refused() -> None:
    res = GOOD["resources"][0]
    error = fails(with_(resources=[res, res]))
    assert "aws_vpc.main appears more than once" in str(error)


def test_v3_malformed_key_is_refused() -> None:
    doc = {"version": 3, "serial": 1, "lineage": "l", "modules": [
        {"path": ["root"], "resources": {"aws_instance": {"primary": {"id": "i-1"}}}}]}
    assert "invalid resource key 'aws_instance'" in str(fails(json.dumps(doc).encode()))


# --- files ------------------------------------------------------------------------------

def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.tfstate"
    path.write_bytes(good_bytes() + b" " * 5000)
    with pytest.raises(StateTooLarge) as caught:
        read_state_file(str(path), max_bytes=1000)
    assert str(path) in str(caught.value) and "limit of 1000 bytes" in str(caught.value)
    assert caught.value.kind == "too-large"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StateUnreadable) as caught:
        read_state_file(str(tmp_path / "nope.tfstate"))
    assert caught.value.kind == "missing" and "no such file" in str(caught.value)


def test_directory_instead_of_a_file(tmp_path: Path) -> None:
    with pytest.raises(StateLocationError):
        read_state_file(str(tmp_path))


def test_a_file_read_keeps_its_time_and_an_absolute_scope(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "terraform.tfstate").write_bytes(good_bytes())
    monkeypatch.chdir(tmp_path)
    read = read_state_file("terraform.tfstate")
    assert read.scope == f"tfstate/{tmp_path / 'terraform.tfstate'}"
    assert read.source == "terraform.tfstate"
    assert read.observed_at is not None and read.observed_at.utcoffset() is not None


@pytest.mark.parametrize("content", [b"", b"{\"version\": 4, \"serial\"", b"\x00\x01",
                                     json.dumps({"version": 9, "serial": 1}).encode()])
def test_collect_states_turns_bad_files_into_failures(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.tfstate"
    path.write_bytes(content)
    (result,) = collect_states(str(path))
    assert isinstance(result, StateFailure)
    assert isinstance(result.error, InputError)
    assert str(path) in result.message
    snapshot = result.to_snapshot(datetime.now(UTC))
    assert not snapshot.complete and snapshot.resources == ()


def test_collect_states_reports_a_missing_file_as_missing(tmp_path: Path) -> None:
    (result,) = collect_states(str(tmp_path / "gone.tfstate"))
    assert isinstance(result, StateFailure) and result.kind == "missing"
