"""Pairing a state with the root of a multi-root repository (service.drift_roots)."""

from __future__ import annotations

from pathlib import Path

from auditd.config import TerraformRepository
from auditd.service.drift_roots import backend_locations, names_state, root_for_state

PREFIX = "terraform/infra/"


def _write(folder: Path, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "backend.tf").write_text(text)


def test_local_backend_path_is_relative_to_the_root(tmp_path: Path) -> None:
    _write(tmp_path / "envs" / "dev", 'terraform {\n  backend "local" {\n'
                                      '    path = "state/dev.tfstate"\n  }\n}\n')
    _write(tmp_path / "envs" / "qa", 'terraform {\n  backend "local" {}\n}\n')
    dev = str((tmp_path / "envs" / "dev" / "state" / "dev.tfstate").resolve())
    qa = str((tmp_path / "envs" / "qa" / "terraform.tfstate").resolve())
    assert backend_locations(tmp_path, "envs/dev") == (dev,)
    assert backend_locations(tmp_path, "envs/qa") == (qa,)
    repo = TerraformRepository(path=tmp_path, states=[dev, qa])
    roots = [PREFIX + "envs/dev", PREFIX + "envs/qa"]
    assert root_for_state(repo, PREFIX, f"tfstate/{qa}", roots) == PREFIX + "envs/qa"
    assert root_for_state(repo, PREFIX, f"tfstate/{dev}", roots) == PREFIX + "envs/dev"


def test_workspaces_share_the_backend_and_bad_files_name_nothing(tmp_path: Path) -> None:
    _write(tmp_path / "app", 'terraform {\n  backend "s3" {\n    bucket = "b"\n'
                             '    key = "app.tfstate"\n  }\n}\n')
    _write(tmp_path / "broken", 'terraform { backend "s3" { bucket = \n')
    _write(tmp_path / "nokey", 'terraform {\n  backend "s3" {\n    bucket = "b"\n  }\n}\n')
    assert backend_locations(tmp_path, "broken") == ()
    assert backend_locations(tmp_path, "nokey") == ()
    assert backend_locations(tmp_path, "absent") == ()
    assert names_state("s3://b/app.tfstate", "tfstate/s3://b/app.tfstate#staging")
    repo = TerraformRepository(path=tmp_path, states=["s3://b/app.tfstate"])
    roots = [PREFIX + "app", PREFIX + "broken", PREFIX + "nokey"]
    assert root_for_state(repo, PREFIX, "tfstate/s3://b/app.tfstate#staging", roots) == \
        PREFIX + "app"
    assert root_for_state(repo, PREFIX, "tfstate/s3://b/other.tfstate", roots) is None


def test_single_root_and_configured_top_folder(tmp_path: Path) -> None:
    repo = TerraformRepository(path=tmp_path, states=["s3://b/k"])
    assert root_for_state(repo, PREFIX, "tfstate/s3://b/k", [PREFIX + "."]) == PREFIX + "."
    configured = TerraformRepository(path=tmp_path, states=["s3://b/k"],
                                     root_states={"./": ["s3://b/k"]})
    assert root_for_state(configured, PREFIX, "tfstate/s3://b/k",
                          [PREFIX + ".", PREFIX + "other"]) == PREFIX + "."
