"""Pure parts of git provenance: trailers, PR numbers, review evidence, log and tree parsing.

Trailer parsing is checked against ``git interpret-trailers --parse`` itself on
the same messages, so "parsed properly" means "as git parses them".
"""

from __future__ import annotations

import errno
import os
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from auditd.collectors.terraform.git import (
    Actor,
    BlobTooLarge,
    ChangeStatus,
    CommitInfo,
    Person,
    SignatureStatus,
    Trailer,
    approvals,
    review_evidence,
    reviews,
    self_approved,
)
from auditd.collectors.terraform.git_commit import (
    emergency_reason,
    parse_person,
    parse_trailers,
    pr_number,
)
from auditd.collectors.terraform.git_log import log_format, parse_log
from auditd.collectors.terraform.git_objects import TreeEntry, _chunks, parse_tree_object
from auditd.collectors.terraform.git_process import (
    EmptyRepository,
    GitError,
    GitRunner,
    GitUnavailable,
    NotAGitRepository,
    UnknownRevision,
    git_environment,
    git_program,
)
from auditd.collectors.terraform.git_tree import GitTree

T = datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))
SHA = "a" * 40

TRAILER_CASES = {
    "simple": "Fix sg\n\nbody\n\nReviewed-by: Bob <bob@x>\nApproved-by: Cem <cem@x>\n",
    "title_only": "Reviewed-by: Bob <bob@x>\n",
    "title_then_trailer": "Fix\n\nReviewed-by: Bob\n",
    "prose_then_trailer": "Fix\n\nsome text\nReviewed-by: Bob\n",
    "signed_off_25pct": "Fix\n\nsome text\nmore text\nSigned-off-by: Ann <a@x>\n",
    "signed_off_too_few": "Fix\n\nl1\nl2\nl3\nl4\nSigned-off-by: Ann <a@x>\n",
    "continuation": "Fix\n\nBreak-glass: db outage\n  in eu-west-1\nReviewed-by: Bob\n",
    "tab_continuation": "Fix\n\nEmergency: yes\n\tbecause\n",
    "space_before_colon": "Fix\n\nReviewed-by : Bob\n",
    "no_space_after_colon": "Fix\n\nReviewed-by:Bob\n",
    "key_with_space": "Fix\n\nReviewed by: Bob\n",
    "lowercase_keys": "Fix\n\nreviewed-by: bob\nEMERGENCY: yes\n",
    "not_last_paragraph": "Fix\n\nReviewed-by: Bob\n\nsome text after\n",
    "cherry_pick": "Fix\n\nsome text\n(cherry picked from commit abc)\nReviewed-by: X\n",
    "trailing_blank_lines": "Fix\n\nReviewed-by: Bob\n\n\n",
    "empty_value": "Fix\n\nAcked-by:\nReviewed-by: Bob\n",
    "colon_in_value": "Fix\n\nLink: https://example.com/a:b\n",
    "indented_first": "Fix\n\n  indented\nReviewed-by: Bob\n",
    "crlf": "Fix\r\n\r\nReviewed-by: Bob\r\n",
    "repeated_keys": "Fix\n\nReviewed-by: A\nReviewed-by: B\nCo-authored-by: C <c@x>\n",
    "comment_line": "Fix\n\n# comment\nReviewed-by: Bob\n",
    "two_line_title": "Fix\nsecond title line\n\nReviewed-by: Bob\n",
}


def git_parse(message: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", "interpret-trailers", "--parse"], input=message.encode(),
                          capture_output=True, check=True, env=env)
    return done.stdout.decode()


@pytest.mark.parametrize("name", sorted(TRAILER_CASES))
def test_trailers_are_parsed_exactly_as_git_does(name: str) -> None:
    message = TRAILER_CASES[name]
    ours = "".join(f"{t.key}: {t.value}\n" for t in parse_trailers(message))
    assert ours == git_parse(message)


def test_trailer_values_unfold_and_keep_order() -> None:
    trailers = parse_trailers(TRAILER_CASES["continuation"])
    assert trailers == (Trailer("Break-glass", "db outage in eu-west-1"),
                        Trailer("Reviewed-by", "Bob"))
    assert parse_trailers(TRAILER_CASES["title_only"]) == ()


def commit(message: str, *, parents: tuple[str, ...] = ("b" * 40,), author: Person | None = None,
           sha: str = SHA) -> CommitInfo:
    who = author or Person("Ann Ops", "ann@example.com")
    return CommitInfo(sha=sha, parents=parents, author=Actor(who.name, who.email, T),
                      committer=Actor("GitHub", "noreply@github.com", T + timedelta(minutes=1)),
                      message=message, trailers=parse_trailers(message))


