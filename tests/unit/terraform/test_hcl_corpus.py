"""The hand-written corpus: every case under ``tests/data/hcl/<case>/`` is collected and
compared with its ``expected.json``.

``expected.json`` holds, per root folder, the exact set of declared resources (by key
id), each with its type, key region and account (and provider when given), a subset
of attributes compared exactly (unknown markers included), attribute names that must
be absent, a subset of provenance, and optionally the snapshot's completeness,
``moved`` pairs, error substrings and collection warning substrings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.terraform.hcl_helpers import CORPUS, collect, resources, snapshot

CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.json").is_file())


def test_the_corpus_has_at_least_forty_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_case(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text())
    collection = collect(case, var_files=expected.get("var_files"))
    scopes = sorted(s.scope.split("/", 2)[2] for s in collection.snapshots)
    assert scopes == sorted(expected["roots"]), "root modules found"
    for root, want in expected["roots"].items():
        _check_root(snapshot(collection, root), want, collection)
    warnings = [str(w) for w in collection.warnings]
    for text in expected.get("warnings", []):
        assert any(text in w for w in warnings), (text, warnings)
    if "warnings" not in expected:
        assert warnings == []
    assert collection.file_errors == ()


def _check_root(snap: Any, want: dict[str, Any], collection: Any) -> None:
    assert snap.complete is want.get("complete", True), snap.errors
    found = resources(snap)
    assert sorted(found) == sorted(want["resources"]), "declared addresses"
    for rid, spec in want["resources"].items():
        _check_resource(found[rid], spec)
    moved = [[m.from_address, m.to_address] for m in collection.moved[snap.scope]]
    assert moved == want.get("moved", [])
    for text in want.get("errors", []):
        assert any(text in e.message for e in snap.errors), (text, snap.errors)


def _check_resource(resource: Any, spec: dict[str, Any]) -> None:
    where = resource.key.id
    assert resource.key.tf_type == spec["type"], where
    assert (resource.key.region, resource.key.account) == (spec["region"], spec["account"]), where
    assert resource.key.provider == spec.get("provider", spec["type"].split("_")[0]), where
    assert resource.origin.value == "declared"
    for name, value in spec.get("attrs", {}).items():
        assert name in resource.attrs, (where, name, dict(resource.attrs))
        assert resource.attrs[name] == value, (where, name)
    for name in spec.get("absent_attrs", []):
        assert name not in resource.attrs, (where, name)
    for name, value in spec.get("provenance", {}).items():
        assert resource.provenance.get(name) == value, (where, name, dict(resource.provenance))
    if "sensitive_paths" in spec:
        assert list(resource.sensitive_paths) == spec["sensitive_paths"], where
    if "expansion_unknown" not in spec.get("provenance", {}):
        assert ("[*]" in where) == bool(resource.provenance.get("expansion_unknown")), where
