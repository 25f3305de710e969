# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attribute a batch call's whole-call error to the ids it concerns, and retry the others.

EC2 answers a batch with one error for the whole call (InvalidInstanceID.NotFound,
IncorrectInstanceState, OperationNotPermitted, ...) and names the offending ids in its message.
Those ids get the error; the rest of the batch is sent again. When the message names none of
them (EC2 InsufficientInstanceCapacity on a StartInstances), the batch is split in halves, and each
half that fails again is split again: k refused ids among n cost about k * log2(n) calls, not n,
and each id gets its own answer. Auth and throttling errors are never split: they would fail the
same way for every id (errors.FATAL_KINDS).
"""


import re

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import CloudError, is_fatal as fatal_kind

_ID_TOKEN = re.compile(r"i-[0-9a-z]+")


def ids_named_in(message, ids):
    """The ids of `ids` that appear as whole tokens in an error message."""
    tokens = set(_ID_TOKEN.findall(message or ""))
    return [i for i in ids if i in tokens]


def run_per_id(call, ids, is_fatal=fatal_kind):
    """call(ids) -> {id: CloudError} (per-id failures). Returns the per-id failures for all ids.

    is_fatal(error): never split over it (by default: its kind would be the same for every id)."""
    ids = list(ids)
    if not ids:
        return {}
    try:
        return dict(call(ids) or {})
    except CloudError as exc:
        if is_fatal(exc):
            raise
        if len(ids) == 1:
            return {ids[0]: exc.for_instance(ids[0])}
        named = ids_named_in(exc.message, ids)
        if named:
            failures = dict((i, exc.for_instance(i)) for i in named)
            failures.update(run_per_id(call, [i for i in ids if i not in failures], is_fatal))
            return failures
        half = len(ids) // 2
        failures = run_per_id(call, ids[:half], is_fatal)
        failures.update(run_per_id(call, ids[half:], is_fatal))
        return failures
