"""The S3 log cursor: new files only, late files still read, nothing read twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auditd.collectors.aws.cloudtrail.s3_logs import (
    FolderCursor,
    LogFolder,
    key_time,
    new_keys,
    start_after,
)

FOLDER = LogFolder("AWSLogs/111122223333/CloudTrail/eu-west-1/", "111122223333", "eu-west-1")
START = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


def _key(stamp: str, unique: str = "a1") -> str:
    day = f"{stamp[:4]}/{stamp[4:6]}/{stamp[6:8]}"
    return f"{FOLDER.prefix}{day}/111122223333_CloudTrail_eu-west-1_{stamp}_{unique}.json.gz"


def test_a_key_carries_its_time() -> None:
    assert key_time(_key("20261126T1205Z")) == datetime(2026, 11, 26, 12, 5, tzinfo=UTC)
    assert key_time(f"{FOLDER.prefix}2026/11/26/notes.txt") is None


def test_files_are_read_once_oldest_first() -> None:
    listed = [_key("20261126T1210Z", "b"), _key("20261126T1205Z"), _key("20261126T1210Z", "a")]
    cursor = FolderCursor()
    first = new_keys(listed, cursor, START)
    assert first == sorted(listed, key=lambda k: (key_time(k), k))
    for key in first:
        cursor = cursor.advance(key)
    assert new_keys(listed, cursor, START) == []
    restored = FolderCursor.from_json(cursor.to_json())
    assert restored == cursor and new_keys(listed, restored, START) == []


def test_a_late_file_within_the_lookback_is_still_read() -> None:
    cursor = FolderCursor().advance(_key("20261126T1230Z"))
    late = _key("20261126T1225Z", "late")
    too_late = _key("20261126T1100Z", "old")
    assert new_keys([late, too_late, _key("20261126T1230Z")], cursor, START) == [late]


def test_the_cursor_forgets_keys_older_than_the_window() -> None:
    cursor = FolderCursor()
    for stamp in ("20261126T1000Z", "20261126T1200Z", "20261126T1230Z"):
        cursor = cursor.advance(_key(stamp), timedelta(hours=1))
    assert cursor.seen == {_key("20261126T1200Z"), _key("20261126T1230Z")}


def test_listing_starts_at_the_day_of_the_window() -> None:
    cursor = FolderCursor().advance(_key("20261126T0030Z"))
    assert start_after(FOLDER, cursor, START) == f"{FOLDER.prefix}2026/11/25/"
    assert start_after(FOLDER, FolderCursor(), START) == f"{FOLDER.prefix}2026/11/26/"
    assert start_after(FOLDER, FolderCursor(), START) < _key("20261126T0001Z")
