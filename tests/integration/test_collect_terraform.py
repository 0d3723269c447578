"""``collect terraform`` end to end: a real git repository, a real store, the real CLI.

Each test builds a repository in ``tmp_path`` with the git CLI (authors and times set
through environment variables), collects it through :mod:`auditd.service.terraform`
or through :func:`auditd.cli.main` in-process, and reads back what the store kept:
changes with their actor and review evidence, declared values as of a time, apply
events of a local state, states from S3 (a moto server over HTTP) and what bad input
leaves behind.  Tests that take ``store_url`` run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditd.config import Settings, TerraformRepository
from auditd.model import ChangeKind, Origin
from auditd.service import Runtime
from auditd.service.terraform import TerraformReport, backfill_terraform, collect_terraform
from auditd.store import ChangeFilter
from tests.cli_support import run
from tests.moto_support import moto_server

PEOPLE = {
    "alice": ("Alice Ops", "alice@example.com"), "bob": ("Bob Review", "bob@example.com"),
    "carol": ("Carol Oncall", "carol@example.com"), "dave": ("Dave Dev", "dave@example.com"),
}
START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # commit times: one hour apart from here
AWS = 'provider["registry.terraform.io/hashicorp/aws"]'
LOCK = "registry.terraform.io/hashicorp/aws"


# --- a real repository ------------------------------------------------------------------


def git_env(who: str = "alice", when: datetime | None = None) -> dict[str, str]:
    """The caller's environment without GIT_* and without user config, as ``who`` at ``when``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    name, email = PEOPLE[who]
    env.update({"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C",
                "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
                "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email})
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    return env


@dataclass
class Repo:
    """A working tree whose commits are made with chosen authors, one hour apart."""

    path: Path
    clock: datetime = START
    shas: dict[str, str] = field(default_factory=dict)
    times: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def init(cls, path: Path) -> Repo:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", "main")
        return repo

    def git(self, *args: str, who: str = "alice", when: datetime | None = None) -> str:
        done = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True,
                              text=True, env=git_env(who, when), check=True)
        return done.stdout.strip()

    def write(self, rel: str, text: str | bytes) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode() if isinstance(text, str) else text)

    def commit(self, label: str, message: str, who: str = "alice", *,
               merge: str | None = None) -> str:
        self.clock += timedelta(hours=1)
        if merge is None:
            self.git("add", "-A")
            self.git("commit", "-q", "-m", message, who=who, when=self.clock)
        else:
            self.git("merge", "-q", "--no-ff", merge, "-m", message, who=who, when=self.clock)
        self.shas[label] = self.git("rev-parse", "HEAD")
        self.times[label] = self.clock
        return self.shas[label]


def vpc(cidr: str) -> str:
    return f'resource "aws_vpc" "main" {{\n  cidr_block = "{cidr}"\n}}\n'


def security_group(port: int, name: str = "web") -> str:
    return (f'resource "aws_security_group" "web" {{\n  name = "{name}"\n'
            f'  ingress {{\n    from_port = {port}\n    to_port   = {port}\n'
            f'    cidr_blocks = ["10.0.0.0/8"]\n  }}\n}}\n')


def lock(version: str, digest: str) -> str:
    return (f'provider "{LOCK}" {{\n  version     = "{version}"\n'
            f'  constraints = "~> 5.0"\n  hashes = [\n    "h1:{digest}",\n  ]\n}}\n')


def build_step(repo: Repo, step: str) -> None:
    """The shared history, one step at a time (each step is one commit on main)."""
    if step == "initial":
        repo.write("main.tf", vpc("10.0.0.0/16"))
        repo.write("sg.tf", security_group(80))
        repo.write(".terraform.lock.hcl", lock("5.40.0", "aaa"))
        repo.commit("initial", "Initial network", "alice")
    elif step == "merge":  # alice's branch, reviewed by bob, who presses "merge"
        repo.git("checkout", "-q", "-b", "sg")
        repo.write("sg.tf", security_group(443))
        repo.commit("feature", "Serve HTTPS only", "alice")
        repo.git("checkout", "-q", "main")
        repo.commit("merge", "Merge pull request #42 from acme/sg\n\nServe HTTPS only\n\n"
                    "Reviewed-by: Bob Review <bob@example.com>\n", "bob", merge="sg")
    elif step == "emergency":
        repo.write("main.tf", vpc("10.1.0.0/16"))
        repo.commit("emergency", "Widen the VPC for the restore\n\nBreak-glass: db outage\n",
                    "carol")
    elif step == "self":
        repo.write("sg.tf", security_group(8443))
        repo.commit("self", "Move to 8443\n\nApproved-by: Dave Dev <dave@example.com>\n", "dave")
    elif step == "lock":
        repo.write(".terraform.lock.hcl", lock("5.41.0", "bbb"))
        repo.commit("lock", "Bump the AWS provider to 5.41.0", "bob")
    else:
        raise AssertionError(step)


