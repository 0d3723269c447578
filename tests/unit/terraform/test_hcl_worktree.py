"""WorkingTree: the SourceTree of a folder on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditd.collectors.terraform.worktree import WorkingTree
from tests.unit.terraform.hcl_helpers import write_tree


def test_lists_files_skipping_git_terraform_and_ignored(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {
        "main.tf": "", "modules/a/main.tf": "", ".git/config": "", ".git/x.tf": "",
        ".terraform/modules/m/main.tf": "", "examples/demo/main.tf": "", "notes.bak": "",
    })
    tree = WorkingTree(root, ignore=("examples", "*.bak"))
    assert sorted(f.path for f in tree.files()) == ["main.tf", "modules/a/main.tf"]
    assert tree.name == "repo"


def test_fingerprint_is_mtime_size_inode(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"main.tf": "abc"})
    (file,) = WorkingTree(root).files()
    info = (root / "main.tf").stat()
    assert file.fingerprint == f"{info.st_mtime_ns}:{info.st_size}:{info.st_ino}"
    assert file.size == 3


def test_symlinked_file_and_folder_inside_the_tree_are_followed(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"shared/providers.tf": "x = 1\n", "stack/main.tf": ""})
    (root / "stack" / "providers.tf").symlink_to(root / "shared" / "providers.tf")
    (root / "mirror").symlink_to(root / "stack")
    tree = WorkingTree(root)
    paths = sorted(f.path for f in tree.files())
    assert paths == ["mirror/main.tf", "mirror/providers.tf", "shared/providers.tf",
                     "stack/main.tf", "stack/providers.tf"]
    assert tree.read("stack/providers.tf") == b"x = 1\n"
    assert tree.skipped == []


def test_reading_outside_the_tree_is_refused(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"main.tf": ""})
    write_tree(tmp_path, {"secret.tf": "s"})
    (root / "link.tf").symlink_to(tmp_path / "secret.tf")
    tree = WorkingTree(root)
    with pytest.raises(PermissionError):
        tree.read("../secret.tf")
    with pytest.raises(PermissionError):
        tree.read("link.tf")
    with pytest.raises(FileNotFoundError):
        tree.read("missing.tf")
