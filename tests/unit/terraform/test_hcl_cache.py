"""The parse cache and rescans: unchanged files are not re-parsed (nor even read), one
changed file is re-parsed alone, roots whose inputs did not change are not re-evaluated,
and a damaged cache only costs time."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditd.collectors.terraform import hcl, hcl_files
from auditd.collectors.terraform.cache import ParseCache
from auditd.collectors.terraform.declared import RootResult
from auditd.collectors.terraform.declared_cache import RecentResults
from auditd.collectors.terraform.hcl import collect_declared
from auditd.collectors.terraform.tree import SourceFile
from tests.unit.terraform.hcl_helpers import T0, collect, resources, snapshot, write_tree

TREE = {
    "envs/prod/main.tf": """\
        module "app" {
          source = "../../modules/app"
          name   = "prod"
        }
        """,
    "envs/prod/terraform.tfvars": "region = \"eu-west-1\"\n",
    "envs/dev/main.tf": """\
        resource "aws_sqs_queue" "dev" {
          name = "dev"
        }
        """,
    "modules/app/main.tf": """\
        variable "name" {}
        resource "aws_sqs_queue" "q" {
          name = var.name
        }
        """,
    "modules/app/extra.tf": """\
        resource "aws_sns_topic" "t" {
          name = "topic"
        }
        """,
}


def _tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", TREE)


def test_unchanged_tree_parses_nothing_and_evaluates_nothing(tmp_path: Path) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    first = collect(root, cache)
    assert (first.stats.parsed, first.stats.roots_evaluated) == (5, 2)
    second = collect(root, cache)
    assert (second.stats.parsed, second.stats.cached, second.stats.unchanged) == (0, 0, 5)
    assert second.stats.roots_evaluated == 0
    assert second.snapshots == first.snapshots


def test_changing_one_file_reparses_exactly_that_file(tmp_path: Path) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    collect(root, cache)
    (root / "modules/app/extra.tf").write_text('resource "aws_sns_topic" "t" {\n  name = "v2"\n}\n')
    again = collect(root, cache)
    assert (again.stats.parsed, again.stats.unchanged) == (1, 4)
    assert again.stats.roots_evaluated == 1  # only envs/prod uses modules/app
    topic = resources(snapshot(again, "envs/prod"))["module.app.aws_sns_topic.t"]
    assert topic.attrs == {"name": "v2"}


def test_touched_but_identical_file_is_read_not_parsed(tmp_path: Path) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    collect(root, cache)
    target = root / "envs/dev/main.tf"
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    again = collect(root, cache)
    assert (again.stats.parsed, again.stats.cached, again.stats.unchanged) == (0, 1, 4)
    assert again.stats.roots_evaluated == 0


def test_new_file_in_a_used_module_folder_reevaluates_its_root(tmp_path: Path) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    collect(root, cache)
    write_tree(root, {"modules/app/more.tf": 'resource "aws_sns_topic" "more" {}\n'})
    again = collect(root, cache)
    assert again.stats.parsed == 1 and again.stats.roots_evaluated == 1
    assert "module.app.aws_sns_topic.more" in resources(snapshot(again, "envs/prod"))


def test_new_root_is_discovered_on_rescan(tmp_path: Path) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    collect(root, cache)
    write_tree(root, {"envs/qa/main.tf": 'resource "aws_sqs_queue" "qa" {}\n'})
    again = collect(root, cache)
    assert sorted(s.scope for s in again.snapshots) == [
        "terraform/repo/envs/dev", "terraform/repo/envs/prod", "terraform/repo/envs/qa"]


def test_changed_variable_file_reevaluates_its_root(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"main.tf": 'variable "n" {}\nresource "a" "b" {\n'
                                                     '  n = var.n\n}\n',
                                          "terraform.tfvars": "n = 1\n"})
    cache = tmp_path / "cache"
    assert resources(snapshot(collect(root, cache)))["a.b"].attrs == {"n": 1}
    (root / "terraform.tfvars").write_text("n = 2\n")
    again = collect(root, cache)
    assert resources(snapshot(again))["a.b"].attrs == {"n": 2}


def test_damaged_cache_objects_and_index_only_cost_time(tmp_path: Path) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    first = collect(root, cache)
    for path in cache.rglob("*.json"):
        path.write_bytes(b"{ truncated")
    again = collect(root, cache)
    assert again.stats.parsed == 5 and again.snapshots == first.snapshots
    assert collect(root, cache).stats.parsed == 0


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    collect(root, cache)
    assert not [p for p in cache.rglob("*") if p.name.startswith(".tmp-")]
    assert list((cache / "index").glob("*.json"))


def test_without_a_cache_directory_every_collection_parses(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert collect(root).stats.parsed == 5
    assert collect(root).stats.parsed == 5


def test_index_of_another_parser_version_is_ignored(tmp_path: Path) -> None:
    old = ParseCache(tmp_path, "t", "python-hcl2=0.0;document=0")
    old.remember("a.tf", "fp", "k", ok=True)
    old.save()
    assert ParseCache(tmp_path, "t", "python-hcl2=9.9;document=9").known("a.tf", "fp") is None
    assert ParseCache(tmp_path, "t", "python-hcl2=0.0;document=0").known("a.tf", "fp") == \
        ("k", True)


class _BlobTree:
    """A tree with git-style fingerprints (content ids), like the git collector's."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.name = "blobs"
        self.content = files
        self.reads = 0

    def files(self) -> Iterator[SourceFile]:
        for path, data in sorted(self.content.items()):
            yield SourceFile(path, len(data), hashlib.sha1(data).hexdigest())

    def read(self, path: str) -> bytes:
        self.reads += 1
        return self.content[path]


