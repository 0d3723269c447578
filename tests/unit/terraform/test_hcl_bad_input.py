"""Bad input never stops a collection: each problem is a precise per-file error, the rest
of the tree is collected, and a snapshot missing anything is incomplete (so nothing is
taken as deleted); a file's last good parse stands in for it, flagged stale."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditd.collectors.terraform.hcl import collect_declared
from auditd.collectors.terraform.tree import SourceFile
from tests.unit.terraform.hcl_helpers import T0, collect, resources, snapshot, write_tree

GOOD = {
    "main.tf": """\
        resource "aws_s3_bucket" "a" {
          bucket = "a"
        }
        """,
    "other.tf": """\
        resource "aws_s3_bucket" "b" {
          bucket = "b"
        }
        """,
}
BROKEN_OTHER = 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n  acl = = "x"\n}\n'


def test_syntax_error_is_recorded_with_path_and_line_and_the_rest_collected(
        tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {**GOOD, "other.tf": BROKEN_OTHER})
    collection = collect(root)
    (issue,) = collection.file_errors
    assert (issue.path, issue.line, issue.kind, issue.stale) == ("other.tf", 3, "parse-error",
                                                                  False)
    snap = snapshot(collection)
    assert not snap.complete
    assert sorted(resources(snap)) == ["aws_s3_bucket.a"]
    (error,) = snap.errors
    assert error.kind == "parse-error" and error.selector is None
    assert error.message.startswith("other.tf:3: syntax error")
    assert "its resources are unknown" in error.message
    assert not snap.may_delete(next(iter(snap.resources)).key)


def test_last_good_parse_stands_in_for_a_broken_file_and_is_flagged_stale(
        tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", GOOD)
    cache = tmp_path / "cache"
    assert snapshot(collect(root, cache)).complete
    (root / "other.tf").write_text(BROKEN_OTHER)
    broken = collect(root, cache)
    snap = snapshot(broken)
    assert not snap.complete
    found = resources(snap)
    assert sorted(found) == ["aws_s3_bucket.a", "aws_s3_bucket.b"]  # never "b was deleted"
    assert found["aws_s3_bucket.b"].provenance["stale"] is True
    assert "stale" not in found["aws_s3_bucket.a"].provenance
    assert broken.file_errors[0].stale
    assert "last good parse is used (stale)" in snap.errors[0].message
    (root / "other.tf").write_text(GOOD["other.tf"].replace("        ", ""))
    fixed = snapshot(collect(root, cache))
    assert fixed.complete
    assert "stale" not in resources(fixed)["aws_s3_bucket.b"].provenance


def test_broken_file_in_a_module_makes_the_calling_root_incomplete(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {
        "envs/prod/main.tf": 'module "m" {\n  source = "../../modules/m"\n}\n',
        "envs/dev/main.tf": 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n',
        "modules/m/main.tf": 'resource "aws_sqs_queue" "q" {\n  name = \n}\n',
    })
    collection = collect(root)
    assert not snapshot(collection, "envs/prod").complete
    assert snapshot(collection, "envs/dev").complete


def test_folder_whose_only_file_is_broken_still_has_an_incomplete_snapshot(
        tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"stack/main.tf": 'resource "a" "b" {\n'})
    snap = snapshot(collect(root), "stack")
    assert not snap.complete and snap.resources == ()


def test_empty_file_is_fine(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {**GOOD, "empty.tf": ""})
    collection = collect(root)
    assert collection.file_errors == ()
    assert snapshot(collection).complete


def test_binary_file_is_skipped_with_an_error_not_a_crash(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {**GOOD, "blob.tf": b"\x89PNG\r\n\x1a\n\x00\x00",
                                          "logo.png": b"\x89PNG\x00"})
    collection = collect(root)
    (issue,) = collection.file_errors
    assert (issue.path, issue.kind) == ("blob.tf", "file-skipped")
    assert "binary" in issue.message
    snap = snapshot(collection)
    assert not snap.complete and len(snap.resources) == 2


def test_file_over_the_size_limit_is_skipped_with_an_error(tmp_path: Path) -> None:
    big = 'locals {\n  pad = "' + "x" * 5000 + '"\n}\n'
    root = write_tree(tmp_path / "repo", {**GOOD, "big.tf": big})
    collection = collect(root, max_file_bytes=4096)
    (issue,) = collection.file_errors
    assert (issue.path, issue.kind) == ("big.tf", "file-skipped")
    assert "over the limit of 4096" in issue.message
    assert not snapshot(collection).complete
    assert len(snapshot(collection).resources) == 2


def test_tf_json_that_is_not_json_is_a_per_file_error(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {**GOOD, "gen.tf.json": '{\n  "resource": [\n'})
    collection = collect(root)
    (issue,) = collection.file_errors
    assert issue.path == "gen.tf.json" and issue.line >= 2
    assert "not valid JSON" in issue.message
    assert len(snapshot(collection).resources) == 2


@pytest.mark.parametrize(("text", "line", "words"), [
    ('resource "a" "b" {\n  x = 1\n  x = 2\n}\n', 3, "set twice"),
    ('resource "a" "b"\n{\n  x = 1\n}\n', 1, "on the next line"),
    ('variable "v" {\n  défaut = 1\n}\n', 2, "Unicode identifier"),
])
def test_what_python_hcl2_misreads_is_reported_per_file(tmp_path: Path, text: str, line: int,
                                                       words: str) -> None:
    root = write_tree(tmp_path / "repo", {**GOOD, "bad.tf": text})
    collection = collect(root)
    (issue,) = collection.file_errors
    assert (issue.path, issue.line) == ("bad.tf", line) and words in issue.message
    assert not snapshot(collection).complete


def test_bom_and_crlf_collect_exactly_like_plain_text(tmp_path: Path) -> None:
    text = 'variable "v" {\n  default = "x"\n}\nresource "a" "b" {\n  v = var.v\n  h = <<-E\n' \
           '    one\n  E\n}\n'
    plain = collect(write_tree(tmp_path / "plain", {"main.tf": text}))
    windows = collect(write_tree(tmp_path / "windows", {
        "main.tf": b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()}))
    assert windows.file_errors == ()
    assert [r.attrs for r in snapshot(windows).resources] == \
        [r.attrs for r in snapshot(plain).resources]


def test_symlink_loop_and_escaping_links_are_survived(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", GOOD)
    (root / "loop").symlink_to(root)
    (root / "nested").mkdir()
    (root / "nested" / "back").symlink_to(root / "nested")
    write_tree(tmp_path / "outside", {"secret.tf": 'resource "x" "y" {}\n'})
    (root / "escape").symlink_to(tmp_path / "outside")
    (root / "escape.tf").symlink_to(tmp_path / "outside" / "secret.tf")
    (root / "dangling.tf").symlink_to(root / "nowhere.tf")
    (root / "self.tf").symlink_to(root / "self.tf")
    collection = collect(root)
    assert collection.file_errors == ()
    assert sorted(resources(snapshot(collection))) == ["aws_s3_bucket.a", "aws_s3_bucket.b"]
    reasons = {w.path: w.message for w in collection.warnings}
    assert "loop" in reasons["loop"] and "loop" in reasons["nested/back"]
    assert "outside the tree" in reasons["escape"]
    assert "outside the tree" in reasons["escape.tf"]
    assert "broken symlink" in reasons["dangling.tf"]
    assert "symlink loop" in reasons["self.tf"]


def test_missing_local_module_makes_the_root_incomplete(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"main.tf": 'module "m" {\n  source = "./nope"\n}\n'})
    snap = snapshot(collect(root))
    assert not snap.complete
    assert snap.errors[0].kind == "config-error"
    assert "main.tf:1: module 'm': local source './nope' holds no .tf files" in \
        snap.errors[0].message


def test_duplicate_resource_across_files_is_a_config_error(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {**GOOD, "dup.tf": GOOD["main.tf"]})
    snap = snapshot(collect(root))
    assert not snap.complete
    assert "duplicate resource 'aws_s3_bucket.a'" in snap.errors[0].message
    assert resources(snap)["aws_s3_bucket.a"].provenance["file"] == "dup.tf"


def test_deleted_file_has_no_last_good_parse(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", GOOD)
    cache = tmp_path / "cache"
    collect(root, cache)
    (root / "other.tf").unlink()
    assert sorted(resources(snapshot(collect(root, cache)))) == ["aws_s3_bucket.a"]
    (root / "other.tf").write_text(BROKEN_OTHER)
    snap = snapshot(collect(root, cache))
    assert sorted(resources(snap)) == ["aws_s3_bucket.a"] and not snap.complete


class _UnreadableTree:
    """A tree whose files can be listed but one cannot be read (permissions, a race)."""

    name = "flaky"

    def files(self) -> Iterator[SourceFile]:
        yield SourceFile("main.tf", 40)
        yield SourceFile("locked.tf", 40)

    def read(self, path: str) -> bytes:
        if path == "locked.tf":
            raise PermissionError(13, "Permission denied", path)
        return b'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n'


def test_unreadable_file_is_a_per_file_error() -> None:
    collection = collect_declared(_UnreadableTree(), cache_dir=None, taken_at=T0)
    (issue,) = collection.file_errors
    assert (issue.path, issue.kind) == ("locked.tf", "unreadable")
    snap = collection.snapshots[0]
    assert not snap.complete and len(snap.resources) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_on_disk(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", GOOD)
    (root / "other.tf").chmod(0)
    assert collect(root).file_errors[0].kind == "unreadable"


def test_instance_keys_are_quoted_like_the_state_collector_quotes_them(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"main.tf": """\
        resource "aws_ssm_parameter" "p" {
          for_each = toset(["plain", "with \\"quote\\"", "tab\\there", "$${literal}", "é"])
          name     = each.key
        }
        """})
    found = sorted(resources(snapshot(collect(root))))
    assert found == ['aws_ssm_parameter.p["$${literal}"]', 'aws_ssm_parameter.p["plain"]',
                     'aws_ssm_parameter.p["tab\\there"]', 'aws_ssm_parameter.p["with \\"quote\\""]',
                     'aws_ssm_parameter.p["é"]']