STEPS = ("initial", "merge", "emergency", "self", "lock")


@pytest.fixture
def runtime(tmp_path: Path, store_url: str) -> Iterator[Runtime]:
    rt = Runtime(Settings(state_dir=tmp_path / "state"), db_url=store_url)
    yield rt
    rt.close()


def sqlite_runtime(tmp_path: Path, **settings: Any) -> Runtime:
    return Runtime(Settings(state_dir=tmp_path / "state", **settings),
                   db_url=f"sqlite:///{tmp_path / 'store.db'}")


def new_changes(rt: Runtime, seen: list[int]) -> list[Any]:
    """Changes stored since the last call (``seen`` keeps the ids already returned)."""
    found = [c for c in rt.store.changes(ChangeFilter()) if c.id not in seen]
    seen.extend(c.id for c in found)
    return found


def by_type(changes: list[Any]) -> dict[str, Any]:
    out = {c.key.tf_type: c for c in changes}
    assert len(out) == len(changes), changes
    return out


def review(change: Any) -> dict[str, Any]:
    value = change.provenance["review"]
    assert isinstance(value, dict)
    return value


# --- (a) provenance of every kind of commit ------------------------------------------------


def test_each_commit_is_stored_with_its_author_and_review(tmp_path: Path,
                                                          runtime: Runtime) -> None:
    repo = Repo.init(tmp_path / "infra")
    spec = TerraformRepository(path=repo.path)
    seen: list[int] = []

    build_step(repo, "initial")
    report = collect_terraform(runtime, spec)
    assert report.commit == repo.shas["initial"] and report.file_errors == ()
    [root] = report.roots
    assert root.scope == "terraform/infra/." and root.result is not None
    assert root.result.added == 3
    first = by_type(new_changes(runtime, seen))
    assert set(first) == {"aws_vpc", "aws_security_group", "terraform_provider_lock"}
    for change in first.values():
        assert change.kind is ChangeKind.ADDED and change.origin is Origin.DECLARED
        assert (change.actor, change.via) == ("alice@example.com", "git")
        assert change.provenance["git"]["commit"] == repo.shas["initial"]
        assert change.provenance["git"]["pr_number"] is None
        assert review(change)["reviewed"] is False and review(change)["self_approved"] is False
        assert review(change)["emergency"] is False
    assert first["aws_security_group"].address == "aws_security_group.web"

    build_step(repo, "merge")
    collect_terraform(runtime, spec)
    [merged] = new_changes(runtime, seen)
    assert merged.kind is ChangeKind.MODIFIED and merged.address == "aws_security_group.web"
    git = merged.provenance["git"]
    assert git["pr_number"] == 42 and git["commit"] == repo.shas["merge"]
    assert git["parents"][1] == repo.shas["feature"]
    assert git["author"]["email"] == "bob@example.com"  # who pressed "merge"
    assert ["Reviewed-by", "Bob Review <bob@example.com>"] in git["trailers"]
    assert merged.actor == "alice@example.com"  # who wrote the change
    assert review(merged)["reviewed"] is True and review(merged)["self_approved"] is False
    assert review(merged)["approvers"] == ["bob@example.com"]
    assert review(merged)["authors"] == ["alice@example.com"]
    assert {f.path: (f.before, f.after) for f in merged.fields if "port" in f.path} == {
        "ingress[0].from_port": (80, 443), "ingress[0].to_port": (80, 443)}

    build_step(repo, "emergency")
    collect_terraform(runtime, spec)
    [urgent] = new_changes(runtime, seen)
    assert (urgent.address, urgent.actor) == ("aws_vpc.main", "carol@example.com")
    assert review(urgent)["emergency"] is True
    assert review(urgent)["emergency_reason"] == "db outage"
    assert review(urgent)["reviewed"] is False
    assert urgent.provenance["git"]["emergency"] is True

    build_step(repo, "self")
    collect_terraform(runtime, spec)
    [own] = new_changes(runtime, seen)
    assert (own.address, own.actor) == ("aws_security_group.web", "dave@example.com")
    assert review(own)["self_approved"] is True and review(own)["reviewed"] is False
    assert review(own)["approvers"] == ["dave@example.com"]

    build_step(repo, "lock")
    collect_terraform(runtime, spec)
    [pin] = new_changes(runtime, seen)
    assert pin.key.tf_type == "terraform_provider_lock" and pin.key.id == LOCK
    assert pin.kind is ChangeKind.MODIFIED and pin.actor == "bob@example.com"
    assert pin.provenance["git"]["commit"] == repo.shas["lock"]
    assert {f.path: (f.before, f.after) for f in pin.fields} == {
        "version": ("5.40.0", "5.41.0"), "hashes[0]": ("h1:aaa", "h1:bbb")}

    report = collect_terraform(runtime, spec)  # nothing new: nothing stored
    assert report.roots[0].result is not None and report.roots[0].result.modified == 0
    assert new_changes(runtime, seen) == []


