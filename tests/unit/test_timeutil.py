"""Time parsing: what people type at the CLI/API, and the store's integer microseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditd.timeutil import from_micros, parse_duration, parse_time, to_micros

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_iso_with_z_is_utc() -> None:
    got = parse_time("2026-11-26T10:00:00Z", NOW)
    assert got == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert got.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26T10:00:00+02:00", datetime(2026, 11, 26, 8, 0, tzinfo=UTC)),
        ("2026-11-26T10:00:00-05:30", datetime(2026, 11, 26, 15, 30, tzinfo=UTC)),
        ("2026-11-26T00:30:00+01:00", datetime(2026, 11, 25, 23, 30, tzinfo=UTC)),
        ("2026-11-26T10:00:00.123456z", datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_offsets_are_converted_to_utc(text: str, expected: datetime) -> None:
    got = parse_time(text, NOW)
    assert got == expected
    assert got.utcoffset() == timedelta(0)
    assert (got.hour, got.minute) == (expected.hour, expected.minute)


def test_naive_time_means_utc() -> None:
    got = parse_time("2026-11-26T10:00:00", NOW)
    assert got == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert got.tzinfo is UTC


def test_date_only_is_midnight_utc() -> None:
    assert parse_time("2026-11-26", NOW) == datetime(2026, 11, 26, tzinfo=UTC)


@pytest.mark.parametrize("text", ["now", "NOW", "  now  "])
def test_now(text: str) -> None:
    assert parse_time(text, NOW) == NOW


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1.5h", timedelta(minutes=90)),
        ("2H", timedelta(hours=2)),
        (" 3d ", timedelta(days=3)),
        ("0s", timedelta(0)),
    ],
)
def test_duration_means_that_long_before_now(text: str, delta: timedelta) -> None:
    assert parse_duration(text) == delta
    assert parse_time(text, NOW) == NOW - delta


@pytest.mark.parametrize(
    "text",
    ["", "   ", "yesterday", "2h ago", "-2h", "12x", "h", "2026-13-01", "2026-11-26T25:00:00Z",
     "26/11/2026", "1e5d", "nan", "2026-11-26T10:00:00+25:00"],
)
def test_garbage_is_a_value_error_with_examples(text: str) -> None:
    with pytest.raises(ValueError, match="not a time") as info:
        parse_time(text, NOW)
    assert "2h" in str(info.value)  # tells the user what would work


@pytest.mark.parametrize("text", ["100000000d", "99999999999999999999d", "5000000w"])
def test_absurd_durations_are_value_errors_not_crashes(text: str) -> None:
    with pytest.raises(ValueError, match=text):
        parse_time(text, NOW)


def test_time_that_leaves_the_calendar_in_utc_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a time"):
        parse_time("0001-01-01T00:00:00+01:00", NOW)


@pytest.mark.parametrize("text", ["", "2", "2y", "two hours", "2h30m"])
def test_bad_duration(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_to_micros_known_values() -> None:
    assert to_micros(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert to_micros(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC)) == 1_000_005
    assert to_micros(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)) == -1_000_000
    plus_two = timezone(timedelta(hours=2))
    assert to_micros(datetime(2026, 11, 26, 12, tzinfo=plus_two)) == to_micros(
        datetime(2026, 11, 26, 10, tzinfo=UTC))


def test_to_micros_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        to_micros(datetime(2026, 11, 26, 12, 0))


def test_from_micros_is_aware_utc() -> None:
    moment = from_micros(1_700_000_000_123_456)
    assert moment.tzinfo is UTC
    assert moment == datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)),
                                               timezone(timedelta(hours=-8))])))
def test_property_datetime_micros_round_trip(moment: datetime) -> None:
    back = from_micros(to_micros(moment))
    assert back == moment
    assert back.tzinfo is UTC


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(2**55), max_value=2**55))
def test_property_micros_round_trip(micros: int) -> None:
    assert to_micros(from_micros(micros)) == micros
