# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance_release: release (EC2 terminate, ECS delete) instances in batches.

Only stopped instances are released unless force: true. Refused ids (wrong state, protection on)
are reported per id and fail the task, but the stopped, unprotected ids in the same task are
released anyway: each id gets exactly what was asked for it, nothing more.

Outcomes are read, not assumed: after a refused TerminateInstances / DeleteInstances the refused
ids are described again, and those the cloud is terminating anyway (EC2 terminates the instances
of the other Availability Zones when one protected instance fails the call) count as released.
An id the cloud does not know when the module starts is not_found, never terminated.
"""


from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.core import (
    begin, describer, finish, first_read, found_ids, in_batches, read_protection, reread, snapshot_records,
    state_diff, validate_batch,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import INITIALIZING, PROTECTED, CloudError, failure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import NOT_FOUND, not_found_record
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.waiting import RUNNING, TERMINATED, wait_outcome

PROTECTED_MESSAGE = "deletion protection is on; set disable_protection: true to turn it off and release the instance"


def refusal_message(state):
    return ("instance is %s: only stopped instances are released; stop it first (cloudfleet.lifecycle.instance_stop) "
            "or set force: true" % state)


validate = validate_batch


def run(params, check_mode=False, rt=None):
    rt, ids, provider, dummy = begin(params, rt, validate)
    force = bool(params.get("force"))
    disable = bool(params.get("disable_protection"))
    records = first_read(provider, ids)
    before = snapshot_records(records)
    failures = []
    unchanged = [i for i in ids if records[i]["state"] in ("terminated", "shutting-down")]
    candidates = []
    for i in found_ids(ids, records):
        state = records[i]["state"]
        if state == "stopped" or (force and state in ("running", "pending", "stopping")):
            candidates.append(i)
        elif state not in ("terminated", "shutting-down"):
            failures.append(failure(i, "IncorrectInstanceState", refusal_message(state)))
    if check_mode:
        # EC2 DescribeInstances does not report termination protection: read it for the candidates, so that
        # check mode predicts the refusals the real run would meet (read-only, one call per instance).
        read_protection(provider, records, candidates)
    protected = [i for i in candidates if records[i]["deletion_protection"] is True]
    if protected and not disable:
        failures.extend(failure(i, "DeletionProtection", PROTECTED_MESSAGE) for i in protected)
        candidates = [i for i in candidates if i not in protected]
        protected = []
    disabled = []

    if check_mode:
        if protected and "protection" in provider.capabilities.dry_run_ops:
            dry = in_batches(provider.set_deletion_protection, protected, enabled=False, dry_run=True)
            failures.extend(e.failure() for e in dry.values())
            candidates = [i for i in candidates if i not in dry]
        dry = in_batches(provider.terminate, candidates, force=force, dry_run=True)
        for i, error in dry.items():
            # a new ECS instance still initializing: the real run waits until it runs, then releases it
            if not (disable and error.kind == PROTECTED) and error.kind != INITIALIZING:
                failures.append(error.failure())
        refused = set(f["id"] for f in failures)
        predicted = [i for i in candidates if i not in refused]
        after = dict((i, dict(records[i], state="terminated")) for i in predicted)
        return finish(ids, records, predicted, unchanged, failures, "release (check mode)", params=params, rt=rt,
                      diff=state_diff(predicted, before, after),
                      extra={"protection_disabled_ids": [i for i in protected if i in predicted],
                             "protected_ids": protected_ids(failures)})

    def unprotect(targets):
        errors = in_batches(provider.set_deletion_protection, targets, enabled=False, dry_run=False)
        failures.extend(e.failure() for e in errors.values())
        for i in targets:
            if i not in errors:
                disabled.append(i)
                records[i]["deletion_protection"] = False
        return [i for i in targets if i not in errors]

    if protected:
        ok = unprotect(protected)
        candidates = [i for i in candidates if i not in protected or i in ok]

    try:
        errors = terminate_and_read(provider, records, candidates, force)
    except CloudError:
        # the whole call failed: no instance keeps its protection off for a release that did not happen
        reprotect(provider, records, disabled)
        raise
    initializing = [i for i, e in errors.items() if e.kind == INITIALIZING]
    if initializing:
        # ECS refuses to force-release an instance still initializing (IncorrectInstanceStatus.Initializing):
        # wait until it runs (within wait_timeout), then release it.
        got = rt.waiter()(describer(provider), initializing, RUNNING, params["wait_timeout"])
        records.update(got.records)
        ready = [i for i in initializing if i in got.arrived]
        for i in ready:
            del errors[i]
        errors.update(terminate_and_read(provider, records, ready, force))
    # EC2 reports termination protection only when asked to terminate (not in DescribeInstances).
    late = [i for i, e in errors.items() if e.kind == PROTECTED]
    for i in late:
        records[i]["deletion_protection"] = True
    if late and disable:
        retry = unprotect(late)
        for i in retry:
            del errors[i]
        errors.update(terminate_and_read(provider, records, retry, force))
        late = []
    for i, error in errors.items():
        if i in late:
            # One code on both clouds, so playbooks can tell "protected" from real failures.
            # the cloud's own message may name every refused id: its code and request id are kept, not the list
            failures.append(failure(i, "DeletionProtection", "%s (%s)" % (PROTECTED_MESSAGE, error.code), error.request_id))
        elif not any(f["id"] == i for f in failures):
            failures.append(error.failure())
    # gone between the read and the call (released by someone else): not released by this task
    changed = [i for i in candidates if i not in errors and records[i]["state"] != NOT_FOUND]

    watch = changed + [i for i in unchanged if records[i]["state"] == "shutting-down"]
    notes = []
    if params.get("wait") and watch:
        got = rt.waiter()(describer(provider), watch, TERMINATED, params["wait_timeout"])
        records.update(got.records)
        wait_outcome(got, TERMINATED, params["wait_timeout"], failures, notes)
    elif changed:
        records.update(reread(provider, changed))
    return finish(ids, records, changed, unchanged, failures, "release", notes=notes, params=params, rt=rt,
                  diff=state_diff([i for i in ids if i in set(changed)], before, records),
                  extra={"protection_disabled_ids": disabled, "protected_ids": protected_ids(failures)})


def terminate_and_read(provider, records, ids, force):
    """Terminate; then read the ids the call refused.

    Only what the cloud shows as shutting-down or terminated counts as released by this call (EC2 goes
    on with the instances of other zones than a protected one's). One the cloud no longer knows was
    released by someone else in between: it is not-found, never released by us.
    """
    errors = in_batches(provider.terminate, ids, force=force, dry_run=False)
    if errors:
        refused = list(errors)
        now = {}
        for start in range(0, len(refused), 100):
            now.update(provider.describe(refused[start:start + 100]))
        for i in refused:
            if i in now and now[i]["state"] in ("shutting-down", "terminated"):
                records[i] = now[i]
                del errors[i]
            elif i not in now:
                records[i] = not_found_record(i, provider.cloud, provider.region)
                del errors[i]
    return errors


def reprotect(provider, records, ids):
    """Best effort: protection back on for instances it was turned off for."""
    if not ids:
        return
    try:
        errors = in_batches(provider.set_deletion_protection, ids, enabled=True, dry_run=False)
    except CloudError:
        return
    for i in ids:
        if i not in errors:
            records[i]["deletion_protection"] = True


def protected_ids(failures):
    """Ids refused because protection is on (and disable_protection was not given)."""
    return [f["id"] for f in failures if f["code"] == "DeletionProtection"]
