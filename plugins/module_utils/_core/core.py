# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every operation (stop, release, auto_release, state_info) shares: the runtime it runs
in, connecting to the right provider, batched describes, and the result / failure shapes."""


import functools
import os
import time

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import chunks, merged
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import (
    CloudError, InputError, TaskFailure, describe_failures, failure,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import resolve_connection, validate_ids
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.base import get_provider
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import NOT_FOUND, absent_record, not_found_record
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.release_times import utcnow
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.waiting import wait_for


class Runtime(object):
    """Everything an operation takes from the outside world, so tests can replace it."""

    def __init__(self, environ=None, provider_factory=None, clock=None, sleep=None, now=None, warn=None):
        self.environ = os.environ if environ is None else environ
        self.provider_factory = provider_factory or get_provider
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.now = now or utcnow
        self.warnings = []  # every warning given, in order (the module also shows them)
        self._warn = warn

    def warn(self, message):
        self.warnings.append(message)
        if self._warn is not None:
            self._warn(message)

    def connect(self, params):
        return self.provider_factory(resolve_connection(params, self.environ))

    def waiter(self):
        return functools.partial(wait_for, clock=self.clock, sleep=self.sleep)


def check_wait_timeout(params):
    """wait_timeout 0 would send the call and then fail at once: refused before any call, on every module."""
    if params.get("wait_timeout") is not None and params["wait_timeout"] < 1:
        raise InputError("wait_timeout must be 1 or more seconds, got %s; to send the call and not wait, set wait: false "
                         "(wait_timeout also bounds the wait for pending instances, so 0 is refused either way)"
                         % params["wait_timeout"])


def validate_batch(params):
    """The instance ids and wait_timeout a batch operation takes, checked before any call."""
    ids = validate_ids(params["cloud"], params.get("instance_ids"))
    check_wait_timeout(params)
    return ids


def begin(params, rt, validate):
    """How every batch operation starts: (runtime, the ids `validate` checked before any call, the provider, the
    deadline of its waits)."""
    rt = rt or Runtime()
    ids = validate(params)
    provider = rt.connect(params)
    return rt, ids, provider, rt.clock() + params["wait_timeout"]


def describer(provider, absent=absent_record):
    """describe(ids) for the waiter: every id answered; one the cloud no longer knows is `absent(id, cloud, region)`.

    During a run that is terminated (the run saw the instance, and ECS forgets a released one at once).
    """
    def describe(ids):
        found = provider.describe(ids)
        return dict((i, found.get(i) or absent(i, provider.cloud, provider.region)) for i in ids)
    return describe


def first_read(provider, ids):
    """{id: record} for all ids as the module starts, at most 100 per call: an id the cloud does not know
    is not-found, never terminated (a region typo must not look like a finished release)."""
    return merged(describer(provider, not_found_record), ids)


def reread(provider, ids):
    """{id: record} for ids this run has seen already: one that is gone now was released (terminated)."""
    return merged(describer(provider), ids)


def found_ids(ids, records):
    """The ids the first read found (everything but not-found)."""
    return [i for i in ids if records[i]["state"] != NOT_FOUND]


NOT_FOUND_CODE = "NotFound"


def not_found_message(ids, records, hint=True):
    """The warning (or, with hint False, the failure message) that names the ids and says why they may be missing."""
    where = "%s %s" % (records[ids[0]]["cloud"], records[ids[0]]["region"])
    shown = ", ".join(ids[:20]) + (" and %d more" % (len(ids) - 20) if len(ids) > 20 else "")
    message = ("%d instance id(s) not found in %s: %s. Nothing was done to them. Either they were released earlier "
               "(ECS forgets a released instance at once, EC2 about an hour after it terminated), or they are in another "
               "region or account (check region and the credentials)." % (len(ids), where, shown))
    return message + (" Set fail_on_not_found: true to fail on this." if hint else "")


def not_found_failures(ids, records):
    """One failure per id for fail_on_not_found."""
    return [failure(i, NOT_FOUND_CODE, "the cloud does not know this instance in %s %s (fail_on_not_found)"
                    % (records[i]["cloud"], records[i]["region"])) for i in ids]


def read_protection(provider, records, ids):
    """Fill deletion_protection where the describe left it unknown (EC2 reads it per instance), in place."""
    unknown = [i for i in ids if records[i]["deletion_protection"] is None]
    if unknown:
        for i, value in provider.read_protection(unknown).items():
            records[i]["deletion_protection"] = value


def in_batches(action, ids, **kwargs):
    """Call a provider action over <=100-id batches; merge the per-id failures.

    A whole-call error on the first batch is raised (nothing happened: auth, endpoint, throttling after
    the retries). On a later batch it becomes a failure of each id not yet answered, so that the ids
    the earlier batches changed are still reported, waited for and read (nothing lost on failure).
    """
    failures = {}
    batches = chunks(ids)
    for number, chunk in enumerate(batches):
        try:
            failures.update(action(chunk, **kwargs))
        except CloudError as exc:
            if number == 0:
                raise
            for rest in batches[number:]:
                for i in rest:
                    failures[i] = exc.for_instance(i, "%s (this batch failed as a whole after %d batch(es) went through)"
                                                   % (exc.message, number))
            break
    return failures


def finish(ids, records, changed_ids, unchanged_ids, failures, what, extra=None, notes=None, params=None, rt=None,
           diff=None):
    """The module result; raises TaskFailure (carrying the result) when any id failed.

    `notes` (e.g. a wait timeout's message) lead the failure message. Ids the first read did not
    find, and that no other outcome claims, are `not_found_ids`: a warning through `rt`, or a
    failure each when params has fail_on_not_found. `diff` ({before, after}) is added when given.
    """
    changed_set = set(changed_ids)
    unchanged_set = set(unchanged_ids)
    failed_set = set(f["id"] for f in failures)
    not_found = [i for i in ids if i in records and records[i]["state"] == NOT_FOUND
                 and i not in changed_set and i not in unchanged_set and i not in failed_set]
    result = {
        "changed": bool(changed_ids),
        "instances": [records[i] for i in ids if i in records],
        "changed_ids": [i for i in ids if i in changed_set],
        "unchanged_ids": [i for i in ids if i in unchanged_set],
        "not_found_ids": not_found,
        "failures": failures,
    }
    result.update(extra or {})
    if diff is not None:
        result["diff"] = diff
    if not_found and (params or {}).get("fail_on_not_found"):
        failures = failures + not_found_failures(not_found, records)
        result["failures"] = failures
    elif not_found and rt is not None:
        rt.warn(not_found_message(not_found, records))
    if failures:
        first = failures[0]
        error = {"code": first["code"], "message": first["message"], "request_id": first.get("request_id")}
        message = "%s failed for %d of %d instance(s): %s" % (what, len(failures), len(ids), describe_failures(failures))
        if notes:
            message = " ".join(list(notes) + [message])
        raise TaskFailure(message, failures, result, error)
    return result


def state_diff(ids, before, after, keys=("state",)):
    """{before, after} for --diff: each {id: {key: value}} for the ids that change (after: predicted in check mode)."""
    return {
        "before": dict((i, dict((k, before[i].get(k)) for k in keys)) for i in ids),
        "after": dict((i, dict((k, after[i].get(k)) for k in keys)) for i in ids),
    }


def snapshot_records(records):
    """A copy of the records as they are now, for a diff's before."""
    return dict((i, dict(r)) for i, r in records.items())
