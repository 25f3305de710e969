# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance_clone: a replacement for each source instance, with the source's configuration.

The clone carries the tag cloudfleet:clone-of=<source id>; a run first looks for it, so a
second run (or a run resumed after an interruption) never launches a second clone. Any clone
not terminated counts; a stopped one is started.

source=image launches from an image (instance_image's image_ids). source=snapshots is the EC2
procedure for an instance no image can be made of: volumes from its snapshots (instance_snapshot),
a clone launched from the source's AMI, stopped, its root swapped for the recovered root and
the other recovered volumes attached at their devices, then started. Every step looks at what
is there first, so a cut-short run goes on where it stopped.
"""


from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import merged
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.core import (
    Runtime, check_wait_timeout, describer, finish, first_read, in_batches, reread,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import CloudError, InputError, failure, is_fatal
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import validate_ids
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import NOT_FOUND
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops.resources import (
    CLONE_TAG, DEVICE_TAG, INSTANCE_TAG, RESTORED_TAG, SNAPSHOT_TAG, check_name, check_tags, copied_tags,
    wait_resources,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.waiting import (
    RUNNING, STOPPED, VOLUME_ATTACHED, VOLUME_DETACHED, VOLUME_READY, wait_outcome,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.base import capabilities_for


class StepFailed(Exception):
    def __init__(self, code, message):
        super(StepFailed, self).__init__(message)
        self.code = code
        self.message = message


def validate(params):
    ids = validate_ids(params["cloud"], params.get("instance_ids"))
    source = params.get("source") or "image"
    image_ids = params.get("image_ids") or {}
    if not isinstance(image_ids, dict):
        raise InputError("image_ids must be a dict of source instance id to image id (instance_image returns one)")
    stray = sorted(k for k in image_ids if k not in ids)
    if stray:
        raise InputError("image_ids names instances that are not in instance_ids: %s" % ", ".join(stray))
    if source == "snapshots":
        if not capabilities_for(params["cloud"]).volume_swap:
            raise InputError("source: snapshots (the volume swap) is for cloud=aws only; on ECS make an image from the "
                             "snapshots with cloudfleet.lifecycle.instance_image source: snapshots and clone from it")
        check_name("snapshot_tag", params.get("snapshot_tag"))
        if image_ids:
            raise InputError("image_ids goes with source: image, not source: snapshots")
    elif params.get("snapshot_tag"):
        raise InputError("snapshot_tag goes with source: snapshots")
    extra = check_tags(params.get("tags"))
    check_wait_timeout(params)
    return ids, source, image_ids, extra


def choose_clones(records):
    """{source: clone record} (a running one first, then the lowest id) and {source: [other clones]}."""
    grouped = {}
    for record in records:
        grouped.setdefault(record["tags"].get(CLONE_TAG), []).append(record)
    chosen, duplicates = {}, {}
    for source, found in grouped.items():
        found.sort(key=lambda r: (r["state"] != "running", r["id"]))
        chosen[source] = found[0]
        if len(found) > 1:
            duplicates[source] = [r["id"] for r in found[1:]]
    return chosen, duplicates


def clone_tags(source_id, config, extra):
    tags = copied_tags(config.get("tags"))
    tags.update(extra)
    tags[CLONE_TAG] = source_id
    return tags


def client_token(source_id, image_id):
    """The same launch asked twice is one launch, even before the clone's tag can be read back."""
    return ("cf-clone-%s-%s" % (source_id, image_id or ""))[:64]


def run(params, check_mode=False, rt=None):
    rt = rt or Runtime()
    ids, source, image_ids, extra = validate(params)
    provider = rt.connect(params)
    deadline = rt.clock() + params["wait_timeout"]
    records = first_read(provider, ids)
    clones, duplicates = choose_clones(provider.find_tagged(CLONE_TAG, ids))
    failures = []
    need = [i for i in ids if i not in clones]
    configs = merged(provider.details, need if source == "image" else ids)
    for i in list(need):
        if i not in configs and records[i]["state"] == NOT_FOUND:
            need.remove(i)  # not_found_ids: the cloud does not know the source
        elif i not in configs:
            failures.append(failure(i, "InvalidInstanceID.NotFound", "the source instance is gone: its configuration cannot be copied"))
            need.remove(i)
        elif source == "image" and not image_ids.get(i):
            failures.append(failure(i, "MissingImage", "no clone yet and no image for it: give image_ids "
                                    "(cloudfleet.lifecycle.instance_image returns image_ids)"))
            need.remove(i)
    if source == "snapshots":
        return _from_snapshots(params, check_mode, rt, provider, ids, records, clones, duplicates, configs, failures, extra, deadline)

    changed = []
    for i in need:
        try:
            clone_id = provider.launch(configs[i], image_ids[i], clone_tags(i, configs[i], extra),
                                       client_token(i, image_ids[i]), dry_run=check_mode)
        except CloudError as exc:
            if is_fatal(exc):
                raise
            failures.append(exc.for_instance(i).failure())
            continue
        changed.append(i)
        if clone_id:
            clones[i] = {"id": clone_id, "state": "pending"}
    stopped = [i for i in ids if i in clones and clones[i]["state"] == "stopped"]
    if stopped:
        errors = in_batches(provider.start, [clones[i]["id"] for i in stopped], dry_run=check_mode)
        by_clone = dict((clones[i]["id"], i) for i in stopped)
        for clone_id, error in errors.items():
            failures.append(failure(by_clone[clone_id], error.code, "could not start its clone %s: %s" % (clone_id, error.message),
                                    error.request_id))
        changed.extend(i for i in stopped if clones[i]["id"] not in errors)
    if check_mode:
        return finish(ids, records, changed, [i for i in ids if i not in changed and i in clones], failures,
                      "clone (check mode)", extra=_extra(clones, duplicates), params=params, rt=rt)

    notes = []
    by_clone = dict((c["id"], i) for i, c in clones.items())
    if params.get("wait") and clones:
        got = rt.waiter()(describer(provider), list(by_clone), RUNNING, max(0, deadline - rt.clock()))
        for clone_id, record in got.records.items():
            clones[by_clone[clone_id]] = record
        wait_outcome(got, RUNNING, params["wait_timeout"], failures, notes, became="its clone {id} became {state}",
                     still="its clone {id} is still {state} after {timeout}s", who=by_clone.get)
    elif clones:
        fresh = reread(provider, list(by_clone))
        for clone_id, record in fresh.items():
            clones[by_clone[clone_id]] = record
    unchanged = [i for i in ids if i in clones and i not in changed]
    return finish(ids, records, changed, unchanged, failures, "clone", notes=notes, extra=_extra(clones, duplicates),
                  params=params, rt=rt)


def _extra(clones, duplicates):
    return {"clones": clones, "clone_ids": dict((i, c["id"]) for i, c in clones.items()), "duplicates": duplicates}


# --- source: snapshots (EC2 volume swap) ---------------------------------------------------------

def _from_snapshots(params, check_mode, rt, provider, ids, records, clones, duplicates, configs, failures, extra, deadline):
    changed = []
    unchanged = []
    for i in ids:
        if i not in configs and i not in clones and records[i]["state"] == NOT_FOUND:
            continue  # not_found_ids
        if i not in configs:
            if not any(f["id"] == i for f in failures):
                failures.append(failure(i, "InvalidInstanceID.NotFound", "the source instance is gone: its configuration cannot be copied"))
            continue
        try:
            clone_id, did = assemble(rt, provider, i, configs[i], params["snapshot_tag"], extra, clones.get(i), deadline, check_mode)
        except StepFailed as exc:
            failures.append(failure(i, exc.code, exc.message))
            continue
        except CloudError as exc:
            if is_fatal(exc):
                raise
            failures.append(exc.for_instance(i).failure())
            continue
        (changed if did else unchanged).append(i)
        if clone_id:
            clones[i] = reread(provider, [clone_id])[clone_id]
    return finish(ids, records, changed, unchanged, failures, "clone from snapshots" + (" (check mode)" if check_mode else ""),
                  extra=_extra(clones, duplicates), params=params, rt=rt)


def plan_swap(current, desired):
    """Which volumes to detach and attach so the clone has `desired` {device: volume id}.

    current: [{volume_id, device}] attached now. Returns (detach [(volume, device)], attach [(volume, device)]).
    """
    now = dict((d["device"], d["volume_id"]) for d in current)
    detach, attach = [], []
    for device in sorted(desired):
        if now.get(device) == desired[device]:
            continue
        if now.get(device):
            detach.append((now[device], device))
        attach.append((desired[device], device))
    return detach, attach


def assemble(rt, provider, source_id, config, tag, extra, clone, deadline, check_mode):
    """Converge one source's clone (returns (clone id, changed)); raises StepFailed or CloudError."""
    def remaining():
        return max(0, deadline - rt.clock())

    snapshots = [s for s in provider.find_snapshots({SNAPSHOT_TAG: tag, INSTANCE_TAG: source_id}) if s["state"] == "completed"]
    by_device = dict((s["device"], s) for s in snapshots if s.get("device"))
    if not by_device:
        raise StepFailed("NoSnapshots", "no completed snapshot tagged %s of %s: run cloudfleet.lifecycle.instance_snapshot first"
                         % (tag, source_id))
    if config.get("root_device") not in by_device:
        raise StepFailed("NoRootSnapshot", "no snapshot of the root device %s among the snapshots tagged %s"
                         % (config.get("root_device"), tag))
    volumes = dict((v["tags"].get(DEVICE_TAG), v) for v in provider.find_volumes({RESTORED_TAG: source_id})
                   if v["state"] in ("creating", "available", "in-use"))
    if check_mode:
        if clone is None:
            provider.launch(config, config["image_id"], clone_tags(source_id, config, extra), client_token(source_id, config["image_id"]),
                            dry_run=True)
            return None, True
        current = provider.details([clone["id"]]).get(clone["id"], {}).get("disks", [])
        desired = dict((d, v["volume_id"]) for d, v in volumes.items())
        detach, attach = plan_swap(current, desired)
        return clone["id"], bool(attach) or set(by_device) - set(volumes) != set() or clone["state"] != "running"

    changed = False
    for device in sorted(by_device):  # 1. a volume from each snapshot
        if device not in volumes:
            snap = by_device[device]
            tags = dict(extra)
            tags.update({"Name": "restored-%s-%s" % (source_id, device.rsplit("/", 1)[-1]), RESTORED_TAG: source_id,
                         DEVICE_TAG: device, "cloudfleet:from-snapshot": snap["snapshot_id"]})
            volume_id = provider.create_volume(snap["snapshot_id"], config["zone"], tags)
            volumes[device] = {"volume_id": volume_id, "state": "creating"}
            changed = True
    _wait_volumes(rt, provider, [v["volume_id"] for v in volumes.values()], VOLUME_READY, remaining())

    if clone is None:  # 2. a clone of the same type, from the source's AMI
        clone_id = provider.launch(config, config["image_id"], clone_tags(source_id, config, extra),
                                   client_token(source_id, config["image_id"]))
        changed = True
        _wait_instance(rt, provider, clone_id, RUNNING, remaining())
        state = "running"
    else:
        clone_id = clone["id"]
        state = clone["state"]

    current = provider.details([clone_id])[clone_id]["disks"]  # 3. swap in the recovered volumes
    desired = dict((d, v["volume_id"]) for d, v in volumes.items())
    detach, attach = plan_swap(current, desired)
    if attach:
        changed = True
        if state != "stopped":
            if state in ("running", "pending"):
                if state == "pending":
                    _wait_instance(rt, provider, clone_id, RUNNING, remaining())
                _raise_failures(provider.stop([clone_id]))
            _wait_instance(rt, provider, clone_id, STOPPED, remaining())
        restored = set(desired.values())
        for volume_id, device in detach:
            provider.detach_volume(volume_id, clone_id, device)
        _wait_volumes(rt, provider, [pair[0] for pair in detach], VOLUME_DETACHED, remaining())
        for volume_id, dummy in detach:
            if volume_id not in restored:
                provider.delete_volume(volume_id)  # the clone's own volume, replaced
        for volume_id, device in attach:
            provider.attach_volume(volume_id, clone_id, device)
        _wait_volumes(rt, provider, [pair[0] for pair in attach], VOLUME_ATTACHED, remaining())
        state = "stopped"

    if state != "running":  # 4. start and verify
        if state == "stopping":
            state = _wait_instance(rt, provider, clone_id, STOPPED, remaining())
        if state == "stopped":
            _raise_failures(provider.start([clone_id]))
            changed = True
        _wait_instance(rt, provider, clone_id, RUNNING, remaining())
    return clone_id, changed


def _raise_failures(errors):
    for error in errors.values():
        raise error


def _wait_instance(rt, provider, instance_id, spec, timeout):
    got = rt.waiter()(describer(provider), [instance_id], spec, timeout)
    if not got.ok:
        state = got.records[instance_id]["state"]
        raise StepFailed("WaitTimeout" if got.timed_out else "IncorrectInstanceState",
                         "its clone %s is %s, not %s (after %ss)" % (instance_id, state, spec.name, timeout))
    return got.records[instance_id]["state"]


def _wait_volumes(rt, provider, volume_ids, spec, timeout):
    if not volume_ids:
        return
    got = wait_resources(rt, provider.volume_states, volume_ids, spec, timeout)
    if not got.ok:
        bad = dict(got.failed, **got.timed_out)
        raise StepFailed("WaitTimeout" if got.timed_out else "VolumeFailed", "volume(s) not %s: %s" % (
            spec.name, ", ".join("%s (%s)" % kv for kv in sorted(bad.items()))))