def test_trailer_values_are_case_insensitive() -> None:
    info = commit(TRAILER_CASES["lowercase_keys"])
    assert info.trailer_values("Reviewed-By") == ["bob"]
    assert info.emergency and info.emergency_reason == ""


@pytest.mark.parametrize(("subject", "message", "expected"), [
    ("Merge pull request #123 from org/branch", "", 123),
    ("Merge pull request #7 from fork-user/fix-sg", "", 7),
    ("Add VPC (#43)", "", 43),
    ("Revert \"Add VPC (#43)\" (#44)", "", 44),
    ("Merge branch 'feature' into 'main'", "Merge branch 'feature' into 'main'\n\n"
     "Add VPC\n\nSee merge request platform/infra!45", 45),
    ("Merged in feature/vpc (pull request #12)", "", 12),
    ("Merged PR 981: add peering", "", 981),
    ("Fix #12 in the docs", "", None),
    ("Revert \"Add VPC (#43)\"", "", None),
    ("Add VPC", "Add VPC\n\nsee merge request on the wiki", None),
])
def test_pr_number(subject: str, message: str, expected: int | None) -> None:
    assert pr_number(subject, message or subject) == expected


@pytest.mark.parametrize(("trailers", "expected"), [
    ([Trailer("Break-glass", "db outage")], "db outage"),
    ([Trailer("EMERGENCY", "yes")], ""),
    ([Trailer("Emergency", "no")], None),
    ([Trailer("Emergency", "false"), Trailer("break-glass", "sev1 INC-42")], "sev1 INC-42"),
    ([Trailer("Reviewed-by", "Bob")], None),
])
def test_emergency_reason(trailers: list[Trailer], expected: str | None) -> None:
    assert emergency_reason(trailers) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Bob Dev <bob@example.com>", Person("Bob Dev", "bob@example.com")),
    ('"Dev, Bob" <bob@example.com>', Person("Dev, Bob", "bob@example.com")),
    ("bob@example.com", Person("", "bob@example.com")),
    ("bob", Person("bob")),
    ("  Bob Dev  ", Person("Bob Dev")),
])
def test_parse_person(text: str, expected: Person) -> None:
    assert parse_person(text) == expected


@pytest.mark.parametrize(("a", "b", "same"), [
    (Person("Ann", "Ann@Example.com"), Person("A. Nother", "ann@example.com "), True),
    (Person("Ann  Ops", "ann@work.com"), Person("ann ops", "ann@home.net"), True),
    (Person("ann"), Person("Ann Ops", "ann@example.com"), True),
    (Person("", "1234+ann@users.noreply.github.com"),
     Person("Ann", "ann@users.noreply.github.com"), True),
    (Person("ann"), Person("Ann Ops", "bob@example.com"), False),
    (Person("Bob", "bob@example.com"), Person("Ann", "ann@example.com"), False),
    (Person("", ""), Person("", ""), False),
])
def test_same_person(a: Person, b: Person, same: bool) -> None:
    assert a.same_as(b) is same
    assert b.same_as(a) is same


def test_pr_merge_approvals_include_trailers_and_the_merger() -> None:
    merge = commit("Merge pull request #42 from acme/feature\n\nAdd VPC\n\n"
                   "Reviewed-by: Bob Dev <bob@example.com>\nApproved-by: Cem <cem@example.com>\n",
                   parents=("b" * 40, "c" * 40), author=Person("Dia", "dia@example.com"))
    found = approvals(merge)
    assert [(str(a.person), a.kind) for a in found] == [
        ("Bob Dev <bob@example.com>", "reviewed-by"), ("Cem <cem@example.com>", "approved-by"),
        ("Dia <dia@example.com>", "merged-pr")]
    assert found[2].evidence == f"merged pull request #42 in {SHA[:12]}"
    evidence = review_evidence(merge, [Person("Ann Ops", "ann@example.com")])
    assert evidence.reviewed and not evidence.self_approved and len(evidence.independent) == 3
    records = reviews(merge, "change-1")
    assert records[0].reviewer == "Bob Dev <bob@example.com>"
    assert records[0].evidence == f"git:Reviewed-by trailer in {SHA[:12]}"
    assert records[0].reviewed_at == merge.committer.time


def test_self_approval_and_no_review_are_different() -> None:
    own = commit("Open port\n\nApproved-by: ANN OPS <Ann@Example.com>\n")
    assert self_approved(own)
    assert not review_evidence(own).reviewed
    unreviewed = commit("Open port\n\nBreak-glass: db outage\n")
    evidence = review_evidence(unreviewed)
    assert not evidence.reviewed and not evidence.self_approved and evidence.approvals == ()
    assert evidence.emergency and evidence.emergency_reason == "db outage"


