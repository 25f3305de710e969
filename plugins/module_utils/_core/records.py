# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The normalized instance record every module returns, and the state vocabulary behind it.

Both clouds are mapped onto one set of states so that playbooks never branch on the cloud:
pending, running, stopping, stopped, shutting-down, terminated. Each provider owns the map from its
cloud's state words (EC2 state codes, ECS Status) onto these; the record builder here is neutral.
"""


import datetime
import re

STATES = ("pending", "running", "stopping", "stopped", "shutting-down", "terminated")

# Not a state the instance was ever in: the cloud does not know this id in this region and account
# (released long ago, a typo, another region or account). Never reported as terminated.
NOT_FOUND = "not-found"
RECORD_STATES = STATES + (NOT_FOUND,)

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def format_time(value):
    """A datetime as ISO 8601 UTC with a Z, the one time format the collection speaks."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.strftime(TIME_FORMAT)


_TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_time(text):
    """Parse ISO 8601 (with or without seconds). Returns an aware UTC datetime.

    Raises ValueError for anything else, including a time with no zone: a release time
    must never depend on the controller's local time zone.
    """
    match = _TIME_RE.match(str(text).strip())
    if not match:
        raise ValueError("not an ISO 8601 time: %r" % (text,))
    year, month, day, hour, minute, second, zone = match.groups()
    if zone is None:
        raise ValueError("time %r has no time zone; give it in UTC with a trailing Z, e.g. 2026-12-01T06:00:00Z" % (text,))
    value = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        value = value - sign * offset
    return value.replace(tzinfo=datetime.timezone.utc)


def normalize_time(text):
    """A cloud's time string (e.g. ECS '2026-12-01T06:00Z') as YYYY-MM-DDTHH:MM:SSZ, or None."""
    if text is None or text == "":
        return None
    try:
        return format_time(parse_time(text))
    except ValueError:
        return None


OS_TYPES = ("linux", "windows")


def normalize_os_type(value):
    """'linux' / 'windows' from EC2 Platform ('windows' or absent) or ECS OSType; None when unknown."""
    if value is None:
        return None
    value = str(value).strip().lower()
    if value == "windows":
        return "windows"
    return "linux" if value in ("linux", "", "linux/unix") else None


def make_record(instance_id, cloud, region, state, raw_state=None, state_code=None, auto_release_time=None,
                deletion_protection=None, instance_type=None, tags=None, os_type=None, start_time=None):
    """One instance as every module reports it. The keys are a contract, documented once in
    docs/shared_return.yml and copied into each module's RETURN: a key added here fails
    tests/unit/plugins/modules/test_return_docs.py until it is documented there."""
    return {
        "id": instance_id,
        "cloud": cloud,
        "region": region,
        "state": state,
        "raw_state": raw_state,
        "state_code": state_code,
        "auto_release_time": auto_release_time,
        "deletion_protection": deletion_protection,
        "instance_type": instance_type,
        "tags": dict(tags or {}),
        "os_type": os_type,
        "start_time": start_time,
    }


def absent_record(instance_id, cloud, region):
    """An instance this run saw, that the cloud no longer knows: released and gone (ECS forgets at once)."""
    return make_record(instance_id, cloud, region, "terminated")


def not_found_record(instance_id, cloud, region):
    """An id the cloud did not know when the module started: not found, never terminated."""
    return make_record(instance_id, cloud, region, NOT_FOUND)
