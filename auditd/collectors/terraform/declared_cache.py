"""Evaluated root modules as cacheable JSON, keyed by everything their evaluation read.

A root's result depends only on the documents of the files in the folders it
used (its own folder and every local module it entered), its variable files,
its lock file, the issues of those files, the extra variable files named for
it, and the code that parsed and evaluated them.  :func:`root_key` hashes all
of that, so a rescan that finds the same key reuses the stored result without
evaluating anything; any edit, new file or newly broken file in one of those
folders changes the key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from auditd.collectors.terraform.declared import MovedBlock, RootResult
from auditd.collectors.terraform.modules import Problem
from auditd.model import Origin, Resource, ResourceKey

__all__ = ["EVALUATION_FORMAT", "RecentResults", "result_from_json", "result_to_json",
           "root_key"]

# Bump whenever evaluation or its output changes: stored root results are then recomputed.
EVALUATION_FORMAT = 1


class RecentResults:
    """The latest root results of this process by key, so a daemon's rescan rebuilds nothing.

    Keys are content hashes, so an entry can never be out of date; the oldest
    entries go once more than ``max_resources`` resources are held.
    """

    def __init__(self, max_resources: int = 200_000) -> None:
        self._max = max_resources
        self._held = 0
        self._results: dict[str, RootResult] = {}

    def get(self, key: str) -> RootResult | None:
        return self._results.get(key)

    def put(self, key: str, result: RootResult) -> None:
        if key in self._results:
            return
        self._results[key] = result
        self._held += len(result.resources)
        while self._held > self._max and len(self._results) > 1:
            oldest = next(iter(self._results))
            self._held -= len(self._results.pop(oldest).resources)


def root_key(parser_version: str, root: str, tokens: Iterable[str],
             extra_var_files: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for part in (f"evaluation={EVALUATION_FORMAT}", parser_version, root,
                 *extra_var_files, "--", *sorted(tokens)):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _resource_json(resource: Resource) -> list[Any]:
    key = resource.key
    return [[key.provider, key.tf_type, key.id, key.account, key.region], resource.attrs,
            resource.address, list(resource.sensitive_paths), resource.provenance]


def _resource(data: Sequence[Any]) -> Resource:
    provider, tf_type, rid, account, region = data[0]
    return Resource(key=ResourceKey(provider, tf_type, rid, account, region), attrs=data[1],
                    origin=Origin.DECLARED, address=data[2], sensitive_paths=tuple(data[3]),
                    provenance=data[4])


def result_to_json(result: RootResult) -> dict[str, Any]:
    return {
        "ok": True,
        "resources": [_resource_json(r) for r in result.resources],
        "moved": [[m.from_address, m.to_address, m.file, m.line] for m in result.moved],
        "errors": [[p.file, p.line, p.message] for p in result.errors],
        "warnings": [[p.file, p.line, p.message] for p in result.warnings],
        "folders": sorted(result.folders),
    }


def result_from_json(data: dict[str, Any]) -> RootResult:
    return RootResult(
        resources=[_resource(r) for r in data["resources"]],
        moved=[MovedBlock(*m) for m in data["moved"]],
        errors=[Problem(*p) for p in data["errors"]],
        warnings=[Problem(*p) for p in data["warnings"]],
        folders=set(data["folders"]),
    )
