import datetime

import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.release_times import parse_duration, resolve_release_time

NOW = datetime.datetime(2026, 11, 22, 4, 0, 20, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("text, seconds", [("90m", 5400), ("6h", 21600), ("3d", 259200), (" 2 h ", 7200)])
def test_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["6", "6x", "1.5h", "-3d", "h", "", "6h30m"])
def test_bad_durations(text):
    with pytest.raises(InputError, match="not a duration"):
        parse_duration(text)


def test_release_at_rounds_seconds_down():
    assert resolve_release_time(release_at="2026-12-01T06:00:59Z", now=NOW) == "2026-12-01T06:00:00Z"


def test_release_at_with_offset_is_converted_to_utc():
    assert resolve_release_time(release_at="2026-12-01T14:00:00+08:00", now=NOW) == "2026-12-01T06:00:00Z"


def test_release_in_rounds_up_to_the_minute():
    assert resolve_release_time(release_in="90m", now=NOW) == "2026-11-22T05:31:00Z"
    assert resolve_release_time(release_in="30m", now=NOW) == "2026-11-22T04:31:00Z"


@pytest.mark.parametrize("at, reason", [
    ("2026-11-22T03:00:00Z", "in the past"),
    ("2026-11-22T04:29:00Z", "too soon"),
    ("2029-11-22T04:01:00Z", "too far"),
    ("tomorrow", "not a time"),
    ("2026-13-01T00:00:00Z", "not a time"),
    ("2026-12-01T06:00:00", "not a time"),
])
def test_release_at_refused(at, reason):
    with pytest.raises(InputError, match=reason):
        resolve_release_time(release_at=at, now=NOW)


def test_limits_are_inclusive():
    assert resolve_release_time(release_at="2026-11-22T04:31:00Z", now=NOW) == "2026-11-22T04:31:00Z"
    assert resolve_release_time(release_at="2029-11-22T04:00:00Z", now=NOW) == "2029-11-22T04:00:00Z"


def test_too_far_release_in():
    with pytest.raises(InputError, match="too far"):
        resolve_release_time(release_in="1200d", now=NOW)


def test_exactly_one_of_at_or_in():
    with pytest.raises(InputError, match="exactly one"):
        resolve_release_time(now=NOW)
    with pytest.raises(InputError, match="exactly one"):
        resolve_release_time(release_at="2026-12-01T06:00:00Z", release_in="6h", now=NOW)
