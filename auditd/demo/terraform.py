"""The Terraform half of ``driftaudit demo``: a bundled repository replayed as real git history.

The bundled example (``demo/repo``) is copied into a fresh git repository and
changed the way a team would change it, collecting after every step:

1. alice creates the configuration;
2. bob hardens SSH on a branch, merged as pull request #12 with carol's ``Reviewed-by``;
   the state (``demo/states``) moves from serial 7 to 8: an apply;
3. dave raises the worker count under ``Break-glass:`` with no review;
4. alice bumps the AWS provider pin and approves it herself.

Then the declared changes are listed with commit, author and review state.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from auditd.config import TerraformRepository
from auditd.render import console, print_iac_log, print_terraform_report
from auditd.service import Runtime, declared_log
from auditd.service.terraform import collect_terraform

__all__ = ["git_available", "run_terraform_demo"]

_BUNDLE = Path(__file__).resolve().parent
_PEOPLE = {
    "alice": "alice@acme.io", "bob": "bob@acme.io", "carol": "carol@acme.io",
    "dave": "dave@acme.io",
}


def git_available() -> bool:
    return shutil.which("git") is not None


def _git(repo: Path, *args: str, who: str = "alice") -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": who, "GIT_AUTHOR_EMAIL": _PEOPLE[who],
           "GIT_COMMITTER_NAME": who, "GIT_COMMITTER_EMAIL": _PEOPLE[who],
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
                   cwd=repo, env=env, check=True, capture_output=True)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"demo bundle changed: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def _prepare(directory: Path) -> tuple[Path, Path]:
    repo = directory / "infra"
    shutil.copytree(_BUNDLE / "repo", repo)
    (repo / "terraform.lock.hcl").rename(repo / ".terraform.lock.hcl")
    state = directory / "terraform.tfstate"
    shutil.copyfile(_BUNDLE / "states" / "terraform-7.tfstate", state)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Web tier, assets bucket, app role and workers")
    return repo, state


def _harden_ssh(repo: Path, state: Path) -> None:
    _git(repo, "checkout", "-q", "-b", "harden-web", who="bob")
    main = repo / "main.tf"
    _edit(main, 'description = "ssh"\n    from_port   = 22\n    to_port     = 22\n'
                '    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]',
          'description = "ssh"\n    from_port   = 22\n    to_port     = 22\n'
          '    protocol    = "tcp"\n    cidr_blocks = ["10.0.0.0/8"]')
    _git(repo, "commit", "-q", "-am", "Restrict SSH to the VPN range", who="bob")
    _git(repo, "checkout", "-q", "main", who="carol")
    _git(repo, "merge", "-q", "--no-ff", "harden-web", "-m",
         "Merge pull request #12 from acme/harden-web\n\nRestrict SSH\n\n"
         "Reviewed-by: carol <carol@acme.io>", who="carol")
    shutil.copyfile(_BUNDLE / "states" / "terraform-8.tfstate", state)


def _emergency(repo: Path, _state: Path) -> None:
    _edit(repo / "variables.tf", "default = 2", "default = 6")
    _git(repo, "commit", "-q", "-am",
         "Scale workers to 6\n\nBreak-glass: payment queue backlog, INC-4711", who="dave")


def _provider_bump(repo: Path, _state: Path) -> None:
    _edit(repo / ".terraform.lock.hcl", 'version     = "5.30.0"', 'version     = "5.31.0"')
    _git(repo, "commit", "-q", "-am",
         "Bump AWS provider to 5.31.0\n\nApproved-by: alice <alice@acme.io>")


STEPS: tuple[tuple[str, Callable[[Path, Path], None]], ...] = (
    ("bob hardens SSH in PR #12 (reviewed by carol); terraform apply: state serial 7 → 8",
     _harden_ssh),
    ("dave scales the workers under Break-glass, unreviewed", _emergency),
    ("alice bumps the AWS provider and approves it herself", _provider_bump),
)


def run_terraform_demo(rt: Runtime, directory: Path) -> Path:
    """Replay the history, collecting after each step; returns the repository's path."""
    repo, state = _prepare(directory)
    source = TerraformRepository(path=repo, name="infra", states=[str(state)])
    console.print("[bold]1. alice creates the configuration[/]")
    print_terraform_report(collect_terraform(rt, source))
    for number, (title, step) in enumerate(STEPS, 2):
        console.print(f"\n[bold]{number}. {title}[/]")
        step(repo, state)
        print_terraform_report(collect_terraform(rt, source))
    for address in ("aws_security_group.web", "aws_instance.worker[5]",
                    "registry.terraform.io/hashicorp/aws"):
        console.print(f"\n[bold]driftaudit iac log {address}[/]")
        print_iac_log(address, declared_log(rt, address))
    return repo
