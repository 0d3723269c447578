"""Running the git CLI read-only, and the errors it raises.

Every command runs with an environment and options that make its output
independent of the user's configuration and that rule out writes, prompts and
network access:

- inherited ``GIT_*`` variables are dropped (a stray ``GIT_DIR`` or
  ``GIT_INDEX_FILE`` must not redirect us), ``LC_ALL=C`` keeps messages parseable;
- ``GIT_TERMINAL_PROMPT=0``, ``GIT_OPTIONAL_LOCKS=0``, ``GIT_ALLOW_PROTOCOL=none``
  and ``protocol.allow=never`` (no prompt, no lock, no lazy fetch in a partial clone);
- ``GIT_CEILING_DIRECTORIES`` stops discovery at the given folder, so a plain
  folder inside some other repository is reported as "not a git repository";
- output-shaping settings are pinned with ``-c`` (quoting, colours, signatures
  in log output, mailmap, encodings) and replace refs are ignored.

Callers pass revisions after ``--end-of-options``; nothing here may write to a
repository, change its configuration or reach the network.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from auditd.errors import InputError

__all__ = [
    "BlobTooLarge",
    "EmptyRepository",
    "GitError",
    "GitRunner",
    "GitUnavailable",
    "NotAGitRepository",
    "UnknownRevision",
]

MIN_GIT = (2, 31)  # --diff-merges=first-parent
DEFAULT_TIMEOUT = 300.0
PINNED_CONFIG = (
    "core.quotepath=off", "color.ui=never", "log.showSignature=false", "log.mailmap=false",
    "log.showRoot=true", "log.follow=false", "i18n.logOutputEncoding=UTF-8",
    "diff.renameLimit=1000", "diff.relative=false", "core.fsmonitor=false",
    "protocol.allow=never", "gc.auto=0", "maintenance.auto=false",
)
_HINT_SAFE_DIRECTORY = ("the repository belongs to another user; as the user running driftaudit, "
                        "run: git config --global --add safe.directory {path}")


class GitError(InputError):
    """A git command failed on a repository; ``message`` names the command and git's words."""


class NotAGitRepository(GitError):
    """The folder is not the top of a git working tree nor a git directory."""


class EmptyRepository(GitError):
    """The repository has no commits yet (``HEAD`` names an unborn branch)."""


class UnknownRevision(GitError):
    """A commit, branch or tag name that does not resolve to a commit."""


class GitUnavailable(GitError):
    """The ``git`` program is missing or older than :data:`MIN_GIT`."""


class BlobTooLarge(OSError):
    """A file in a commit is larger than the reader's size limit (``errno.EFBIG``)."""

    def __init__(self, path: str, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"{size} bytes is over the {limit}-byte limit; "
                                      "raise max_blob_bytes to read it", path)
        self.size = size
        self.limit = limit


@functools.cache
def git_program() -> str:
    """Absolute path of a git ≥ :data:`MIN_GIT`; raises :class:`GitUnavailable`."""
    found = shutil.which("git")
    if found is None:
        raise GitUnavailable("git is not installed (no `git` on PATH)",
                             hint="install git 2.31 or later, e.g. `apt-get install git`")
    out = subprocess.run([found, "version"], capture_output=True, check=False, timeout=30)
    match = re.search(rb"(\d+)\.(\d+)", out.stdout)
    version = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if version < MIN_GIT:
        raise GitUnavailable(f"{found} is version {out.stdout.decode(errors='replace').strip()}",
                             hint="driftaudit needs git 2.31 or later")
    return found


def git_environment(ceiling: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", GIT_ALLOW_PROTOCOL="none",
        GIT_PROTOCOL_FROM_USER="0", GIT_NO_REPLACE_OBJECTS="1", GIT_PAGER="cat",
        GIT_CEILING_DIRECTORIES=str(ceiling), LC_ALL="C",
    )
    return env


class GitRunner:
    """Runs read-only git commands in one folder and turns failures into :class:`GitError`."""

    def __init__(self, path: Path, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = path
        self.timeout = timeout
        self.env = git_environment(path.parent)

    def argv(self, args: Sequence[str]) -> list[str]:
        pinned = [item for setting in PINNED_CONFIG for item in ("-c", setting)]
        return [git_program(), "--no-pager", *pinned, "-C", str(self.path), *args]

    def run(self, args: Sequence[str], *, ok_codes: tuple[int, ...] = (0,),
            stdin: bytes = b"") -> bytes:
        """Stdout of ``git ARGS``; raises a :class:`GitError` subclass on failure or timeout."""
        try:
            done = subprocess.run(self.argv(args), capture_output=True, env=self.env,
                                  input=stdin, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} in {self.path} took over {self.timeout:.0f} s",
                           hint="raise the timeout or limit the history (max_count, since)"
                           ) from None
        if done.returncode not in ok_codes:
            raise self.error(args, done.stderr)
        return done.stdout

    def error(self, args: Sequence[str], stderr: bytes) -> GitError:
        text = stderr.decode("utf-8", "replace").strip() or "(no message)"
        what = f"git {' '.join(args[:3])} in {self.path} failed: {text}"
        if "dubious ownership" in text:
            return GitError(what, hint=_HINT_SAFE_DIRECTORY.format(path=self.path))
        if "not a git repository" in text:
            return NotAGitRepository(
                f"{self.path} is not a git repository",
                hint="point driftaudit at the top folder of a clone (the one holding .git)")
        if "does not have any commits yet" in text:
            return EmptyRepository(f"{self.path} has no commits yet",
                                   hint="commit something first, or collect the working tree")
        if re.search(r"unknown revision|bad revision|Needed a single revision|bad object", text):
            return UnknownRevision(what, hint="give a commit id, branch or tag of this repository")
        return GitError(what, hint="run the same git command by hand in that folder to see why")
