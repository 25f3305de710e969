# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance_image: an image of each instance, made without a reboot; or, state absent, deleted.

Each instance's image is named <name>-<instance id>: the name is the idempotency key, so a
second run finds the image (creating or available) instead of making another. An image made
without a reboot is crash-consistent, which is what a stuck instance allows.

source=snapshots (ECS) is for an instance no image can be made of: the image <name>-<instance
id>-snap is made from the snapshots instance_snapshot tagged with snapshot_tag (CreateImage with
DiskDeviceMapping: the system disk's snapshot and the data disks' at their devices). It is found
again by that name too, and needs only the snapshots: the instance may be released since.

ECS images an instance (CreateImage with InstanceId) only while it is Running or Stopped, and snapshots
its disks only then too: an instance stuck in stopping can be imaged from snapshots made before it got
stuck, and no others. A refusal says so, and check mode predicts an image from snapshots not made yet
only for an instance whose disks ECS would snapshot now.
"""


import hashlib
import re

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import merged
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.core import (
    Runtime, check_wait_timeout, finish, first_read,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import WRONG_STATE, InputError, failure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import validate_ids
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import NOT_FOUND
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops.resources import (
    IMAGE_TAG, INSTANCE_TAG, SNAPSHOT_TAG, check_name, check_tags, per_instance, resource_outcome,
    wait_resources,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops.snapshot import group_by_instance, refusal_advice
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.waiting import IMAGE_AVAILABLE, SNAPSHOT_COMPLETED
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.base import capabilities_for

SOURCES = ("instance", "snapshots")
SNAPSHOTS_SUFFIX = "-snap"  # <name>-<id>-snap: never the name of a failed image of the instance itself
# CreateImage DiskDeviceMapping.N.Device: the system disk "must be /dev/xvda", data disks /dev/xvdb to /dev/xvdz
# (SDK docstring); a data disk whose device is not one of those is left to ECS, which assigns them in order.
SYSTEM_DEVICE = "/dev/xvda"
DATA_DEVICE = re.compile(r"^/dev/xvd[b-z]$")


def validate(params):
    ids = validate_ids(params["cloud"], params.get("instance_ids"))
    name = check_name("name", params.get("name"))
    extra = check_tags(params.get("tags"))
    source = params.get("source") or "instance"
    if source not in SOURCES:
        raise InputError("source must be one of %s, got %r" % (", ".join(SOURCES), source))
    tag = params.get("snapshot_tag")
    if source == "snapshots":
        if not capabilities_for(params["cloud"]).image_from_snapshots:
            raise InputError("source: snapshots (an image made from disk snapshots) is for cloud=alicloud only; on EC2 rebuild "
                             "from snapshots with cloudfleet.lifecycle.instance_clone source: snapshots")
        if params.get("state") != "absent" or tag:
            tag = check_name("snapshot_tag", tag)
    elif tag:
        raise InputError("snapshot_tag goes with source: snapshots")
    check_wait_timeout(params)
    return ids, name, extra, source, tag


def explain_image_refusal(provider, entry, record):
    """A wrong-state refusal of CreateImage, with why the cloud does not image an instance in that state appended."""
    why = provider.image_refusal(record)
    if why:
        entry["message"] = "%s (%s)" % (entry["message"], why)
    return entry


def missing_snapshots_message(provider, problem, record, tag):
    """plan_mapping's NoSnapshots / MissingSnapshots for a live instance, with why instance_snapshot cannot help
    when the cloud would refuse to snapshot its disks now."""
    refusal = provider.snapshot_refusal(record) if record["state"] not in ("terminated", NOT_FOUND) else None
    if refusal is None:
        return "%s (snapshot_tag %s)" % (problem[1], tag)
    return "no snapshot tagged %s of every disk exists, and %s: %s" % (tag, refusal[1], refusal_advice(tag))


def image_name(name, instance_id, source="instance"):
    return "%s-%s%s" % (name, instance_id, SNAPSHOTS_SUFFIX if source == "snapshots" else "")


def image_token(image_name_):
    """CreateImage's ClientToken (ASCII, at most 64): the same image asked twice is one image."""
    return "cf-image-" + hashlib.sha1(image_name_.encode("utf-8")).hexdigest()


def public(image):
    view = dict((k, image.get(k)) for k in ("image_id", "name", "state"))
    if image.get("snapshot_ids"):
        view["snapshot_ids"] = list(image["snapshot_ids"])
    return view