def test_value_set_in_another_file_is_credited_to_that_commit(tmp_path: Path) -> None:
    """A .tfvars value or a module input changes resources whose own file did not change."""
    repo = Repo.init(tmp_path / "infra")
    repo.write("envs/prod/main.tf", 'variable "cidr" {}\nmodule "net" {\n'
               '  source = "../../modules/net"\n  cidr   = var.cidr\n}\n'
               'resource "aws_s3_bucket" "logs" {\n  bucket = "logs-${var.cidr}"\n}\n')
    repo.write("envs/prod/terraform.tfvars", 'cidr = "10.0.0.0/16"\n')
    repo.write("modules/net/main.tf", 'variable "cidr" {}\n'
               'resource "aws_vpc" "this" {\n  cidr_block = var.cidr\n}\n')
    repo.write("README.md", "docs\n")
    repo.commit("initial", "Initial", "alice")
    rt = sqlite_runtime(tmp_path)
    spec = TerraformRepository(path=repo.path)
    seen: list[int] = []
    collect_terraform(rt, spec)
    assert len(new_changes(rt, seen)) == 2

    repo.write("envs/prod/terraform.tfvars", 'cidr = "10.9.0.0/16"\n')
    repo.write("README.md", "more docs\n")
    repo.commit("vars", "Move prod to 10.9", "carol")
    collect_terraform(rt, spec)
    changed = {c.address: c for c in new_changes(rt, seen)}
    assert set(changed) == {"aws_s3_bucket.logs", "module.net.aws_vpc.this"}
    for change in changed.values():
        assert change.actor == "carol@example.com"
        assert change.provenance["git"]["commit"] == repo.shas["vars"]
        assert change.provenance["attribution"] == "root"  # indirect: not its own file
    rt.close()


def test_uncommitted_edit_is_not_credited_to_a_commit(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "infra")
    build_step(repo, "initial")
    rt = sqlite_runtime(tmp_path)
    spec = TerraformRepository(path=repo.path)
    seen: list[int] = []
    collect_terraform(rt, spec)
    new_changes(rt, seen)

    build_step(repo, "merge")  # a reviewed commit changes sg.tf ...
    repo.write("sg.tf", security_group(22))  # ... and someone edits it before collection
    repo.write("main.tf", vpc("10.7.0.0/16"))  # ... and another file, never committed
    collect_terraform(rt, spec)
    changed = {c.address: c for c in new_changes(rt, seen)}
    assert set(changed) == {"aws_security_group.web", "aws_vpc.main"}
    for change in changed.values():
        assert change.actor is None and "git" not in change.provenance
        assert "review" not in change.provenance
    rt.close()


