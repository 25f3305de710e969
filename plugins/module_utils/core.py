# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every operation (stop, release, auto_release, state_info) shares: the runtime it runs
in, connecting to the right provider, batched describes, and the result / failure shapes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import os
import time

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.batching import chunks
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.errors import (
    InputError, TaskFailure, describe_failures,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.options import resolve_connection
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.providers import get_provider
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.records import absent_record
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.release_times import utcnow
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.waiting import wait_for


class Runtime(object):
    """Everything an operation takes from the outside world, so tests can replace it."""

    def __init__(self, environ=None, provider_factory=None, clock=None, sleep=None, now=None):
        self.environ = os.environ if environ is None else environ
        self.provider_factory = provider_factory or get_provider
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.now = now or utcnow

    def connect(self, params):
        return self.provider_factory(resolve_connection(params, self.environ))

    def waiter(self):
        return functools.partial(wait_for, clock=self.clock, sleep=self.sleep)


def check_wait_timeout(params):
    if params.get("wait_timeout") is not None and params["wait_timeout"] < 0:
        raise InputError("wait_timeout must be 0 or more seconds, got %s" % params["wait_timeout"])


def describer(provider):
    """describe(ids) for the waiter: every id answered, an absent one as terminated."""
    def describe(ids):
        found = provider.describe(ids)
        return dict((i, found.get(i) or absent_record(i, provider.cloud, provider.region)) for i in ids)
    return describe


def describe_all(provider, ids):
    """{id: record} for all ids, at most 100 per call."""
    describe = describer(provider)
    records = {}
    for chunk in chunks(ids):
        records.update(describe(chunk))
    return records


def in_batches(action, ids, **kwargs):
    """Call a provider action over <=100-id batches; merge the per-id failures."""
    failures = {}
    for chunk in chunks(ids):
        failures.update(action(chunk, **kwargs))
    return failures


def finish(ids, records, changed_ids, unchanged_ids, failures, what, extra=None, notes=None):
    """The module result; raises TaskFailure (carrying the result) when any id failed.

    `notes` (e.g. a wait timeout's message) lead the failure message.
    """
    changed_set = set(changed_ids)
    result = {
        "changed": bool(changed_ids),
        "instances": [records[i] for i in ids if i in records],
        "changed_ids": [i for i in ids if i in changed_set],
        "unchanged_ids": [i for i in ids if i in set(unchanged_ids)],
        "failures": failures,
    }
    result.update(extra or {})
    if failures:
        first = failures[0]
        error = {"code": first["code"], "message": first["message"], "request_id": first.get("request_id")}
        message = "%s failed for %d of %d instance(s): %s" % (what, len(failures), len(ids), describe_failures(failures))
        if notes:
            message = " ".join(list(notes) + [message])
        raise TaskFailure(message, failures, result, error)
    return result