def plan_mapping(snapshots, disks=None):
    """The disks of an image made from one instance's snapshots (those instance_snapshot tagged for it).

    snapshots: [{snapshot_id, volume_id, device, state, root?, size?, created?}]; disks: the instance's
    [{volume_id, device, root}] when it still exists, else None. One snapshot per disk: completed before
    pending, then the newest; those in error are left out. Returns (mapping, pending, problem):
    mapping [{snapshot_id, type, device, size}] with the system disk first and the data disks by device,
    pending the chosen snapshot ids not completed yet, problem None or (code, message).
    """
    roots = set(d["volume_id"] for d in disks or [] if d.get("root"))
    usable = [s for s in snapshots if s["state"] != "error"]
    usable.sort(key=lambda s: (s.get("created") or "", s["snapshot_id"]), reverse=True)  # the newest first
    usable.sort(key=lambda s: s["state"] != "completed")  # stable: the completed ones before the pending ones
    chosen = {}
    for snap in usable:
        chosen.setdefault(snap["volume_id"], snap)
    picked = list(chosen.values())
    if not picked:
        return [], [], ("NoSnapshots", "no usable snapshot: make them with cloudfleet.lifecycle.instance_snapshot first")
    if disks is not None:
        missing = [d for d in disks if d["volume_id"] not in chosen]
        if missing:
            return [], [], ("MissingSnapshots", "no usable snapshot of its disk(s) %s: run cloudfleet.lifecycle.instance_snapshot "
                            "again" % ", ".join("%s (%s)" % (d["volume_id"], d.get("device") or "no device") for d in missing))
    systems = [s for s in picked if s.get("root") or s["volume_id"] in roots]
    if len(systems) != 1:
        return [], [], ("NoRootSnapshot", "%s of the snapshots is of the system disk: an image needs exactly one"
                        % ("none" if not systems else "more than one"))
    mapping = [{"snapshot_id": systems[0]["snapshot_id"], "type": "system", "device": SYSTEM_DEVICE,
                "size": systems[0].get("size")}]
    data = sorted((s for s in picked if s is not systems[0]), key=lambda s: (s.get("device") or "~", s["snapshot_id"]))
    for snap in data:
        device = snap.get("device") if DATA_DEVICE.match(snap.get("device") or "") else None
        mapping.append({"snapshot_id": snap["snapshot_id"], "type": "data", "device": device, "size": snap.get("size")})
    pending = [s["snapshot_id"] for s in [systems[0]] + data if s["state"] != "completed"]
    return mapping, pending, None


def run(params, check_mode=False, rt=None):
    rt = rt or Runtime()
    ids, name, extra, source, tag = validate(params)
    provider = rt.connect(params)
    deadline = rt.clock() + params["wait_timeout"]
    records = first_read(provider, ids)
    names = dict((i, image_name(name, i, source)) for i in ids)
    existing = provider.find_images([names[i] for i in ids])
    if params.get("state") == "absent":
        return _absent(params, check_mode, provider, ids, records, names, existing)

    failures = []
    images = {}
    unchanged = []
    todo = []
    for i in ids:
        image = existing.get(names[i])
        if image is not None and image["state"] == "failed":
            failures.append(failure(i, "ImageFailed", "image %s (%s) failed; delete it with state: absent and run again"
                                    % (image["image_id"], names[i])))
        elif image is not None:
            images[i] = image
            unchanged.append(i)
        elif source == "snapshots":
            todo.append(i)  # the snapshots outlive the instance: released or not, it can be imaged from them
        elif records[i]["state"] == NOT_FOUND:
            continue  # not_found_ids
        elif records[i]["state"] == "terminated":
            failures.append(failure(i, "IncorrectInstanceState", "cannot image an instance that is released / terminated"))
        else:
            todo.append(i)

    def tags(i):
        out = dict(extra)
        out.update({"Name": names[i], IMAGE_TAG: name, INSTANCE_TAG: i})
        if source == "snapshots":
            out[SNAPSHOT_TAG] = tag
        return out

    notes = []
    if source == "snapshots":
        changed = _from_snapshots(params, check_mode, rt, provider, records, names, tag, todo, tags, images, failures,
                                  notes, deadline)
    else:
        changed = []
        for i in todo:
            ok, answer = per_instance(failures, i, provider.create_image, i, names[i], tags(i), dry_run=check_mode)
            if ok:
                changed.append(i)
                if not check_mode:
                    images[i] = {"image_id": answer, "name": names[i], "state": "pending"}
            elif answer.kind == WRONG_STATE:
                explain_image_refusal(provider, failures[-1], records[i])
    if check_mode:
        return finish(ids, records, changed, unchanged, failures, "image (check mode)", extra=_extra(images), params=params, rt=rt)

    owner = dict((v["image_id"], i) for i, v in images.items())
    pending = [v["image_id"] for v in images.values() if v["state"] != "available"]
    if params.get("wait") and pending:
        got = wait_resources(rt, provider.image_states, pending, IMAGE_AVAILABLE, max(0, deadline - rt.clock()))
        for image in images.values():
            if image["image_id"] in got.records:
                image["state"] = got.records[image["image_id"]]["state"]
        resource_outcome(got, "image", IMAGE_AVAILABLE, params["wait_timeout"], failures, notes, owner)
    return finish(ids, records, changed, unchanged, failures, "image", notes=notes, extra=_extra(images), params=params, rt=rt)