def test_trees_with_content_fingerprints_are_not_read_when_unchanged(tmp_path: Path) -> None:
    tree = _BlobTree({"main.tf": b'resource "aws_sqs_queue" "q" {}\n'})
    collect_declared(tree, cache_dir=tmp_path, taken_at=T0)
    assert tree.reads == 1
    again = collect_declared(tree, cache_dir=tmp_path, taken_at=T0)
    assert tree.reads == 1 and again.stats.unchanged == 1


def test_progress_is_reported(tmp_path: Path) -> None:
    events: list[tuple[str, int, int]] = []
    collect(_tree(tmp_path), progress=lambda *event: events.append(event))
    assert ("parse", 5, 5) in events
    assert events[-1] == ("evaluate", 2, 2)


def test_cold_parses_spread_over_worker_processes(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"stack/f{n}.tf": f'resource "aws_sqs_queue" "q{n}" {{\n  name = "q{n}"\n}}\n'
             for n in range(12)}
    root = write_tree(tmp_path / "repo", files)
    monkeypatch.setattr(hcl_files, "MIN_PARALLEL_FILES", 4)
    monkeypatch.setattr(hcl_files, "MIN_PARALLEL_BYTES", 0)
    parallel = collect(root, workers=2)
    assert parallel.stats.workers == 2 and parallel.stats.parsed == 12
    assert parallel.stats.parse_cpu_seconds > 0
    serial = collect(root, workers=1)
    assert serial.stats.workers == 1
    assert parallel.snapshots == serial.snapshots


def test_stored_root_results_read_back_equal(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = _tree(tmp_path), tmp_path / "cache"
    write_tree(root, {"envs/dev/more.tf": """\
        variable "secret" {
          sensitive = true
          default   = "s"
        }
        resource "aws_db_instance" "db" {
          count    = 2
          password = var.secret
          tags     = { Id = uuid() }
        }
        moved {
          from = aws_db_instance.old
          to   = aws_db_instance.db
        }
        """})
    first = collect(root, cache)
    monkeypatch.setattr(hcl, "_RECENT", RecentResults())  # as in a new process
    again = collect(root, cache)
    assert again.stats.roots_evaluated == 0
    assert again.snapshots == first.snapshots
    assert again.moved == first.moved


def test_recent_results_are_bounded() -> None:
    recent = RecentResults(max_resources=3)
    for name, size in (("a", 2), ("b", 1), ("c", 2)):
        recent.put(name, RootResult(resources=[object()] * size))  # type: ignore[list-item]
    assert recent.get("a") is None
    assert recent.get("b") is not None and recent.get("c") is not None