def test_removed_resource_names_the_commit_that_removed_it(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "infra")
    build_step(repo, "initial")
    repo.write("extra.tf", 'resource "aws_eip" "a" {\n}\nresource "aws_eip" "b" {\n}\n')
    repo.commit("extra", "Two addresses", "alice")
    rt = sqlite_runtime(tmp_path)
    spec = TerraformRepository(path=repo.path)
    seen: list[int] = []
    collect_terraform(rt, spec)
    new_changes(rt, seen)

    (repo.path / "sg.tf").unlink()  # a deleted file
    repo.write("extra.tf", 'resource "aws_eip" "a" {\n}\n')  # a deleted block
    repo.commit("drop", "Drop the web security group and an address", "carol")
    collect_terraform(rt, spec)
    removed = {c.address: c for c in new_changes(rt, seen)}
    assert set(removed) == {"aws_security_group.web", "aws_eip.b"}
    for change in removed.values():
        assert change.kind is ChangeKind.REMOVED
        assert change.actor == "carol@example.com"
        assert change.provenance["git"]["commit"] == repo.shas["drop"]

    repo.write("main.tf", "")  # removed, never committed: nobody to credit
    collect_terraform(rt, spec)
    [gone] = new_changes(rt, seen)
    assert (gone.address, gone.kind, gone.actor) == ("aws_vpc.main", ChangeKind.REMOVED, None)
    rt.close()


# --- (b) iac log and iac show through the CLI -----------------------------------------------