def test_co_author_approving_is_self_approval() -> None:
    info = commit("Open port\n\nCo-authored-by: Bob <bob@example.com>\nReviewed-by: bob\n")
    assert self_approved(info)


def test_squash_merge_has_a_pr_but_no_merger_approval() -> None:
    squash = commit("Add VPC (#43)\n\n* add vpc\n* add subnets\n")
    assert squash.pr_number == 43 and not squash.is_merge
    assert approvals(squash) == []


def test_subject_body_and_provenance() -> None:
    info = commit("Add VPC\nfor prod\n\nLonger text.\n\nReviewed-by: Bob\n")
    assert info.subject == "Add VPC for prod"
    assert info.body == "Longer text.\n\nReviewed-by: Bob"
    data = info.provenance()
    assert data["commit"] == SHA and data["trailers"] == [["Reviewed-by", "Bob"]]
    assert data["author"]["time"] == "2026-03-01T10:00:00+01:00"


@pytest.mark.parametrize(("code", "status"), [
    ("G", SignatureStatus.GOOD), ("U", SignatureStatus.UNTRUSTED), ("X", SignatureStatus.EXPIRED),
    ("Y", SignatureStatus.EXPIRED), ("R", SignatureStatus.REVOKED), ("B", SignatureStatus.BAD),
    ("E", SignatureStatus.UNVERIFIABLE), ("N", SignatureStatus.UNSIGNED),
    ("", SignatureStatus.UNKNOWN), ("?", SignatureStatus.UNKNOWN),
])
def test_signature_codes(code: str, status: SignatureStatus) -> None:
    assert SignatureStatus.from_git(code) is status


# -- git log output parsing ------------------------------------------------------------------------

def record(sha: str, parents: str, message: bytes, changes: bytes) -> bytes:
    fields = [b"\x01" + sha.encode(), parents.encode(), b"Ann \xe9", b"ann@example.com",
              b"2026-03-01T10:00:00+01:00", b"1772355600", b"Bob", b"bob@example.com",
              b"2026-03-01T10:05:00+01:00", b"1772355900", b"N", message]
    return b"\0".join(fields) + b"\0" + changes


def test_parse_log_reads_paths_with_any_bytes() -> None:
    odd = "dir/\x01odd\nname é.tf".encode()
    data = (record("c" * 40, "a" * 40 + " " + "b" * 40, b"Merge\n",
                   b"\nM\0" + odd + b"\0R087\0old name.tf\0new name.tf\0")
            + record("a" * 40, "", b"Root\n\nReviewed-by: X\n", b"\nA\0main.tf\0"))
    first, second = parse_log(data, grafted=frozenset({"a" * 40}))
    assert first.is_merge and first.parents == ("a" * 40, "b" * 40)
    assert first.author.name == "Ann \ufffd"  # latin-1 byte, no encoding header: replaced
    assert first.author.time == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert [(c.status, c.path, c.old_path, c.similarity) for c in first.changes] == [
        (ChangeStatus.MODIFIED, "dir/\x01odd\nname é.tf", "", None),
        (ChangeStatus.RENAMED, "new name.tf", "old name.tf", 87)]
    assert second.grafted and not first.grafted and second.parents == ()
    assert second.trailers == (Trailer("Reviewed-by", "X"),)
    assert second.signature is SignatureStatus.UNSIGNED


def test_parse_log_commit_without_changes_and_empty_output() -> None:
    data = record("c" * 40, "", b"empty\n", b"") + record("d" * 40, "", b"", b"")
    assert [c.sha[0] for c in parse_log(data)] == ["c", "d"]
    assert parse_log(b"") == []


@pytest.mark.parametrize("data", [
    b"garbage\0",
    record("c" * 40, "", b"x\n", b"\nQ\0path\0"),
    record("c" * 40, "", b"x\n", b"\nR100\0only-one-path"),
])
def test_parse_log_refuses_output_it_cannot_account_for(data: bytes) -> None:
    with pytest.raises(ValueError, match="git log output"):
        parse_log(data)


def test_log_format_without_signatures_runs_no_gpg() -> None:
    assert "%G?" in log_format(True)
    assert "%G?" not in log_format(False)


# -- raw objects and trees -------------------------------------------------------------------------

def test_parse_tree_object() -> None:
    raw = (b"100644 a b.tf\0" + bytes.fromhex("11" * 20) + b"40000 mod\0" + bytes.fromhex("22" * 20)
           + "160000 vendor/é\0".encode() + bytes.fromhex("33" * 20))
    assert parse_tree_object(raw, 20) == (("100644", "a b.tf", "11" * 20),
                                          ("40000", "mod", "22" * 20),
                                          ("160000", "vendor/é", "33" * 20))


