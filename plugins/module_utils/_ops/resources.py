# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What instance_snapshot, instance_image and instance_clone share: the tags that make them
idempotent, the checks on names and tags, and waiting for resources that are not instances
(snapshots, images, volumes) with the one batch wait loop of waiting.py.
"""


import re

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import CloudError, InputError, is_fatal
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.waiting import wait_outcome

# Tags the collection writes (and finds its own work again by).
SNAPSHOT_TAG = "cloudfleet:snapshot-tag"
INSTANCE_TAG = "cloudfleet:instance-id"
DEVICE_TAG = "cloudfleet:device"
IMAGE_TAG = "cloudfleet:image-name"
CLONE_TAG = "cloudfleet:clone-of"
RESTORED_TAG = "cloudfleet:restored-for"
# Tags never copied from a source instance to its clone.
NOT_COPIED = ("aws:", "acs:", "aliyun", "cloudfleet:auto-release-time", CLONE_TAG)

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{1,99}$")
_RESERVED_PREFIXES = ("aws:", "acs:", "aliyun", "cloudfleet:")


def check_name(option, value):
    """A name/tag the collection puts into image names and tag values: safe on both clouds."""
    if not value or not _NAME.match(str(value)):
        raise InputError("%s must start with a letter and have 2 to 100 letters, digits, '.', '_' or '-', got %r"
                         % (option, value))
    return str(value)


def check_tags(tags, option="tags"):
    """The caller's extra tags: a dict of strings, none in a namespace the clouds or this collection reserve."""
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise InputError("%s must be a dict of tag keys to values" % option)
    bad = [k for k in tags if not k or str(k).lower().startswith(_RESERVED_PREFIXES)]
    if bad:
        raise InputError("%s may not use the reserved prefixes %s: %s" % (option, ", ".join(_RESERVED_PREFIXES), ", ".join(map(str, bad))))
    if len(tags) > 10:
        raise InputError("%s: at most 10 extra tags (the clouds allow 50 / 20 in all, and this collection adds its own)" % option)
    return dict((str(k), "" if v is None else str(v)) for k, v in tags.items())


def copied_tags(source_tags):
    """The source's tags a clone carries."""
    return dict((k, v) for k, v in (source_tags or {}).items() if not str(k).lower().startswith(NOT_COPIED))


def state_reader(read_states, absent="absent"):
    """describe(ids) for wait_for over non-instance resources: read_states(ids) -> {id: {state}}, absent ones marked."""
    def describe(ids):
        found = read_states(ids)
        return dict((i, found.get(i) or {"state": absent}) for i in ids)
    return describe


def wait_resources(rt, read_states, ids, spec, timeout):
    """Wait for resources (at most 100 ids per read); returns the WaitResult."""
    return rt.waiter()(state_reader(read_states), list(ids), spec, timeout)


def resource_outcome(result, kind, spec, timeout, failures, notes, owner):
    """wait_outcome for snapshots and images: each failure is the instance's it is of (`owner`), coded <Kind>Failed."""
    wait_outcome(result, spec, timeout, failures, notes, became=kind + " {id} became {state}",
                 still=kind + " {id} still {state} after {timeout}s", failed_code="%sFailed" % kind.capitalize(),
                 kind=kind, owner=owner, who=owner.get)


def per_instance(failures, instance_id, call, *args, **kwargs):
    """Run one per-instance API call: (True, its answer), or (False, the CloudError) when it failed for this
    instance, which is then a failure entry too; a fatal one is raised."""
    try:
        return True, call(*args, **kwargs)
    except CloudError as exc:
        if is_fatal(exc):
            raise
        error = exc.for_instance(instance_id)
        failures.append(error.failure())
        return False, error
