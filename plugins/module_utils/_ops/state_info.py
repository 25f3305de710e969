# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance_state_info: the normalized records, by ids or filters, optionally with health. Never changes anything."""


from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import merged
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.core import (
    Runtime, first_read, not_found_failures, not_found_message, read_protection,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError, TaskFailure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import validate_ids
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import NOT_FOUND, STATES

FILTER_KEYS = ("state", "tags")
NO_HEALTH = {"instance_status": None, "system_status": None, "events": []}


def parse_filters(filters):
    """(states or None, tags dict) from the filters option; InputError for anything unknown."""
    filters = filters or {}
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise InputError("unknown filter(s) %s: filters takes state and tags" % ", ".join(unknown))
    states = filters.get("state")
    if isinstance(states, str):
        states = [states]
    if states is not None:
        if not isinstance(states, list):
            raise InputError("filters.state must be a state or a list of states")
        bad = [s for s in states if s not in STATES]
        if bad:
            raise InputError("filters.state: unknown state(s) %s; states are %s" % (", ".join(map(str, bad)), ", ".join(STATES)))
    tags = filters.get("tags") or {}
    if not isinstance(tags, dict):
        raise InputError("filters.tags must be a dict of tag name to value")
    return states, dict((str(k), str(v)) for k, v in tags.items())


def matches(record, states, tags):
    if states and record["state"] not in states:
        return False
    return all(record["tags"].get(k) == v for k, v in tags.items())


def validate(params):
    ids = params.get("instance_ids")
    if ids is not None:
        ids = validate_ids(params["cloud"], ids)
    elif params.get("fail_on_not_found"):
        raise InputError("fail_on_not_found goes with instance_ids: a listing by filters has no ids to miss")
    states, tags = parse_filters(params.get("filters"))
    return ids, states, tags


def run(params, check_mode=False, rt=None):
    rt = rt or Runtime()
    ids, states, tags = validate(params)
    provider = rt.connect(params)
    not_found = []
    if ids is not None:
        records = first_read(provider, ids)
        not_found = [i for i in ids if records[i]["state"] == NOT_FOUND]
        instances = [records[i] for i in ids if matches(records[i], states, tags)]
    else:
        instances = [r for r in provider.list_instances(states, tags) if matches(r, states, tags)]
    if params.get("include_protection"):
        # EC2 reads termination protection per instance (no batch read): only for instances that still exist.
        live = dict((r["id"], r) for r in instances if r["state"] not in ("terminated", NOT_FOUND))
        read_protection(provider, live, list(live))
    if params.get("include_health"):
        live = [r["id"] for r in instances if r["state"] not in ("terminated", NOT_FOUND)]
        health = merged(provider.health, live)
        for record in instances:
            record["health"] = health.get(record["id"]) or dict(NO_HEALTH, events=[])
    result = {"changed": False, "instances": instances, "not_found_ids": not_found}
    if not_found and params.get("fail_on_not_found"):
        failures = not_found_failures(not_found, records)
        raise TaskFailure(not_found_message(not_found, records, hint=False), failures, dict(result, failures=failures),
                          failures[0])
    if not_found:
        rt.warn(not_found_message(not_found, records))
    return result
