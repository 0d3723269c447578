"""New CloudTrail log files in S3, after a cursor: listing, reading, and the cursor's rules.

CloudTrail writes ``<prefix>/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz`` (an organization
trail: ``AWSLogs/<org-id>/<account>/CloudTrail/...``).  Each (account, region) folder
has a :class:`FolderCursor`: the newest file time read (the *watermark*) and the keys
read within ``lookback`` of it.  A pass lists each folder from the day of
``watermark - lookback`` (S3 ``StartAfter``), reads the keys it has not read, oldest
first, and moves the cursor.  Files that arrive late (up to ``lookback``) are still
read; nothing is read twice; a folder whose download fails stops there for this pass,
so nothing after it is skipped either.

Read-only: ``s3:ListBucket`` and ``s3:GetObject``.  The cursor's value is plain JSON;
the service stores it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from auditd.collectors.aws.s3 import (
    S3AccessDenied,
    S3Error,
    S3NotFound,
    S3Reader,
    translate_error,
)

__all__ = ["DEFAULT_LOOKBACK", "MAX_LOG_BYTES", "FolderCursor", "LogFolder", "LogLister",
           "S3Error", "key_time", "new_keys", "start_after"]

DEFAULT_LOOKBACK = timedelta(hours=1)
_STAMP = re.compile(r"_(\d{8}T\d{4}Z)_[^/]*\.json(\.gz)?$")
_ACCOUNT = re.compile(r"^\d{12}$")
MAX_LOG_BYTES = 256 << 20


@dataclass(frozen=True, slots=True)
class LogFolder:
    """One (account, region) folder of a trail: ``.../AWSLogs/[org/]acct/CloudTrail/region/``."""

    prefix: str
    account: str
    region: str


@dataclass(frozen=True, slots=True)
class FolderCursor:
    watermark: datetime | None = None
    seen: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {"watermark": None if self.watermark is None
                else self.watermark.strftime("%Y%m%dT%H%MZ"), "seen": sorted(self.seen)}

    @classmethod
    def from_json(cls, value: Any) -> FolderCursor:
        if not isinstance(value, Mapping):
            return cls()
        stamp = value.get("watermark")
        moment = _stamp_time(stamp) if isinstance(stamp, str) else None
        return cls(moment, frozenset(str(k) for k in value.get("seen") or ()))

    def advance(self, key: str, lookback: timedelta = DEFAULT_LOOKBACK) -> FolderCursor:
        """The cursor once ``key`` has been read: keys older than the window are forgotten."""
        moment = key_time(key)
        if moment is None:
            return self
        mark = moment if self.watermark is None else max(self.watermark, moment)
        horizon = mark - lookback
        keep = {k for k in (*self.seen, key) if (key_time(k) or mark) >= horizon}
        return FolderCursor(mark, frozenset(keep))


def key_time(key: str) -> datetime | None:
    """The time CloudTrail put in a log file's name, or None for other objects."""
    found = _STAMP.search(key)
    return _stamp_time(found.group(1)) if found else None


def _stamp_time(stamp: str) -> datetime | None:
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def start_after(folder: LogFolder, cursor: FolderCursor, first_from: datetime,
                lookback: timedelta = DEFAULT_LOOKBACK) -> str:
    """Where a folder's listing starts: the day folder of ``watermark - lookback``
    (``first_from`` for a folder never read)."""
    since = first_from if cursor.watermark is None else cursor.watermark - lookback
    return f"{folder.prefix}{since:%Y/%m/%d}/"


def new_keys(listed: Sequence[str], cursor: FolderCursor, first_from: datetime,
             lookback: timedelta = DEFAULT_LOOKBACK) -> list[str]:
    """The log files of ``listed`` not read yet, oldest first."""
    horizon = first_from if cursor.watermark is None else cursor.watermark - lookback
    fresh = []
    for key in listed:
        moment = key_time(key)
        if moment is not None and moment >= horizon and key not in cursor.seen:
            fresh.append((moment, key))
    return [key for _, key in sorted(fresh)]


class LogLister:
    """Folders and new log files of one trail's bucket and prefix."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self._client = client
        self._reader = S3Reader(client)
        self.bucket = bucket
        self.root = f"{prefix.strip('/')}/AWSLogs/" if prefix.strip("/") else "AWSLogs/"

    def folders(self) -> list[LogFolder]:
        """Every (account, region) folder, through organization folders too."""
        out = []
        for name in self._children(self.root):
            if name.startswith("o-"):
                accounts = [(f"{self.root}{name}/{a}/", a) for a in
                            self._children(f"{self.root}{name}/") if _ACCOUNT.match(a)]
            else:
                accounts = [(f"{self.root}{name}/", name)] if _ACCOUNT.match(name) else []
            for base, account in accounts:
                out += [LogFolder(f"{base}CloudTrail/{region}/", account, region)
                        for region in self._children(f"{base}CloudTrail/")]
        return out

    def listed(self, folder: LogFolder, after: str) -> list[str]:
        return list(self._keys(folder.prefix, after))

    def read(self, key: str) -> bytes:
        """A log file's bytes; :class:`~auditd.collectors.aws.s3.S3Error` on failure."""
        try:
            return self._reader.get(self.bucket, key, MAX_LOG_BYTES)
        except S3Error as exc:
            raise _for_trail(exc) from None

    def _children(self, prefix: str) -> Iterator[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, Delimiter="/")
        try:
            for page in pages:
                for common in page.get("CommonPrefixes", ()):
                    yield str(common["Prefix"])[len(prefix):].rstrip("/")
        except (ClientError, BotoCoreError) as exc:
            raise _for_trail(translate_error(exc, self.bucket, prefix, listing=True)) from None

    def _keys(self, prefix: str, after: str) -> Iterator[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, StartAfter=after)
        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    yield str(item["Key"])
        except (ClientError, BotoCoreError) as exc:
            raise _for_trail(translate_error(exc, self.bucket, prefix, listing=True)) from None


def _for_trail(error: S3Error) -> S3Error:
    """The S3 reader's error with a hint about CloudTrail log files (not Terraform states)."""
    if isinstance(error, S3AccessDenied):
        error.hint = ("grant s3:ListBucket on the trail's bucket and s3:GetObject under its "
                      "AWSLogs/ prefix (kms:Decrypt too for SSE-KMS log files); "
                      "see docs/cloudtrail.md")
    elif isinstance(error, S3NotFound) and error.key:
        error.hint = "the log file went away after it was listed; it is tried again next pass"
    return error