def _from_snapshots(params, check_mode, rt, provider, records, names, tag, todo, tags, images, failures, notes, deadline):
    """Images made (or, in check mode, that would be made) from the snapshots tagged `tag`; returns the changed ids."""
    if not todo:
        return []
    by_instance = group_by_instance(provider.find_snapshots({SNAPSHOT_TAG: tag}))
    live = [i for i in todo if records[i]["state"] not in ("terminated", NOT_FOUND)]
    disks = merged(provider.disks, live) if live else {}
    plans = {}
    predicted = []
    for i in todo:
        snaps = by_instance.get(i, [])
        if not snaps and records[i]["state"] == NOT_FOUND:
            continue  # not_found_ids: nothing of it is left
        mapping, pending, problem = plan_mapping(snaps, disks.get(i) if i in live else None)
        lacking = problem is not None and i in live and problem[0] in ("NoSnapshots", "MissingSnapshots")
        if lacking and check_mode and provider.snapshot_refusal(records[i]) is None:
            predicted.append(i)  # instance_snapshot (in a real run, just before) makes the snapshots it lacks
        elif lacking:
            # the cloud would refuse those snapshots now (say, an ECS instance stuck in stopping): none will come
            failures.append(failure(i, problem[0], missing_snapshots_message(provider, problem, records[i], tag)))
        elif problem is not None:
            failures.append(failure(i, problem[0], "%s (snapshot_tag %s)" % (problem[1], tag)))
        else:
            plans[i] = (mapping, pending)
    if predicted:
        rt.warn("check mode: %d instance(s) have no snapshot tagged %s of every disk yet (%s): their images are predicted "
                "from the snapshots cloudfleet.lifecycle.instance_snapshot would make" % (len(predicted), tag, ", ".join(predicted)))

    waiting = dict((sid, i) for i, (dummy, pending) in plans.items() for sid in pending)
    if waiting and check_mode:
        predicted.extend(i for i in plans if plans[i][1])  # not ready: a dry run could only say so
        for i in predicted:
            plans.pop(i, None)
    elif waiting and not params.get("wait"):
        for i in sorted(set(waiting.values())):
            failures.append(failure(i, "SnapshotsNotReady", "its snapshots %s are not completed yet; run again, or with wait: true"
                                    % ", ".join(s for s in plans.pop(i)[1])))
    elif waiting:
        got = wait_resources(rt, provider.snapshot_states, list(waiting), SNAPSHOT_COMPLETED, max(0, deadline - rt.clock()))
        resource_outcome(got, "snapshot", SNAPSHOT_COMPLETED, params["wait_timeout"], failures, notes, waiting)
        for sid in list(got.failed) + list(got.timed_out):
            plans.pop(waiting[sid], None)

    changed = list(predicted)
    for i in [i for i in todo if i in plans]:
        mapping = plans[i][0]
        ok, image_id = per_instance(failures, i, provider.create_image_from_snapshots, names[i], mapping, tags(i),
                                    image_token(names[i]), dry_run=check_mode)
        if ok:
            changed.append(i)
            if not check_mode:
                images[i] = {"image_id": image_id, "name": names[i], "state": "pending",
                             "snapshot_ids": [d["snapshot_id"] for d in mapping]}
    return [i for i in todo if i in set(changed)]


def _extra(images):
    return {
        "images": dict((i, public(v)) for i, v in images.items()),
        # source id -> image id, ready for instance_clone's image_ids
        "image_ids": dict((i, v["image_id"]) for i, v in images.items() if v.get("image_id")),
    }


def _absent(params, check_mode, provider, ids, records, names, existing):
    failures = []
    changed = []
    deleted = {}
    for i in ids:
        image = existing.get(names[i])
        if image is None:
            continue
        ok, dummy = per_instance(failures, i, provider.delete_image, image,
                                 delete_snapshots=bool(params.get("delete_snapshots")), dry_run=check_mode)
        if ok:
            changed.append(i)
            deleted[i] = dict(public(image), state="absent" if not check_mode else image["state"])
    # no image left is what was asked, whether the instance is still known or not
    unchanged = [i for i in ids if names[i] not in existing]
    return finish(ids, records, changed, unchanged, failures, "image delete" + (" (check mode)" if check_mode else ""),
                  extra={"images": deleted, "image_ids": {}}, params=params)
