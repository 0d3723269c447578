"""Git provenance against real repositories built with the git CLI in a temp folder.

One history (module fixture) holds the cases the issue names: several authors
and time zones, a pull-request merge with review trailers, a squash merge, a
break-glass commit, a self-approval, a lockfile update, a rename, odd file
names, non-UTF-8 text, a deleted file.  Smaller repositories cover the edges:
not a repository, empty, shallow, bare, detached HEAD, submodule, symlinks,
size limit, signatures, hostile user configuration.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from auditd.collectors.terraform.git import (
    BlobTooLarge,
    ChangeStatus,
    CommitInfo,
    EmptyRepository,
    GitError,
    GitRepository,
    NotAGitRepository,
    Person,
    SignatureStatus,
    UnknownRevision,
)
from auditd.collectors.terraform.tree import SourceTree
from auditd.errors import InputError

PEOPLE = {
    "ann": ("Ann Ops", "ann@example.com"), "bob": ("Bob Dev", "bob@example.com"),
    "cem": ("Cem Sec", "cem@example.com"), "dia": ("Dia Net", "dia@example.com"),
}
ODD_NAMES = ["dir with space/my file.tf", "ünïcode/é.tf", "new\nline.tf", 'quote"d\t.tf']


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C",
                "GIT_AUTHOR_NAME": "Ann Ops", "GIT_AUTHOR_EMAIL": "ann@example.com",
                "GIT_COMMITTER_NAME": "Ann Ops", "GIT_COMMITTER_EMAIL": "ann@example.com"})
    env.update(extra or {})
    return env


@dataclass
class Builder:
    """Makes commits with chosen authors, committers and times; one hour apart."""

    path: Path
    clock: datetime = field(default_factory=lambda: datetime.fromisoformat(
        "2026-03-01T10:00:00+01:00"))
    shas: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, env: Mapping[str, str] | None = None, stdin: bytes = b"") -> str:
        done = subprocess.run(["git", "-C", str(self.path), *args], input=stdin,
                              capture_output=True, env=clean_env(env), check=True)
        return done.stdout.decode("utf-8", "replace").strip()

    def blob(self, oid: str) -> bytes:
        return subprocess.run(["git", "-C", str(self.path), "cat-file", "blob", oid],
                              capture_output=True, env=clean_env(), check=True).stdout

    def write(self, rel: str, text: str | bytes) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode() if isinstance(text, str) else text)

    def commit(self, label: str, message: str | bytes, author: str = "ann", *,
               committer: str | None = None, tz: int = 1, args: tuple[str, ...] = (),
               stage: bool = True) -> str:
        self.clock += timedelta(hours=1)
        when = self.clock.astimezone(timezone(timedelta(hours=tz))).isoformat()
        a_name, a_mail = PEOPLE[author]
        c_name, c_mail = PEOPLE[committer or author]
        env = {"GIT_AUTHOR_NAME": a_name, "GIT_AUTHOR_EMAIL": a_mail,
               "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_NAME": c_name,
               "GIT_COMMITTER_EMAIL": c_mail, "GIT_COMMITTER_DATE": when}
        body = message.encode() if isinstance(message, str) else message
        if stage:
            self.git("add", "-A")
        self.git(*args, "commit", "-q", "--allow-empty", "-F", "-", env=env, stdin=body)
        self.shas[label] = self.git("rev-parse", "HEAD")
        return self.shas[label]

    def commit_raw(self, label: str, author_name: bytes, message: bytes) -> str:
        """A commit object written byte for byte (``git commit`` would re-encode bad UTF-8)."""
        self.clock += timedelta(hours=1)
        self.git("add", "-A")
        stamp = f"{int(self.clock.timestamp())} +0300".encode()
        raw = b"".join([
            b"tree " + self.git("write-tree").encode() + b"\n",
            b"parent " + self.git("rev-parse", "HEAD").encode() + b"\n",
            b"author " + author_name + b" <cem@example.com> " + stamp + b"\n",
            b"committer Cem Sec <cem@example.com> " + stamp + b"\n\n", message])
        self.shas[label] = self.git("hash-object", "-t", "commit", "-w", "--stdin", stdin=raw)
        self.git("update-ref", "HEAD", self.shas[label])
        return self.shas[label]


def build_history(path: Path) -> Builder:
    b = Builder(path)
    b.write("network/main.tf", 'resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n}\n')
    b.write("network/variables.tf", 'variable "region" {\n  default = "eu-west-1"\n}\n')
    b.write(".terraform.lock.hcl", 'provider "registry.terraform.io/hashicorp/aws" {\n'
                                   '  version = "5.40.0"\n}\n')
    b.write("old/legacy.tf", "# to be deleted\n")
    for i, odd in enumerate(ODD_NAMES):
        b.write(odd, f"# odd {i}\n")
    b.commit("initial", "Initial VPC\n", "ann", tz=1)
    b.write("network/main.tf", 'resource "aws_vpc" "main" {\n  cidr_block = "10.1.0.0/16"\n}\n')
    b.commit("tune", "Tune subnets\n", "bob", committer="cem", tz=-5)
    b.git("checkout", "-q", "-b", "feature")
    b.write("network/peering.tf", 'resource "aws_vpc_peering_connection" "p" {}\n')
    b.commit("feat1", "Add peering\n", "bob", tz=-5)
    b.write("network/peering.tf", 'resource "aws_vpc_peering_connection" "p" {\n  auto = true\n}\n')
    b.commit("feat2", "Auto-accept peering\n", "bob", tz=-5)
    b.git("checkout", "-q", "main")
    b.write(".terraform.lock.hcl", 'provider "registry.terraform.io/hashicorp/aws" {\n'
                                   '  version = "5.41.0"\n}\n')
    b.commit("lock", "Bump AWS provider to 5.41.0\n", "ann")
    b.git("merge", "-q", "--no-ff", "--no-commit", "feature")
    b.commit("merge", "Merge pull request #42 from acme/feature\n\nAdd peering\n\n"
             "Reviewed-by: Cem Sec <cem@example.com>\nApproved-by: Dia Net <dia@example.com>\n",
             "dia", tz=0)
    b.write("network/main.tf", 'resource "aws_vpc" "main" {\n  cidr_block = "10.2.0.0/16"\n}\n')
    b.commit("squash", "Add VPC (#43)\n\n* widen the VPC\n", "bob", tz=-5)
    b.write("network/sg.tf", 'resource "aws_security_group" "db" {\n  port = 5432\n}\n')
    b.commit("emergency", "Open 5432 for the restore\n\nBreak-glass: db outage\n", "ann")
    b.write("network/sg.tf", 'resource "aws_security_group" "db" {\n  port = 5432\n'
                             '  egress = "all"\n}\n')
    b.commit("selfapproved", "Widen egress\n\nApproved-by: Bob Dev <BOB@Example.com>\n", "bob")
    b.git("mv", "network/sg.tf", "network/security_groups.tf")
    b.commit("rename", "Rename sg.tf\n", "ann")
    b.git("rm", "-q", "old/legacy.tf")
    b.commit("delete", "Drop legacy\n", "cem", tz=3)
    b.write("network/outputs.tf", "# outputs\n")
    b.commit_raw("latin1", b"Jos\xe9 Caf\xe9", b"Caf\xe9 outputs\n\nno encoding header\n")
    b.write("network/outputs.tf", "# outputs v2\n")
    b.commit("encoded", "Café again\n".encode("latin-1"), "cem",
             args=("-c", "i18n.commitEncoding=ISO-8859-1"))
    return b


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Builder:
    return build_history(tmp_path_factory.mktemp("git") / "infra")


@pytest.fixture
def repo(history: Builder) -> Iterator[GitRepository]:
    with GitRepository(history.path) as opened:
        yield opened


def by_sha(commits: list[CommitInfo]) -> dict[str, CommitInfo]:
    return {c.sha: c for c in commits}


# -- who and when ----------------------------------------------------------------------------------

def test_authors_committers_and_times(repo: GitRepository, history: Builder) -> None:
    commits = by_sha(repo.log())
    tune = commits[history.shas["tune"]]
    assert (tune.author.name, tune.author.email) == PEOPLE["bob"]
    assert (tune.committer.name, tune.committer.email) == PEOPLE["cem"]
    assert tune.author.time.utcoffset() == timedelta(hours=-5)
    assert tune.author.time == datetime.fromisoformat("2026-03-01T12:00:00+01:00")
    initial = commits[history.shas["initial"]]
    assert initial.parents == () and initial.author.time.utcoffset() == timedelta(hours=1)
    assert {c.author.email for c in commits.values()} == {m for _, m in PEOPLE.values()}


def test_log_is_newest_first_and_limited(repo: GitRepository, history: Builder) -> None:
    everything = repo.log()
    assert len(everything) == len(history.shas)
    assert everything[0].sha == history.shas["encoded"] == repo.head()
    assert [c.sha for c in repo.log(max_count=2)] == [history.shas["encoded"],
                                                      history.shas["latin1"]]
    mainline = repo.log(first_parent=True)
    assert history.shas["feat1"] not in by_sha(mainline)
    assert len(mainline) == len(everything) - 2
    since = history.clock - timedelta(hours=1, minutes=30)
    assert [c.sha for c in repo.log(since=since)] == [history.shas["encoded"],
                                                      history.shas["latin1"]]
    with pytest.raises(ValueError, match="time zone"):
        repo.log(since=datetime(2026, 3, 1))  # naive: refused


# -- review evidence -------------------------------------------------------------------------------

def test_pull_request_merge(repo: GitRepository, history: Builder) -> None:
    merge = by_sha(repo.log())[history.shas["merge"]]
    assert merge.is_merge and merge.parents == (history.shas["lock"], history.shas["feat2"])
    assert merge.pr_number == 42 and merge.subject == "Merge pull request #42 from acme/feature"
    assert merge.trailer_values("reviewed-by") == ["Cem Sec <cem@example.com>"]
    assert merge.trailer_values("APPROVED-BY") == ["Dia Net <dia@example.com>"]
    assert [(c.status, c.path) for c in merge.changes] == [
        (ChangeStatus.ADDED, "network/peering.tf")]
    assert [c.sha for c in repo.merged_commits(merge)] == [history.shas["feat2"],
                                                          history.shas["feat1"]]
    evidence = repo.review(merge)
    assert evidence.authors == (Person(*PEOPLE["bob"]), Person(*PEOPLE["bob"]))
    assert [(a.person.name, a.kind) for a in evidence.approvals] == [
        ("Cem Sec", "reviewed-by"), ("Dia Net", "approved-by"), ("Dia Net", "merged-pr")]
    assert evidence.reviewed and not evidence.self_approved and not evidence.emergency


def test_squash_emergency_and_self_approval(repo: GitRepository, history: Builder) -> None:
    commits = by_sha(repo.log())
    squash = commits[history.shas["squash"]]
    assert squash.pr_number == 43 and not squash.is_merge and not repo.review(squash).reviewed
    emergency = commits[history.shas["emergency"]]
    assert emergency.emergency and emergency.emergency_reason == "db outage"
    review = repo.review(emergency)
    assert review.approvals == () and not review.reviewed and not review.self_approved
    own = repo.review(commits[history.shas["selfapproved"]])
    assert own.self_approved and not own.reviewed
    assert own.approvals[0].person == Person("Bob Dev", "BOB@Example.com")
    for label in ("tune", "lock", "rename"):
        assert commits[history.shas[label]].pr_number is None
        assert not commits[history.shas[label]].emergency


# -- paths -----------------------------------------------------------------------------------------

def test_lockfile_updates_are_found(repo: GitRepository, history: Builder) -> None:
    touching = repo.commits_touching(".terraform.lock.hcl")
    assert [c.sha for c in touching] == [history.shas["lock"], history.shas["initial"]]
    last = repo.last_commit_for([".terraform.lock.hcl"])
    assert last is not None and last.sha == history.shas["lock"]
    assert [(c.status, c.path) for c in last.changes] == [
        (ChangeStatus.MODIFIED, ".terraform.lock.hcl")]
    assert repo.last_commit_for("no/such/*.tf") is None


def test_rename_and_delete(repo: GitRepository, history: Builder) -> None:
    rename = by_sha(repo.log())[history.shas["rename"]]
    (change,) = rename.changes
    assert (change.status, change.old_path, change.path, change.similarity) == (
        ChangeStatus.RENAMED, "network/sg.tf", "network/security_groups.tf", 100)
    delete = repo.last_commit_for(["old/legacy.tf"])
    assert delete is not None and delete.sha == history.shas["delete"]
    assert delete.changes[0].status is ChangeStatus.DELETED


def test_globs_and_folders(repo: GitRepository, history: Builder) -> None:
    sg = {history.shas[k] for k in ("emergency", "selfapproved", "rename")}
    assert {c.sha for c in repo.commits_touching("network/s*.tf")} == sg
    assert {c.sha for c in repo.commits_touching("**/peering.tf")} == {
        history.shas[k] for k in ("feat1", "feat2")}
    assert {c.sha for c in repo.commits_touching(["network/peering.tf"], first_parent=True)} == {
        history.shas["merge"]}
    folder = repo.log(paths=["old"])
    assert [c.sha for c in folder] == [history.shas["delete"], history.shas["initial"]]
    assert len(folder[1].changes) == 4 + len(ODD_NAMES)  # the whole commit, not only old/


def test_odd_file_names(repo: GitRepository, history: Builder) -> None:
    initial = by_sha(repo.log())[history.shas["initial"]]
    assert set(ODD_NAMES) <= {c.path for c in initial.changes}
    for name in ODD_NAMES:
        found = repo.last_commit_for([name])
        assert found is not None and found.sha == history.shas["initial"]
    tree = repo.tree(history.shas["initial"])
    for i, name in enumerate(ODD_NAMES):
        assert tree.read(name) == f"# odd {i}\n".encode()


def test_non_utf8_text_is_replaced_or_decoded(repo: GitRepository, history: Builder) -> None:
    commits = by_sha(repo.log())
    raw = commits[history.shas["latin1"]]
    assert raw.subject == "Caf\ufffd outputs" and raw.author.name == "Jos\ufffd Caf\ufffd"
    assert raw.body == "no encoding header"
    assert commits[history.shas["encoded"]].subject == "Café again"


# -- trees -----------------------------------------------------------------------------------------

def test_tree_reads_exactly_the_files_of_that_commit(repo: GitRepository,
                                                     history: Builder) -> None:
    sha = history.shas["initial"]
    tree: SourceTree = repo.tree(sha)
    listed = {f.path: f for f in tree.files()}
    names = history.git("ls-tree", "-r", "-z", "--name-only", sha).strip("\0").split("\0")
    assert set(listed) == set(names) and "old/legacy.tf" in listed
    for path, info in listed.items():
        assert info.fingerprint == history.git("rev-parse", f"{sha}:{path}")
        content = tree.read(path)
        assert content == history.blob(info.fingerprint) and info.size == len(content)
    assert b'"10.0.0.0/16"' in tree.read("network/main.tf")
    assert tree.read("old/legacy.tf") == b"# to be deleted\n"
    head = {f.path for f in repo.tree().files()}
    assert "old/legacy.tf" not in head and "network/security_groups.tf" in head
    with pytest.raises(FileNotFoundError):
        repo.tree().read("old/legacy.tf")


def test_tree_of_a_folder_and_unknown_names(repo: GitRepository, history: Builder) -> None:
    sub = repo.tree("HEAD~1", subdir="network/")
    assert {f.path for f in sub.files()} == {"main.tf", "variables.tf", "peering.tf",
                                             "security_groups.tf", "outputs.tf"}
    assert sub.commit == history.shas["latin1"] and sub.name == "infra"
    with pytest.raises(GitError, match="not a folder"):
        repo.tree(subdir="nope")
    with pytest.raises(UnknownRevision):
        repo.tree("no-such-branch")
    with pytest.raises(UnknownRevision):
        repo.log(rev="0" * 40)


def test_options_cannot_be_smuggled_in_as_revisions(repo: GitRepository, tmp_path: Path) -> None:
    target = tmp_path / "written"
    for call in (lambda: repo.log(rev=f"--output={target}"),
                 lambda: repo.tree(f"--output={target}")):
        with pytest.raises(UnknownRevision):
            call()
    assert not target.exists()


def test_everything_is_read_only(history: Builder, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(history.path, copy, symlinks=True)
    before = digest(copy)
    with GitRepository(copy) as repo:
        for commit in repo.log():
            repo.review(commit)
            tree = repo.tree(commit.sha)
            for f in tree.files():
                tree.read(f.path)
        repo.commits_touching("**/*.tf")
        repo.branch()
    assert digest(copy) == before


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_user_configuration_and_environment_change_nothing(
        history: Builder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with GitRepository(history.path) as plain:
        expected = plain.log()
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[log]\n  showSignature = true\n  follow = true\n  decorate = full\n  abbrevCommit = true\n"
        "[core]\n  quotepath = true\n[color]\n  ui = always\n[diff]\n  renames = false\n"
        "  noprefix = true\n[i18n]\n  logOutputEncoding = ISO-8859-1\n"
        "[format]\n  pretty = oneline\n")
    plain_git = subprocess.run(
        ["git", "-C", str(history.path), "log", "-1"], capture_output=True, check=True,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
             "HOME": str(home)}).stdout
    assert plain_git.startswith(b"\x1b[")  # the hostile configuration is live for plain git
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "index"))
    with GitRepository(history.path) as hostile:
        assert hostile.log() == expected


# -- the edges -------------------------------------------------------------------------------------

def test_not_a_repository(tmp_path: Path, history: Builder) -> None:
    with pytest.raises(NotAGitRepository) as plain:
        GitRepository(tmp_path)
    assert isinstance(plain.value, InputError)
    assert str(tmp_path) in plain.value.message and "clone" in plain.value.hint
    with pytest.raises(NotAGitRepository, match="not a folder"):
        GitRepository(tmp_path / "missing")
    with pytest.raises(NotAGitRepository):
        GitRepository(history.path / "network")  # inside a repository is not a repository


def test_empty_repository(tmp_path: Path) -> None:
    Builder(tmp_path / "empty")
    with GitRepository(tmp_path / "empty") as repo:
        assert repo.is_empty and repo.log() == [] and repo.commits_touching("**") == []
        assert repo.last_commit_for(["main.tf"]) is None and repo.branch() == "main"
        with pytest.raises(EmptyRepository, match="no commits"):
            repo.head()
        with pytest.raises(UnknownRevision):
            repo.tree()


def test_shallow_clone(history: Builder, tmp_path: Path) -> None:
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{history.path}",
                    str(tmp_path / "shallow")], check=True, env=clean_env(), capture_output=True)
    with GitRepository(tmp_path / "shallow") as repo:
        assert repo.is_shallow
        (only,) = repo.log()
        assert only.sha == history.shas["encoded"] and only.grafted and only.parents == ()
        assert {c.status for c in only.changes} == {ChangeStatus.ADDED}
        assert len(list(repo.tree().files())) == len(list(repo.tree().files()))
        assert repo.tree().read("network/outputs.tf") == b"# outputs v2\n"
    with GitRepository(history.path) as full:
        assert not full.is_shallow and not any(c.grafted for c in full.log())


def test_detached_head_and_bare_clone(history: Builder, tmp_path: Path) -> None:
    clone = Builder.__new__(Builder)
    clone.path = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(history.path), str(clone.path)], check=True,
                   env=clean_env(), capture_output=True)
    clone.git("checkout", "-q", "--detach", "HEAD~2")
    with GitRepository(clone.path) as repo:
        assert repo.head() == history.shas["delete"] and repo.branch() is None
        assert repo.log(max_count=1)[0].sha == history.shas["delete"]
    clone.git("worktree", "add", "-q", "--detach", str(tmp_path / "linked"), "HEAD~1")
    with GitRepository(tmp_path / "linked") as linked:  # .git is a file there
        assert linked.head() == history.shas["rename"] and not linked.is_shallow
    subprocess.run(["git", "clone", "-q", "--bare", str(history.path), str(tmp_path / "b.git")],
                   check=True, env=clean_env(), capture_output=True)
    with GitRepository(tmp_path / "b.git") as bare:
        assert bare.head() == history.shas["encoded"]
        assert "network/outputs.tf" in {f.path for f in bare.tree().files()}


def test_submodule_symlinks_and_size_limit(tmp_path: Path) -> None:
    b = Builder(tmp_path / "repo")
    b.write("main.tf", "x" * 5000)
    b.write("shared/providers.tf", "provider {}\n")
    (b.path / "env").mkdir()
    (b.path / "env" / "providers.tf").symlink_to("../shared/providers.tf")
    (b.path / "env" / "passwd").symlink_to("/etc/passwd")
    b.git("add", "-A")
    b.git("update-index", "--add", "--cacheinfo", f"160000,{'ab' * 20},vendor/module")
    b.commit("one", "Add things\n", stage=False)
    with GitRepository(b.path, max_blob_bytes=1000) as repo:
        tree = repo.tree()
        files = {f.path: f for f in tree.files()}
        assert set(files) == {"main.tf", "shared/providers.tf", "env/providers.tf"}
        assert tree.read("env/providers.tf") == b"provider {}\n"
        assert {s.path for s in tree.skipped} == {"env/passwd", "vendor/module"}
        assert files["main.tf"].size == 5000
        with pytest.raises(BlobTooLarge) as too_big:
            tree.read("main.tf")
        assert isinstance(too_big.value, OSError) and "max_blob_bytes" in str(too_big.value)
        (commit,) = repo.log()
        assert ("vendor/module", ChangeStatus.ADDED) in {(c.path, c.status) for c in commit.changes}
    with pytest.raises(ValueError, match="closed"):
        repo.tree()


def test_signature_status_without_gpg(history: Builder) -> None:
    with GitRepository(history.path) as checked:
        assert {c.signature for c in checked.log()} == {SignatureStatus.UNSIGNED}
    with GitRepository(history.path, verify_signatures=False) as unchecked:
        assert {c.signature for c in unchecked.log()} == {SignatureStatus.UNKNOWN}


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")
def test_ssh_signatures_good_and_bad(tmp_path: Path) -> None:
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ann", "-f", str(key)],
                   check=True, capture_output=True)
    (tmp_path / "allowed").write_text(f"ann@example.com {key.with_suffix('.pub').read_text()}")
    b = Builder(tmp_path / "repo")
    for setting, value in (("gpg.format", "ssh"), ("user.signingkey", str(key)),
                           ("gpg.ssh.allowedSignersFile", str(tmp_path / "allowed"))):
        b.git("config", setting, value)
    b.write("main.tf", "# signed\n")
    good = b.commit("signed", "Signed change\n", args=("-c", "commit.gpgsign=true"))
    forged = b.git("cat-file", "commit", good).replace("Signed change", "Forged change")
    bad = b.git("hash-object", "-t", "commit", "-w", "--stdin", stdin=forged.encode() + b"\n")
    b.git("update-ref", "refs/heads/main", bad)
    with GitRepository(b.path) as repo:
        assert [c.signature for c in repo.log(rev=good)] == [SignatureStatus.GOOD]
        assert [c.signature for c in repo.log()] == [SignatureStatus.BAD]