def test_requests_are_chunked_to_fit_a_pipe_buffer() -> None:
    chunks = _chunks(["x" * 40] * 250)
    assert [len(c) for c in chunks] == [99, 99, 52]
    assert _chunks([]) == []


def fake_tree(entries: dict[str, tuple[str, bytes]], *, limit: int = 1000,
              ignore: tuple[str, ...] = ()) -> GitTree:
    """A GitTree over ``path -> (mode, content)``; blob ids are the paths themselves."""
    listing = {p: TreeEntry(mode, f"oid:{p}", len(data)) for p, (mode, data) in entries.items()}
    blobs = {f"oid:{p}": data for p, (_, data) in entries.items()}
    return GitTree("infra", "f" * 40, listing, lambda oid, _name: blobs[oid],
                   max_blob_bytes=limit, ignore=ignore)


def test_tree_follows_links_inside_and_skips_the_rest() -> None:
    tree = fake_tree({
        "main.tf": ("100644", b"a"),
        "shared/providers.tf": ("100644", b"p"),
        "env/prod/providers.tf": ("120000", b"../../shared/providers.tf"),
        "env/prod/common": ("120000", b"../../shared"),
        "env/prod/escape.tf": ("120000", b"../../../etc/passwd"),
        "env/prod/absolute.tf": ("120000", b"/etc/passwd"),
        "env/prod/dangling.tf": ("120000", b"nothing.tf"),
        "loop/a": ("120000", b"b"),
        "loop/b": ("120000", b"a"),
        "loop/up": ("120000", b".."),
        "vendor/mod": ("160000", b""),
        ".terraform/modules/x.tf": ("100644", b"cached"),
        "old/legacy.tf": ("100644", b"old"),
    }, ignore=("old",))
    files = {f.path: f.fingerprint for f in tree.files()}
    assert files == {"main.tf": "oid:main.tf", "shared/providers.tf": "oid:shared/providers.tf",
                     "env/prod/providers.tf": "oid:shared/providers.tf",
                     "env/prod/common/providers.tf": "oid:shared/providers.tf"}
    assert tree.read("env/prod/common/providers.tf") == b"p"
    skipped = {s.path: s.reason for s in tree.skipped}
    assert set(skipped) == {"env/prod/escape.tf", "env/prod/absolute.tf", "env/prod/dangling.tf",
                            "loop/a", "loop/b", "loop/up", "vendor/mod"}
    assert "outside the tree" in skipped["env/prod/escape.tf"]
    assert "outside the tree" in skipped["env/prod/absolute.tf"]
    assert "loop" in skipped["loop/a"] and "loop" in skipped["loop/up"]
    assert "submodule" in skipped["vendor/mod"]


def test_tree_read_errors_are_oserrors() -> None:
    tree = fake_tree({"big.tf": ("100644", b"x" * 2000), "small.tf": ("100644", b"x")}, limit=100)
    assert [f.size for f in tree.files()] == [2000, 1]
    with pytest.raises(BlobTooLarge) as too_big:
        tree.read("big.tf")
    assert too_big.value.errno == errno.EFBIG and too_big.value.filename == "big.tf"
    with pytest.raises(FileNotFoundError):
        tree.read("absent.tf")


# -- running git -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("stderr", "kind", "hint"), [
    (b"fatal: detected dubious ownership in repository at '/srv/infra'", GitError,
     "git config --global --add safe.directory /srv/infra"),
    (b"fatal: not a git repository (or any of the parent directories): .git", NotAGitRepository,
     "top folder of a clone"),
    (b"fatal: your current branch 'main' does not have any commits yet", EmptyRepository,
     "commit something first"),
    (b"fatal: bad revision 'nope'", UnknownRevision, "commit id, branch or tag"),
    (b"error: something else", GitError, "run the same git command by hand"),
])
def test_git_failures_say_what_to_do(stderr: bytes, kind: type[GitError], hint: str) -> None:
    error = GitRunner(Path("/srv/infra")).error(["log", "-z"], stderr)
    assert type(error) is kind and hint in error.hint and "/srv/infra" in str(error)


def test_environment_drops_inherited_git_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_DIR", "/elsewhere")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "1")
    env = git_environment(Path("/srv"))
    assert "GIT_DIR" not in env and env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["GIT_OPTIONAL_LOCKS"] == "0" and env["GIT_CEILING_DIRECTORIES"] == "/srv"
    assert env["GIT_ALLOW_PROTOCOL"] == "none"


def test_missing_git_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    git_program.cache_clear()
    monkeypatch.setattr("shutil.which", lambda _name: None)
    try:
        with pytest.raises(GitUnavailable, match="not installed") as missing:
            git_program()
        assert "2.31" in missing.value.hint
    finally:
        monkeypatch.undo()
        git_program.cache_clear()
