# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Auto-release times: parse release_at / release_in and enforce the ECS rules on both clouds.

ECS (reference 001): ISO 8601 UTC, seconds rounded down to the minute, at least 30 minutes and
at most 3 years ahead. EC2 has no such API; the same rules keep both clouds' tags comparable.
"""


import datetime
import re

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import format_time, parse_time

MIN_AHEAD = datetime.timedelta(minutes=30)
MAX_AHEAD_YEARS = 3
_DURATION_RE = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNITS = {"m": 60, "h": 3600, "d": 86400}


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def parse_duration(text):
    """'90m', '6h', '3d' -> timedelta."""
    match = _DURATION_RE.match(str(text))
    if not match:
        raise InputError("release_in %r is not a duration: use a whole number and m, h or d, e.g. 90m, 6h, 3d" % (text,))
    return datetime.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _add_years(value, years):
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February
        return value.replace(year=value.year + years, day=28)


def _floor_minute(value):
    return value.replace(second=0, microsecond=0)


def resolve_release_time(release_at=None, release_in=None, now=None):
    """The time to set, as YYYY-MM-DDTHH:MM:SSZ (seconds :00), or InputError saying why not.

    release_at is rounded down to the minute (as ECS does). release_in counts from now and is
    rounded up to the next minute, so that `30m` means at least 30 minutes ahead.
    """
    now = now or utcnow()
    if (release_at is None) == (release_in is None):
        raise InputError("give exactly one of release_at or release_in (or state: absent to cancel)")
    if release_at is not None:
        try:
            target = _floor_minute(parse_time(release_at))
        except ValueError as exc:
            raise InputError("release_at is not a time: %s" % (exc,))
        label = "release_at %s" % (release_at,)
    else:
        target = now + parse_duration(release_in)
        if target.second or target.microsecond:
            target = _floor_minute(target) + datetime.timedelta(minutes=1)
        label = "release_in %s" % (release_in,)
    if target <= now:
        raise InputError("%s is in the past (now is %s); give a time at least 30 minutes ahead" % (label, format_time(now)))
    if target < now + MIN_AHEAD:
        raise InputError("%s is too soon: %s is less than 30 minutes after now (%s)" % (label, format_time(target), format_time(now)))
    if target > _add_years(now, MAX_AHEAD_YEARS):
        raise InputError("%s is too far: %s is more than 3 years after now (%s)" % (label, format_time(target), format_time(now)))
    return format_time(target)
