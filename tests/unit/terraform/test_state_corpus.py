"""Every state file Terraform 1.5.7 ships as test data either parses or fails as documented.

The corpus (``../shared/corpus/tfstate-terraform-1.5.7`` beside the repository,
the ``CORPUS`` of tests/conftest.py) holds v1/v3/v4 states, round-trip fixtures
and ``.terraform/terraform.tfstate`` backend files, all written by Terraform.
Expectations are computed independently from the raw JSON where possible
(managed/data instance counts) and spot-checked by hand for a few files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditd.collectors.terraform.state import (
    BackendConfigError,
    EmptyStateError,
    StateFormatError,
    StateRead,
    UnsupportedStateVersion,
    read_state_file,
)
from auditd.model import Origin
from auditd.paths import parse_path

# Same place as tests/conftest.py's CORPUS (this folder may not be a package).
CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus"
STATES = CORPUS / "tfstate-terraform-1.5.7"
pytestmark = pytest.mark.skipif(
    not STATES.is_dir(),
    reason=f"tfstate corpus not found at {STATES} (see shared/corpus/README.md)")

# Files that are not usable states, with the error each must produce.
EXPECTED_ERRORS: dict[str, type[StateFormatError]] = {
    "internal/command/testdata/show-corrupt-statefile/terraform.tfstate": StateFormatError,
    "internal/command/testdata/show-json-state/empty/terraform.tfstate": EmptyStateError,
    "internal/states/statefile/testdata/roundtrip/v1-simple.in.tfstate": UnsupportedStateVersion,
    # A v3 file holding only a backend block: Terraform 0.9's "backend from state".
    "internal/command/testdata/backend-from-state/terraform.tfstate": BackendConfigError,
}


def _corpus_files() -> list[str]:
    if not STATES.is_dir():
        return []
    return sorted(str(p.relative_to(STATES)) for p in STATES.rglob("*.tfstate"))


FILES = _corpus_files()


def expected_error(rel: str) -> type[StateFormatError] | None:
    if "/.terraform/" in f"/{rel}":
        return BackendConfigError
    return EXPECTED_ERRORS.get(rel)


def read(rel: str) -> StateRead:
    return read_state_file(str(STATES / rel))


def raw_instance_counts(rel: str) -> tuple[int, int]:
    """(managed, data) instance objects, counted straight from the JSON."""
    raw: dict[str, Any] = json.loads((STATES / rel).read_bytes())
    if raw["version"] == 4:
        pairs = [(r["mode"], len(r["instances"])) for r in raw.get("resources") or []]
    else:
        pairs = [("data" if key.startswith("data.") else "managed",
                  (1 if res.get("primary") else 0) + len(res.get("deposed") or []))
                 for module in raw.get("modules") or []
                 for key, res in (module.get("resources") or {}).items()]
    managed = sum(n for mode, n in pairs if mode == "managed")
    return managed, sum(n for mode, n in pairs if mode == "data")


def test_the_corpus_is_the_one_described() -> None:
    assert len(FILES) >= 150
    assert sum(1 for f in FILES if "/.terraform/" in f"/{f}") == 27


@pytest.mark.parametrize("rel", FILES)
def test_corpus_file_parses_or_fails_as_documented(rel: str) -> None:
    error = expected_error(rel)
    if error is not None:
        with pytest.raises(error) as caught:
            read(rel)
        assert type(caught.value) is error
        assert str(STATES / rel) in str(caught.value)  # names the file
        assert caught.value.hint  # and says what to do
        return
    state = read(rel)
    managed, data = raw_instance_counts(rel)
    assert state.state_version in (3, 4)
    assert state.stats.managed_instances == managed
    assert state.stats.data_instances == data
    assert state.stats.resources == len(state.resources) == managed - state.stats.duplicate_keys
    addresses = [r.address for r in state.resources]
    assert len(addresses) == len(set(addresses))
    assert len({r.key for r in state.resources}) == len(state.resources)
    for resource in state.resources:
        assert resource.origin is Origin.STATE
        assert resource.key.id and resource.key.provider and resource.key.tf_type
        assert not resource.address.startswith("data.") and ".data." not in resource.address
        assert resource.provenance["mode"] == "managed"
        for path in resource.sensitive_paths:
            parse_path(path)
    assert state.observed_at is not None and state.observed_at.tzinfo is not None
    assert state.scope == f"tfstate/{STATES / rel}"


def test_backend_files_name_the_backend_and_point_at_the_state() -> None:
    rel = "internal/command/testdata/backend-change/.terraform/terraform.tfstate"
    with pytest.raises(BackendConfigError) as caught:
        read(rel)
    assert "backend configuration file (type 'local': path=local-state.tfstate)" in str(
        caught.value)
    assert caught.value.kind == "backend-config"


def test_v1_state_is_refused_with_an_upgrade_hint() -> None:
    with pytest.raises(UnsupportedStateVersion) as caught:
        read("internal/states/statefile/testdata/roundtrip/v1-simple.in.tfstate")
    assert "state format version 1" in str(caught.value)
    assert "terraform state pull" in caught.value.hint
    assert caught.value.kind == "unsupported-version"


def test_nested_modules_and_counted_modules_by_hand() -> None:
    state = read("internal/command/testdata/state-list-nested-modules/terraform.tfstate")
    assert [r.address for r in state.resources] == [
        "test_instance.root",
        "module.nest.test_instance.nest",
        "module.nest.module.subnest.test_instance.subnest",
        "module.nonexist.module.child.test_instance.child",
        "module.count[0].test_instance.count",
        "module.count[1].test_instance.count",
    ]
    nest = state.resources[1]
    assert nest.key.id == "module.nest.test_instance.nest"  # no id attribute
    assert nest.provenance["id_source"] == "address"
    assert state.stats.ids_from_address == 1
    assert {r.key.provider for r in state.resources} == {"test"}
    assert state.lineage == "00bfda35-ad61-ec8d-c013-14b0320bc416" and state.serial == 8


def test_for_each_keys_and_flatmap_attributes_by_hand() -> None:
    state = read("internal/states/statefile/testdata/roundtrip/v4-modules.in.tfstate")
    by_address = {r.address: r for r in state.resources}
    assert set(by_address) == {
        "null_resource.bar", 'module.modB.null_resource.bar["a"]',
        'module.modB.null_resource.bar["b"]', "module.modA.null_resource.resource"}
    keyed = by_address['module.modB.null_resource.bar["a"]']
    assert keyed.key.id == "8212585058302700791"
    assert keyed.provenance["index_key"] == "a"
    assert keyed.provenance["attributes_format"] == "flatmap"
    assert by_address["module.modA.null_resource.resource"].attrs["triggers"] == {
        "input": "test"}


def test_v3_state_by_hand() -> None:
    state = read("internal/states/statefile/testdata/roundtrip/v3-grabbag.in.tfstate")
    assert state.state_version == 3 and state.terraform_version == "0.11.1"
    assert [r.address for r in state.resources] == [
        "null_resource.bar[0]", "null_resource.bar[1]", "null_resource.baz",
        "module.child.null_resource.foo"]
    bar0 = state.resources[0]
    assert bar0.key.provider == "null" and bar0.key.id == "604776346677326098"
    assert bar0.attrs["triggers.index"] == "0"
    assert bar0.provenance["dependencies"] == ["null_resource.baz"]
    assert bar0.provenance["schema_version"] == 1
    assert state.outputs["results"].value["aws_region"] == "us-west-2"


def test_sensitive_attributes_by_hand() -> None:
    state = read("internal/command/testdata/show-json-state/sensitive-variables/terraform.tfstate")
    (resource,) = state.resources
    assert resource.sensitive_paths == ("ami",)
    assert resource.key.id == "621124146446964903"


def test_data_sources_are_counted_not_collected() -> None:
    state = read("internal/states/statefile/testdata/roundtrip/v4-legacy-simple.in.tfstate")
    assert state.stats.data_instances == 1
    assert "data.terraform_remote_state.random" not in {r.address for r in state.resources}
    only_data = read("internal/states/statefile/testdata/roundtrip/v3-builtin.in.tfstate")
    assert only_data.resources == () and only_data.stats.data_instances == 1


def test_create_before_destroy_and_legacy_provider_strings() -> None:
    cbd = read("internal/states/statefile/testdata/roundtrip/v4-cbd.in.tfstate")
    assert cbd.resources[0].provenance["create_before_destroy"] is True
    legacy = read("internal/command/testdata/init-get-provider-legacy-from-state/"
                  "terraform.tfstate")
    assert legacy.resources[0].key.provider == "alpha"
    future = read("internal/states/statefile/testdata/roundtrip/v4-future.in.tfstate")
    assert future.terraform_version == "999.0.0"
    assert {r.key.provider for r in future.resources} == {"null"}


def test_two_addresses_with_one_id_keep_the_first_and_say_so() -> None:
    state = read("internal/command/testdata/show-json/moved-drift/terraform.tfstate")
    assert state.stats.managed_instances == 2 and state.stats.duplicate_keys == 1
    (kept,) = state.resources
    assert kept.address == "test_instance.no_refresh"
    assert kept.provenance["duplicate_addresses"] == ["test_instance.should_refresh"]
    assert any("test_instance.should_refresh has the same key" in w for w in state.warnings)


def test_empty_lineage_is_read_with_a_warning() -> None:
    state = read("internal/builtin/providers/terraform/testdata/complex_outputs.tfstate")
    assert state.lineage == ""
    assert any("no lineage" in w for w in state.warnings)
    assert state.outputs["map"].value == {"key": "test", "test": "test"}
