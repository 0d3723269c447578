"""How fast can driftaudit read git history and past trees: git CLI vs pygit2 vs dulwich.

Builds a synthetic Terraform repository in a temp folder (``--commits`` commits
over ``--files`` ``.tf`` files of ~1.5 KB: direct commits plus pull requests
merged with ``--no-ff``; adds, deletes and renames; several authors and time
zones; repacked like a clone), then times for each available method:

- ``walk N``: the newest N commits with metadata, message and changed paths
  (first-parent diff with rename detection), i.e. what ``GitRepository.log`` returns;
- ``walk all``: the whole history;
- ``read tree``: list the tree at HEAD and read every blob;
- ``list 50 trees``: list (path, blob id) of the 50 newest commits (what a
  ``--backfill 50`` needs before reading only the blobs it has not parsed yet).

The CLI method is driftaudit's own :class:`~auditd.collectors.terraform.git.GitRepository`.
pygit2 and dulwich are measured when importable (``pip install pygit2 dulwich``).
Each figure is the median of ``--repeat`` runs, with the ratio to the CLI.
The methods must agree on the commits and paths they return; the script checks.

    python bench/git_provenance.py [--commits 2000] [--files 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from auditd.collectors.terraform.git import GitRepository

Walked = list[tuple[str, frozenset[str]]]  # (sha, every path on either side of a change)
AUTHORS = [("Ann Ops", "ann@example.com", "+0100"), ("Bob Dev", "bob@example.com", "-0500"),
           ("Cem Sec", "cem@example.com", "+0300"), ("Dia Net", "dia@example.com", "+0000"),
           ("Eve Dba", "eve@example.com", "+0530"), ("Fox Sre", "fox@example.com", "-0800")]


class Method(Protocol):
    name: str

    def walk(self, n: int | None) -> Walked: ...
    def read_tree(self) -> dict[str, bytes]: ...
    def list_trees(self, shas: list[str]) -> int: ...
    def close(self) -> None: ...


# -- repository generator (git fast-import) ----------------------------------------------------

def tf_file(rng: random.Random, index: int, revision: int) -> bytes:
    lines = [f'# module file {index}, revision {revision}\n']
    for r in range(6):
        lines.append(
            f'resource "aws_security_group" "sg_{index}_{r}" {{\n'
            f'  name        = "sg-{index}-{r}-{rng.randrange(10_000)}"\n'
            f'  description = "managed by terraform, team {rng.choice("abcdefgh")}"\n'
            f'  vpc_id      = var.vpc_id\n'
            f'  ingress {{\n    from_port   = {rng.choice([22, 80, 443, 5432])}\n'
            f'    to_port     = {rng.choice([22, 80, 443, 5432])}\n    protocol    = "tcp"\n'
            f'    cidr_blocks = ["10.{rng.randrange(256)}.0.0/16"]\n  }}\n}}\n\n')
    return "".join(lines).encode()


class FastImport:
    """Writes a fast-import stream: commits on ``main`` and short-lived PR branches."""

    def __init__(self, files: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.paths = [f"modules/m{i % 25:02d}/file_{i:04d}.tf" for i in range(files)]
        self.revision = dict.fromkeys(range(files), 0)
        self.out: list[bytes] = []
        self.mark = 0
        self.when = 1_700_000_000
        self.count = 0

    def commit(self, ref: str, message: str, parent: int | None, merge: int | None,
               ops: list[bytes]) -> int:
        self.mark += 1
        self.when += 3600
        self.count += 1
        name, email, tz = AUTHORS[self.count % len(AUTHORS)]
        msg = message.encode()
        head = [f"commit {ref}\nmark :{self.mark}\n".encode(),
                f"author {name} <{email}> {self.when} {tz}\n".encode(),
                f"committer {name} <{email}> {self.when} {tz}\n".encode(),
                b"data %d\n%s\n" % (len(msg), msg)]
        if parent is not None:
            head.append(f"from :{parent}\n".encode())
        if merge is not None:
            head.append(f"merge :{merge}\n".encode())
        self.out.extend([*head, *ops, b"\n"])
        return self.mark

    def modify(self, index: int) -> bytes:
        self.revision[index] += 1
        data = tf_file(self.rng, index, self.revision[index])
        return b"M 100644 inline %s\ndata %d\n%s\n" % (self.paths[index].encode(), len(data), data)

    def random_ops(self) -> list[bytes]:
        roll = self.rng.random()
        if roll < 0.03:  # rename
            i = self.rng.randrange(len(self.paths))
            old, self.paths[i] = self.paths[i], self.paths[i].replace(".tf", f"_r{self.count}.tf")
            return [f"R {old} {self.paths[i]}\n".encode()]
        if roll < 0.05:  # add a file
            self.paths.append(f"modules/new/file_{len(self.paths):04d}.tf")
            self.revision[len(self.paths) - 1] = 0
            return [self.modify(len(self.paths) - 1)]
        return [self.modify(self.rng.randrange(len(self.paths)))
                for _ in range(self.rng.randint(1, 3))]

    def build(self, commits: int) -> bytes:
        main = self.commit("refs/heads/main", "Initial import", None, None,
                           [self.modify(i) for i in range(len(self.paths))])
        pr = 0
        while self.count < commits:
            if self.rng.random() < 0.6 or commits - self.count < 3:
                main = self.commit("refs/heads/main", f"Change {self.count}", main, None,
                                   self.random_ops())
                continue
            pr += 1
            ops = self.random_ops() + self.random_ops()
            side = self.commit("refs/heads/pr", f"Work for PR {pr}", main, None, ops)
            main = self.commit("refs/heads/main", f"Merge pull request #{pr} from acme/pr-{pr}"
                               f"\n\nReviewed-by: Dia Net <dia@example.com>", main, side, ops)
        return b"".join(self.out)


def build_repository(path: Path, commits: int, files: int, seed: int = 7) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    stream = FastImport(files, seed).build(commits)
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=stream, check=True,
                   env=env)
    for args in (["repack", "-adq"], ["commit-graph", "write", "--reachable"],
                 ["checkout", "-q", "main"]):
        subprocess.run(["git", "-C", str(path), *args], check=True, env=env)


# -- the methods ---------------------------------------------------------------------------------

class CliMethod:
    name = "git CLI (driftaudit)"

    def __init__(self, path: Path) -> None:
        self.repo = GitRepository(path, verify_signatures=False)

    def walk(self, n: int | None) -> Walked:
        return [(c.sha, frozenset(p for ch in c.changes for p in (ch.path, ch.old_path) if p))
                for c in self.repo.log(max_count=n)]

    def read_tree(self) -> dict[str, bytes]:
        tree = self.repo.tree()
        return {f.path: tree.read(f.path) for f in tree.files()}

    def list_trees(self, shas: list[str]) -> int:
        return sum(sum(1 for _ in self.repo.tree(sha).files()) for sha in shas)

    def close(self) -> None:
        self.repo.close()


class Pygit2Method:
    name = "pygit2"

    def __init__(self, path: Path) -> None:
        import pygit2

        self.git: Any = pygit2
        self.repo: Any = pygit2.Repository(str(path))

    def walk(self, n: int | None) -> Walked:
        out: Walked = []
        for commit in self.repo.walk(self.repo.head.target, self.git.enums.SortMode.TIME):
            if n is not None and len(out) >= n:
                break
            _ = (commit.author.name, commit.author.email, commit.author.time,
                 commit.author.offset, commit.committer.name, commit.message, commit.parent_ids)
            if commit.parents:
                diff = self.repo.diff(commit.parents[0], commit)
            else:
                diff = commit.tree.diff_to_tree(swap=True)
            diff.find_similar()
            paths = {p for d in diff.deltas for p in (d.old_file.path, d.new_file.path)}
            out.append((str(commit.id), frozenset(paths)))
        return out

    def _blobs(self, tree: Any, prefix: str = "") -> dict[str, Any]:
        found: dict[str, Any] = {}
        for entry in tree:
            if entry.type_str == "tree":
                found.update(self._blobs(self.repo[entry.id], f"{prefix}{entry.name}/"))
            elif entry.type_str == "blob":
                found[prefix + entry.name] = entry
        return found

    def read_tree(self) -> dict[str, bytes]:
        tree = self.repo.head.peel().tree
        return {path: self.repo[entry.id].data for path, entry in self._blobs(tree).items()}

    def list_trees(self, shas: list[str]) -> int:
        return sum(len(self._blobs(self.repo[sha].tree)) for sha in shas)

    def close(self) -> None:
        self.repo.free()


class DulwichMethod:
    name = "dulwich"

    def __init__(self, path: Path) -> None:
        from dulwich.diff_tree import RenameDetector, tree_changes
        from dulwich.object_store import iter_tree_contents
        from dulwich.repo import Repo

        self.repo: Any = Repo(str(path))
        self.store: Any = self.repo.object_store
        self.tree_changes, self.detector = tree_changes, RenameDetector
        self.iter_tree = iter_tree_contents

    def walk(self, n: int | None) -> Walked:
        out: Walked = []
        for entry in self.repo.get_walker(include=[self.repo.head()], max_entries=n):
            commit = entry.commit
            _ = (commit.author, commit.author_time, commit.author_timezone, commit.message,
                 commit.committer, commit.parents)
            parent_tree = self.store[commit.parents[0]].tree if commit.parents else None
            changes = self.tree_changes(self.store, parent_tree, commit.tree,
                                        rename_detector=self.detector(self.store))
            paths = {side.path.decode() for ch in changes for side in (ch.old, ch.new)
                     if side is not None and side.path}
            out.append((commit.id.decode(), frozenset(paths)))
        return out

    def read_tree(self) -> dict[str, bytes]:
        tree = self.store[self.repo.head()].tree
        return {e.path.decode(): self.store[e.sha].data
                for e in self.iter_tree(self.store, tree) if e.mode != 0o160000}

    def list_trees(self, shas: list[str]) -> int:
        return sum(sum(1 for _ in self.iter_tree(self.store, self.store[sha.encode()].tree))
                   for sha in shas)

    def close(self) -> None:
        self.repo.close()


# -- measurement ---------------------------------------------------------------------------------

def median_ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def methods(path: Path) -> list[Method]:
    found: list[Method] = [CliMethod(path)]
    for cls in (Pygit2Method, DulwichMethod):
        try:
            found.append(cls(path))
        except ImportError:
            print(f"({cls.name} not installed: pip install {cls.name})")
    return found


def check_agreement(found: list[Method], walk_n: int) -> None:
    reference = found[0].walk(walk_n)
    tree = found[0].read_tree()
    for method in found[1:]:
        walked = method.walk(walk_n)
        same = [a == b for a, b in zip(reference, walked, strict=False)]
        if len(walked) != len(reference) or not all(same):
            print(f"WARNING: {method.name} walk differs from the CLI at "
                  f"{same.index(False) if False in same else len(same)}")
        if method.read_tree() != tree:
            print(f"WARNING: {method.name} read a different tree")


def measure(path: Path, walk_n: int, repeat: int) -> list[tuple[str, dict[str, float]]]:
    found = methods(path)
    check_agreement(found, walk_n)
    cli = CliMethod(path)
    shas = [c.sha for c in cli.repo.log(max_count=50, first_parent=True)]
    cli.close()
    rows: list[tuple[str, dict[str, float]]] = []
    for method in found:
        figures = {
            "open+walk 1": median_ms(partial(_open_and_walk, type(method), path), repeat),
            f"walk {walk_n}": median_ms(partial(method.walk, walk_n), repeat),
            "walk all": median_ms(partial(method.walk, None), max(1, repeat // 2)),
            "read tree": median_ms(method.read_tree, repeat),
            "list 50 trees": median_ms(partial(method.list_trees, shas), repeat),
        }
        rows.append((method.name, figures))
        method.close()
    with GitRepository(path, verify_signatures=True) as repo:
        signed = median_ms(repo.log, max(1, repeat // 2))
    print(f"git CLI walk all with signature status (%G?): {signed:.1f} ms")
    return rows


def _open_and_walk(cls: Callable[[Path], Method], path: Path) -> None:
    method = cls(path)
    method.walk(1)
    method.close()


def report(rows: list[tuple[str, dict[str, float]]], files: int) -> None:
    columns = list(rows[0][1])
    print(f"\n{'method':<22}" + "".join(f"{c:>16}" for c in columns))
    base = rows[0][1]
    for name, figures in rows:
        print(f"{name:<22}" + "".join(f"{figures[c]:>11.1f} ms  " for c in columns))
        if figures is not base:
            print(f"{'  x CLI time':<22}" + "".join(f"{figures[c] / base[c]:>13.2f}x  "
                                                    for c in columns))
    print(f"\n(read tree = {files}+ blobs at HEAD; ratios > 1 mean slower than the git CLI)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--walk", type=int, default=200, help="N for 'walk N'")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if shutil.which("git") is None:
        print("git is not installed", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="driftaudit-git-bench-") as tmp:
        path = Path(tmp) / "infra"
        start = time.perf_counter()
        build_repository(path, args.commits, args.files)
        print(f"built {args.commits} commits over {args.files} files in "
              f"{time.perf_counter() - start:.1f} s ({subprocess.run(['git', '--version'], capture_output=True, text=True, check=True).stdout.strip()})")  # noqa: E501
        report(measure(path, args.walk, args.repeat), args.files)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