@pytest.fixture
def cli_env(cli_state: Path) -> Path:
    """The CLI's state (key, default store) inside tmp_path; no outside config."""
    return cli_state


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_iac_log_and_show_through_the_cli(tmp_path: Path, cli_env: Path, store_url: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    repo = Repo.init(tmp_path / "infra")
    db = ("--db", store_url)
    before: dict[str, datetime] = {}  # a moment between the previous collection and this one
    for step in STEPS:
        build_step(repo, step)
        before[step] = datetime.now(UTC)
        [report] = run_json(capsys, *db, "collect", "terraform", str(repo.path))
        assert report["commit"] == repo.git("rev-parse", "HEAD")
        assert report["file_errors"] == [] and report["roots"][0]["scope"] == "terraform/infra/."

    log = run_json(capsys, *db, "iac", "log", "aws_security_group.web")
    assert [(c["kind"], c["provenance"]["git"]["commit"], c["actor"]) for c in log] == [
        ("added", repo.shas["initial"], "alice@example.com"),
        ("modified", repo.shas["merge"], "alice@example.com"),
        ("modified", repo.shas["self"], "dave@example.com")]
    assert log[1]["provenance"]["git"]["pr_number"] == 42

    code, out, _ = run(capsys, *db, "iac", "log", "aws_security_group.web")
    assert code == 0
    assert f"{repo.shas['merge'][:12]} PR #42" in out
    assert "reviewed by bob@example.com" in out and "self-approved" in out
    assert "Merge pull request #42 from acme/sg" in out
    assert "~ ingress[0].from_port: 80 → 443" in out
    code, out, _ = run(capsys, *db, "iac", "log", "aws_vpc.main")
    assert "EMERGENCY (db outage)" in out and "carol@example.com" in out
    pins = run_json(capsys, *db, "iac", "log", LOCK)  # a pin is found by its id
    assert [(c["kind"], c["type"], c["actor"]) for c in pins] == [
        ("added", "terraform_provider_lock", "alice@example.com"),
        ("modified", "terraform_provider_lock", "bob@example.com")]
    code, out, _ = run(capsys, *db, "iac", "log", "aws_instance.none")
    assert code == 0 and "no recorded change" in out

    def cidr_at(moment: datetime | None) -> list[str]:
        at = ("--at", stamp(moment)) if moment is not None else ()
        shown = run_json(capsys, *db, "iac", "show", "aws_vpc.main", *at)
        return [v["attributes"]["cidr_block"] for v in shown]

    assert cidr_at(before["self"]) == ["10.1.0.0/16"]
    assert cidr_at(before["emergency"]) == ["10.0.0.0/16"]
    assert cidr_at(None) == ["10.1.0.0/16"]
    assert cidr_at(before["initial"]) == []
    [shown] = run_json(capsys, *db, "iac", "show", "aws_security_group.web", "--at",
                       stamp(before["emergency"]))
    assert shown["attributes"]["ingress"][0]["from_port"] == 443
    assert shown["provenance"]["file"] == "sg.tf" and shown["scope"] == "terraform/infra/."
    code, out, _ = run(capsys, *db, "iac", "show", "aws_vpc.main")
    assert code == 0 and "main.tf:1" in out and '"cidr_block": "10.1.0.0/16"' in out


# --- (c) backfill ------------------------------------------------------------------------------


def test_backfill_rebuilds_history_and_is_idempotent(tmp_path: Path, cli_env: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    repo = Repo.init(tmp_path / "infra")
    for step in STEPS:
        build_step(repo, step)
    db = ("--db", f"sqlite:///{tmp_path / 'fresh.db'}")
    reports = run_json(capsys, *db, "collect", "terraform", str(repo.path), "--backfill", "10")
    mainline = [repo.shas[s] for s in STEPS]  # first-parent history: the feature is merged
    assert [r["commit"] for r in reports] == [*mainline, repo.shas["lock"]]
    assert [r["roots"][0]["result"]["added"] for r in reports[:2]] == [3, 0]
    assert all(r["roots"][0]["note"] is None for r in reports)

    def cidr_at(moment: datetime) -> list[str]:
        shown = run_json(capsys, *db, "iac", "show", "aws_vpc.main", "--at", stamp(moment))
        return [v["attributes"]["cidr_block"] for v in shown]

    half_hour = timedelta(minutes=30)
    assert cidr_at(repo.times["merge"] + half_hour) == ["10.0.0.0/16"]
    assert cidr_at(repo.times["emergency"] + half_hour) == ["10.1.0.0/16"]
    assert cidr_at(repo.times["initial"] - half_hour) == []
    [sg] = run_json(capsys, *db, "iac", "show", "aws_security_group.web", "--at",
                    stamp(repo.times["emergency"]))
    assert sg["attributes"]["ingress"][0]["from_port"] == 443
    assert sg["valid_from"] == stamp(repo.times["merge"])

    log = run_json(capsys, *db, "iac", "log", "aws_security_group.web")
    assert [(c["observed_at"], c["actor"]) for c in log] == [
        (stamp(repo.times["initial"]), "alice@example.com"),
        (stamp(repo.times["merge"]), "alice@example.com"),
        (stamp(repo.times["self"]), "dave@example.com")]
    assert log[1]["provenance"]["review"]["reviewed"] is True
    assert log[2]["provenance"]["review"]["self_approved"] is True

    # Again: the history is already there, so every commit is skipped with a note.
    code, out, err = run(capsys, *db, "collect", "terraform", str(repo.path), "--backfill", "10")
    assert code == 0, err
    assert out.count("skipped: not newer than stored history") == len(mainline)
    assert len(run_json(capsys, *db, "iac", "log", "aws_security_group.web")) == 3


def test_backfill_of_a_repository_without_commits(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "empty")
    repo.write("main.tf", vpc("10.0.0.0/16"))
    rt = sqlite_runtime(tmp_path)
    assert backfill_terraform(rt, TerraformRepository(path=repo.path), 5) == []
    rt.close()


# --- (d) applies recorded from a local state -----------------------------------------------------


def tfstate(serial: int, resources: Mapping[str, str], lineage: str = "lin-1") -> str:
    """A v4 state with one aws_vpc per ``name -> cidr``."""
    return json.dumps({
        "version": 4, "terraform_version": "1.7.5", "serial": serial, "lineage": lineage,
        "outputs": {}, "resources": [
            {"mode": "managed", "type": "aws_vpc", "name": name, "provider": AWS,
             "instances": [{"schema_version": 1, "attributes": {
                 "id": f"vpc-{name}", "cidr_block": cidr,
                 "arn": f"arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-{name}"}}]}
            for name, cidr in resources.items()]})


def test_serial_rise_is_one_apply_event(tmp_path: Path, store_url: str) -> None:
    repo = Repo.init(tmp_path / "infra")
    build_step(repo, "initial")
    state_file = tmp_path / "terraform.tfstate"
    spec = TerraformRepository(path=repo.path, states=[str(state_file)])
    scope = f"tfstate/{state_file}"

    def collect() -> TerraformReport:
        rt = Runtime(Settings(state_dir=tmp_path / "state"), db_url=store_url)
        try:  # a new Runtime each time: the serial must persist in the store
            return collect_terraform(rt, spec)
        finally:
            rt.close()

    def events() -> list[Any]:
        rt = Runtime(Settings(state_dir=tmp_path / "state"), db_url=store_url)
        try:
            return rt.store.events()
        finally:
            rt.close()

    state_file.write_text(tfstate(5, {"a": "10.0.0.0/16", "b": "10.1.0.0/16"}))
    [outcome] = collect().states
    assert outcome.scope == scope and outcome.failure == "" and outcome.event is None
    assert outcome.result.added == 2
    assert events() == []  # the first sight of a state is not an apply

    state_file.write_text(tfstate(6, {"a": "10.0.0.0/16", "b": "10.2.0.0/16",
                                      "c": "10.3.0.0/16"}))
    [outcome] = collect().states
    assert (outcome.result.added, outcome.result.modified) == (1, 1)
    [event] = events()
    assert event.kind == "terraform-apply" and event.source == "tfstate"
    assert set(event.resources) == {"aws_vpc.b", "aws_vpc.c"}
    assert event.details["serial"] == 6 and event.details["previous_serial"] == 5
    assert outcome.event is not None and outcome.event.id == event.id

    state_file.write_text(tfstate(6, {"a": "10.0.0.0/16", "b": "10.2.0.0/16",
                                      "c": "10.3.0.0/16"}))  # rewritten, same serial
    [outcome] = collect().states
    assert outcome.event is None and outcome.result.modified == 0
    assert len(events()) == 1

    rt = Runtime(Settings(state_dir=tmp_path / "state"), db_url=store_url)
    assert rt.store.cursor(f"tfstate/{scope}") == {"lineage": "lin-1", "serial": 6}
    rt.close()


# --- (e) states in S3, over HTTP ---------------------------------------------------------------

BUCKET = "tf-state"
KEY = "network/terraform.tfstate"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An empty bucket on a freshly reset moto server; dummy credentials in the environment."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    # text/plain: with urllib's default form encoding, moto would see an empty body
    reset = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", data=b"", method="POST",
                                   headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(reset, timeout=10) as response:
        assert response.status == 200
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    return s3


@pytest.mark.usefixtures("cli_env")
def test_s3_states_of_every_workspace(tmp_path: Path, moto_endpoint: str, bucket: Any,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    repo = Repo.init(tmp_path / "infra")
    build_step(repo, "initial")
    bucket.put_object(Bucket=BUCKET, Key=KEY, Body=tfstate(3, {"a": "10.0.0.0/16"}))
    bucket.put_object(Bucket=BUCKET, Key=f"env:/prod/{KEY}",
                      Body=tfstate(9, {"a": "10.8.0.0/16", "b": "10.9.0.0/16"}, "lin-p"))
    monkeypatch.setenv("DRIFTAUDIT_AWS__ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("DRIFTAUDIT_AWS__REGION", "us-east-1")
    db = ("--db", f"sqlite:///{tmp_path / 'store.db'}")
    url = f"s3://{BUCKET}/{KEY}"

    [report] = run_json(capsys, *db, "collect", "terraform", str(repo.path), "--state", url)
    states = {s["scope"]: s for s in report["states"]}
    assert set(states) == {f"tfstate/{url}", f"tfstate/{url}#prod"}
    assert states[f"tfstate/{url}"]["result"]["added"] == 1
    assert states[f"tfstate/{url}#prod"]["result"]["added"] == 2
    assert all(s["failure"] is None for s in states.values())
    assert states[f"tfstate/{url}#prod"]["source"] == f"s3://{BUCKET}/env:/prod/{KEY}"
    prod = run_json(capsys, *db, "state", f"tfstate/{url}#prod")
    assert sorted(v["attributes"]["cidr_block"] for v in prod) == ["10.8.0.0/16", "10.9.0.0/16"]

    # The default workspace's object disappears: a failure, and nothing is removed.
    bucket.delete_object(Bucket=BUCKET, Key=KEY)
    rt = Runtime(Settings(state_dir=tmp_path / "state",
                          aws={"endpoint_url": moto_endpoint, "region": "us-east-1"}),
                 db_url=db[1])
    report_after = collect_terraform(rt, TerraformRepository(path=repo.path, states=[url]))
    outcomes = {s.scope: s for s in report_after.states}
    missing = outcomes[f"tfstate/{url}"]
    assert "no such object" in missing.failure
    assert missing.result.removed == 0 and missing.event is None
    assert outcomes[f"tfstate/{url}#prod"].failure == ""
    kept = rt.store.scope_state(f"tfstate/{url}")
    assert [v.attrs["cidr_block"] for v in kept] == ["10.0.0.0/16"]
    scope = next(s for s in rt.store.scopes() if s.name == f"tfstate/{url}")
    assert scope.last_complete is False
    rt.close()


# --- (f) bad input through the service --------------------------------------------------------


def test_syntax_error_keeps_the_last_good_parse(tmp_path: Path, store_url: str) -> None:
    repo = Repo.init(tmp_path / "infra")
    build_step(repo, "initial")
    rt = Runtime(Settings(state_dir=tmp_path / "state"), db_url=store_url)
    spec = TerraformRepository(path=repo.path)
    seen: list[int] = []
    collect_terraform(rt, spec)
    new_changes(rt, seen)

    repo.write("sg.tf", security_group(443).replace("name = ", "name = = "))
    repo.write("main.tf", vpc("10.4.0.0/16"))
    repo.commit("broken", "Widen the VPC, break the SG", "carol")
    report = collect_terraform(rt, spec)
    [issue] = report.file_errors
    assert (issue.path, issue.line, issue.kind, issue.stale) == ("sg.tf", 2, "parse-error", True)
    assert "syntax error" in issue.message
    [root] = report.roots
    assert root.result is not None and root.result.removed == 0
    [change] = new_changes(rt, seen)
    assert (change.address, change.actor) == ("aws_vpc.main", "carol@example.com")
    current = {v.address: v.attrs for v in rt.store.scope_state("terraform/infra/.")}
    assert current["aws_security_group.web"]["ingress"][0]["from_port"] == 80  # last good
    assert [s.last_complete for s in rt.store.scopes()] == [False]

    repo.write("sg.tf", security_group(443))  # repaired: the pending change arrives
    repo.commit("fixed", "Fix the SG", "carol")
    report = collect_terraform(rt, spec)
    assert report.file_errors == ()
    [change] = new_changes(rt, seen)
    assert change.address == "aws_security_group.web" and change.kind is ChangeKind.MODIFIED
    rt.close()


def test_empty_repository_and_plain_folder_collect_without_attribution(tmp_path: Path) -> None:
    rt = sqlite_runtime(tmp_path)
    empty = Repo.init(tmp_path / "empty")
    empty.write("main.tf", vpc("10.0.0.0/16"))
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "main.tf").write_text(vpc("10.1.0.0/16"))
    for folder in (empty.path, plain):
        report = collect_terraform(rt, TerraformRepository(path=folder))
        assert report.commit is None and report.file_errors == ()
        assert report.roots[0].result is not None and report.roots[0].result.added == 1
    assert any("not a git repository" in w for w in report.warnings)
    changes = rt.store.changes(ChangeFilter())
    assert len(changes) == 2
    assert all(c.actor is None and "git" not in c.provenance for c in changes)

    empty.commit("first", "First commit", "dave")  # the first commit: attribution starts
    empty.write("main.tf", vpc("10.5.0.0/16"))
    empty.commit("second", "Second commit", "bob")
    collect_terraform(rt, TerraformRepository(path=empty.path))
    latest = rt.store.changes(ChangeFilter(scope="terraform/empty/."))[-1]
    assert (latest.kind, latest.actor) == (ChangeKind.MODIFIED, "bob@example.com")
    rt.close()


def test_unusable_files_are_reported_and_the_rest_collected(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "infra")
    build_step(repo, "initial")
    repo.write("binary.tf", b"\x00\x01resource \x00\xff")
    repo.write("huge.tf", 'resource "aws_vpc" "huge" {\n' + "  # padding\n" * 400 + "}\n")
    repo.write("broken.tf.json", '{"resource": ')
    (repo.path / "loop").mkdir()
    (repo.path / "loop" / "up").symlink_to("..")
    (repo.path / "self.tf").symlink_to("self.tf")
    repo.commit("junk", "Add junk", "dave")
    rt = sqlite_runtime(tmp_path, terraform={"max_file_bytes": 2_000})
    report = collect_terraform(rt, TerraformRepository(path=repo.path))
    issues = {i.path: i for i in report.file_errors}
    assert set(issues) == {"binary.tf", "huge.tf", "broken.tf.json"}
    assert issues["binary.tf"].kind == issues["huge.tf"].kind == "file-skipped"
    assert "over the limit of 2000" in issues["huge.tf"].message
    assert issues["broken.tf.json"].kind == "parse-error"
    assert any("loop/up" in w and "loop" in w for w in report.warnings)
    assert any(w.startswith("self.tf") for w in report.warnings)
    addresses = {c.address for c in rt.store.changes(ChangeFilter())}
    assert addresses == {"aws_vpc.main", "aws_security_group.web", ""}  # "" is the lock pin
    rt.close()


# --- configured repositories -------------------------------------------------------------------


def test_configured_repository_keeps_its_settings_when_named(
        tmp_path: Path, cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``collect terraform PATH`` of a configured repository uses its name and var_files."""
    repo = Repo.init(tmp_path / "infra")
    repo.write("envs/prod/main.tf", 'variable "cidr" {\n  default = "10.0.0.0/16"\n}\n'
               'resource "aws_vpc" "main" {\n  cidr_block = var.cidr\n}\n')
    repo.write("envs/prod/prod.tfvars", 'cidr = "10.50.0.0/16"\n')
    repo.write("examples/demo/main.tf", vpc("192.168.0.0/16"))
    repo.commit("initial", "Initial", "alice")
    config = tmp_path / "driftaudit.toml"
    config.write_text(f'''
[store]
url = "sqlite:///{tmp_path / 'store.db'}"

[[terraform.repositories]]
path = "{repo.path}"
name = "network"
ignore = ["examples"]
var_files = {{ "envs/prod" = ["envs/prod/prod.tfvars"] }}
''')
    [report] = run_json(capsys, "--config", str(config), "collect", "terraform")
    assert [r["scope"] for r in report["roots"]] == ["terraform/network/envs/prod"]
    assert report["roots"][0]["result"]["added"] == 1
    [report] = run_json(capsys, "--config", str(config), "collect", "terraform", str(repo.path))
    assert [r["scope"] for r in report["roots"]] == ["terraform/network/envs/prod"]
    assert report["roots"][0]["result"]["modified"] == 0
    [shown] = run_json(capsys, "--config", str(config), "iac", "show", "aws_vpc.main")
    assert shown["attributes"]["cidr_block"] == "10.50.0.0/16"


def test_deleted_root_module_removes_its_resources(tmp_path: Path) -> None:
    """A root folder that disappears declares nothing: its scope must not stay current."""
    repo = Repo.init(tmp_path / "infra")
    repo.write("envs/prod/main.tf", vpc("10.0.0.0/16"))
    repo.write("envs/old/main.tf", vpc("10.9.0.0/16"))
    repo.commit("initial", "Two environments", "alice")
    repo.git("rm", "-q", "-r", "envs/old")
    repo.commit("drop", "Retire the old environment", "carol")
    spec = TerraformRepository(path=repo.path)

    rt = sqlite_runtime(tmp_path)  # the history, commit by commit
    backfill_terraform(rt, spec, 5)
    assert rt.store.scope_state("terraform/infra/envs/old") == []
    [_, ended] = rt.store.changes(ChangeFilter(scope="terraform/infra/envs/old"))
    assert (ended.kind, ended.actor) == (ChangeKind.REMOVED, "carol@example.com")
    assert ended.observed_at == repo.times["drop"]
    was = rt.store.scope_state("terraform/infra/envs/old",
                               repo.times["drop"] - timedelta(minutes=30))
    assert [v.attrs["cidr_block"] for v in was] == ["10.9.0.0/16"]
    rt.close()

    (tmp_path / "store.db").unlink()  # the working tree, before and after
    rt = sqlite_runtime(tmp_path)
    repo.git("checkout", "-q", repo.shas["initial"])
    collect_terraform(rt, spec)
    repo.git("checkout", "-q", "main")
    report = collect_terraform(rt, spec)
    ended = {r.scope: r for r in report.roots}["terraform/infra/envs/old"]
    assert ended.result is not None and ended.result.removed == 1
    assert ended.note == "no longer a root module of the tree"
    [removed] = rt.store.changes(ChangeFilter(scope="terraform/infra/envs/old"))[1:]
    assert (removed.kind, removed.actor) == (ChangeKind.REMOVED, "carol@example.com")
    assert [r.scope for r in collect_terraform(rt, spec).roots] == ["terraform/infra/envs/prod"]
    rt.close()
