# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance_snapshot: snapshot every disk of many instances, tagged so a second run finds them.

Each snapshot carries cloudfleet:snapshot-tag=<snapshot_tag>, cloudfleet:instance-id and
cloudfleet:device. An instance whose every disk already has a snapshot with that tag is
unchanged; an instance with some disks covered gets snapshots of the others only.
A released instance whose snapshots exist is unchanged (the snapshots outlive it).

A cloud may snapshot disks only in some instance states (capabilities.snapshot_states; ECS: Running or
Stopped, and never a disk never used): such a refusal is reported for that id with what it means, and
check mode on a cloud whose CreateSnapshot has no DryRun (ECS) predicts it from the instance's record
(provider.snapshot_refusal) instead of predicting a snapshot. Snapshots made earlier with the same tag
still count: an instance stuck in stopping is unchanged when every disk has one.
"""


from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import merged
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.core import (
    Runtime, check_wait_timeout, finish, first_read,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import WRONG_STATE, failure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import validate_ids
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import NOT_FOUND
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops.resources import (
    DEVICE_TAG, INSTANCE_TAG, SNAPSHOT_TAG, check_name, check_tags, per_instance, resource_outcome,
    wait_resources,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.waiting import SNAPSHOT_COMPLETED


def refusal_advice(tag):
    """What an operator can do about an instance whose disks the cloud does not snapshot now."""
    return ("only snapshots made before, while it ran or was stopped, can stand in: make them ahead with "
            "cloudfleet.lifecycle.instance_snapshot snapshot_tag: %s (e.g. a scheduled backup play), before an instance "
            "gets stuck" % tag)


def explain_refusal(provider, entry, record, tag, missing):
    """A refusal of CreateSnapshot by the instance's state (a failure entry), with what it means and what to do appended."""
    known = provider.snapshot_refusal(record)
    why = known[1] if known else "%s refused the snapshot of this instance's disks" % provider.capabilities.service
    disks = ", ".join("%s (%s)" % (d.get("disk_id") or d["volume_id"], d.get("device") or "no device") for d in missing)
    entry["message"] = "%s (%s: its disk(s) %s lack a snapshot tagged %s; %s)" % (
        entry["message"], why, disks, tag, refusal_advice(tag))
    return entry


def validate(params):
    ids = validate_ids(params["cloud"], params.get("instance_ids"))
    tag = check_name("snapshot_tag", params.get("snapshot_tag"))
    extra = check_tags(params.get("tags"))
    check_wait_timeout(params)
    return ids, tag, extra


def tagger(tag, instance_id, extra):
    """tags(disk) for one instance's snapshots."""
    def tags(disk):
        out = dict(extra)
        out.update({"Name": "%s-%s" % (tag, instance_id), SNAPSHOT_TAG: tag, INSTANCE_TAG: instance_id})
        if disk.get("device"):
            out[DEVICE_TAG] = disk["device"]
        return out
    return tags


def group_by_instance(snapshots):
    grouped = {}
    for snap in snapshots:
        owner = snap["tags"].get(INSTANCE_TAG)
        if owner:
            grouped.setdefault(owner, []).append(snap)
    return grouped


def missing_disks(disks, existing):
    """The disks of an instance that no usable snapshot (not in error) covers yet."""
    covered = set(s["volume_id"] for s in existing if s["state"] != "error")
    return [d for d in disks if d["volume_id"] not in covered]


def public(snap):
    """A snapshot as the module returns it."""
    view = dict((k, snap.get(k)) for k in ("snapshot_id", "device", "volume_id", "state"))
    if "disk_id" in snap:
        view["disk_id"] = snap["disk_id"]
    return view


def run(params, check_mode=False, rt=None):
    rt = rt or Runtime()
    ids, tag, extra = validate(params)
    provider = rt.connect(params)
    records = first_read(provider, ids)
    existing = group_by_instance(provider.find_snapshots({SNAPSHOT_TAG: tag}))
    failures = []
    unchanged = []
    live = []
    for i in ids:
        usable = [s for s in existing.get(i, []) if s["state"] != "error"]
        if records[i]["state"] in ("terminated", NOT_FOUND):
            if usable:
                unchanged.append(i)  # released after its snapshots were made: they are what was asked
            elif records[i]["state"] == NOT_FOUND:
                continue  # not_found_ids
            else:
                failures.append(failure(i, "IncorrectInstanceState", "the instance is released and has no snapshot tagged %s" % tag))
        else:
            live.append(i)
    disks = merged(provider.disks, live)
    todo = {}
    for i in live:
        missing = missing_disks(disks.get(i, []), existing.get(i, []))
        if missing:
            todo[i] = missing
        else:
            unchanged.append(i)
    snapshots = dict((i, [s for s in existing.get(i, []) if s["state"] != "error"]) for i in ids)

    can = provider.capabilities
    if check_mode:
        predicted = []
        for i in [i for i in ids if i in todo]:
            if "snapshot" in can.dry_run_ops:
                ok, dummy = per_instance(failures, i, provider.create_snapshots, i, todo[i],
                                         len(todo[i]) == len(disks[i]), tagger(tag, i, extra), dry_run=True)
            elif provider.snapshot_refusal(records[i]):
                # no DryRun (ECS CreateSnapshot): the refusal is predicted from the instance's state
                ok = False
                entry = failure(i, provider.snapshot_refusal(records[i])[0], "check mode: %s would refuse CreateSnapshot" % can.service)
                failures.append(explain_refusal(provider, entry, records[i], tag, todo[i]))
            else:
                ok = True  # predicted from DescribeInstances, DescribeDisks and DescribeSnapshots alone
            if ok:
                predicted.append(i)
        return finish(ids, records, predicted, unchanged, failures, "snapshot (check mode)", params=params, rt=rt,
                      extra={"snapshots": dict((i, [public(s) for s in v]) for i, v in snapshots.items())})

    changed = []
    for i in [i for i in ids if i in todo]:
        ok, answer = per_instance(failures, i, provider.create_snapshots, i, todo[i],
                                  len(todo[i]) == len(disks[i]), tagger(tag, i, extra), dry_run=False)
        if ok:
            snapshots[i].extend(answer)
            changed.append(i)
        elif can.snapshot_states is not None and answer.kind == WRONG_STATE:
            explain_refusal(provider, failures[-1], records[i], tag, todo[i])  # refused, never reported as made

    notes = []
    owner = dict((s["snapshot_id"], i) for i, snaps in snapshots.items() for s in snaps)
    pending = [s["snapshot_id"] for snaps in snapshots.values() for s in snaps if s["state"] != "completed"]
    if params.get("wait") and pending:
        got = wait_resources(rt, provider.snapshot_states, pending, SNAPSHOT_COMPLETED, params["wait_timeout"])
        for snaps in snapshots.values():
            for snap in snaps:
                if snap["snapshot_id"] in got.records:
                    snap["state"] = got.records[snap["snapshot_id"]]["state"]
        resource_outcome(got, "snapshot", SNAPSHOT_COMPLETED, params["wait_timeout"], failures, notes, owner)
    return finish(ids, records, changed, unchanged, failures, "snapshot", notes=notes, params=params, rt=rt,
                  extra={"snapshots": dict((i, [public(s) for s in v]) for i, v in snapshots.items())})
