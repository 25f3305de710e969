# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the stop_then_release role, in Python so that they are unit-tested (they were
Jinja set_fact programs). Controller side only: the role's filters call these on module results.

The role's steps and what decides between them:
  inputs      every variable checked before the first call (release_in/release_at with the modules' parser)
  groups      the instances by cloud and region, from the list or from the play's hosts
  plan        from the first read: to stop, protected (left running, on both clouds), already gone, not found
  stopped     from the stop results: to release (or, in check mode, what would be stopped), unstoppable, failed
  summary     one record of what happened (or, in check mode, what would happen)
"""


import datetime

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import unique as _unique
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import NOT_FOUND
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.release_times import resolve_release_time, utcnow
from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils.targets import host_entries

CLOUDS = ("aws", "alicloud")
GONE = ("terminated", "shutting-down")
TIMEOUTS = ("stuck_timeout", "force_timeout", "release_timeout", "snapshot_timeout")
# The summary's lists, in the order they are shown.
RUN_KEYS = ("released", "scheduled", "protected", "unstoppable", "already_gone", "not_found", "failed")
CHECK_KEYS = ("would_stop", "would_release", "would_schedule", "protected", "already_gone", "not_found", "failed")


FLAGS = ("disable_protection", "fail_on_failures", "fail_on_not_found", "snapshot_before_release")


def _flag(name, value):
    """A role boolean as Ansible reads one: `-e x=false` and AWX survey answers arrive as strings."""
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise InputError("stop_then_release_%s must be true or false, got %r" % (name, value))


def check_inputs(options, now=None):
    """InputError unless every role variable is usable; returns them normalized.

    `options` holds the role's variables without their prefix (release_mode, release_in, ...). The time is
    parsed by the modules' own parser, so a bad `release_in` fails here, before any instance is stopped;
    a `release_at` must still be 30 minutes ahead once the stop (and snapshots) have taken all their time.
    Returns {release_time (what a scheduled release would ask for now, or None), every timeout as an int,
    every flag as a bool}.
    """
    out = {}
    for name in TIMEOUTS:
        value = options.get(name)
        try:
            seconds = int(value)
        except (TypeError, ValueError):
            seconds = 0
        if seconds < 1 or isinstance(value, bool):
            raise InputError("stop_then_release_%s must be 1 or more seconds, got %r" % (name, value))
        out[name] = seconds
    for name in FLAGS:
        out[name] = _flag(name, options.get(name, False))
    mode = options.get("release_mode") or "now"
    if mode not in ("now", "scheduled"):
        raise InputError("stop_then_release_release_mode must be now or scheduled, got %r" % (mode,))
    release_in = options.get("release_in") or None
    release_at = options.get("release_at") or None
    out["release_time"] = None
    if mode == "now":
        if release_in or release_at:
            raise InputError("stop_then_release_release_in / stop_then_release_release_at go with release_mode scheduled")
        return out
    if (release_in is None) == (release_at is None):
        raise InputError("release_mode scheduled needs exactly one of stop_then_release_release_in (90m, 6h, 3d) or "
                         "stop_then_release_release_at (ISO 8601 UTC)")
    now = now or utcnow()
    try:
        out["release_time"] = resolve_release_time(release_at, release_in, now=now)
        if release_at:
            # the schedule is set after the stop and the snapshots, which may take all their time
            margin = out["stuck_timeout"] + out["force_timeout"] + (out["snapshot_timeout"] if out["snapshot_before_release"] else 0)
            resolve_release_time(release_at, None, now=now + datetime.timedelta(seconds=margin))
    except InputError as exc:
        if release_at and out["release_time"]:
            raise InputError("stop_then_release: release_at %s may be less than 30 minutes ahead when it is set: the stop "
                             "(and the snapshots) may take up to %d s before; give a later time" % (release_at, margin))
        raise InputError("stop_then_release: %s" % exc.message)
    return out


def groups_of(instances, hostvars=None, play_hosts=None):
    """[{cloud, region, instance_ids}] sorted by cloud and region, each id once.

    From `instances` (the role's list) when it is not empty, else from the play's hosts that have an
    `instance_id` hostvar (as the collection's inventory plugin sets it, with `cloud` and `region`).
    """
    entries = []
    if instances:
        for number, group in enumerate(instances, 1):
            if not isinstance(group, dict):
                raise InputError("stop_then_release_instances[%d] must be a dict of cloud, region, instance_ids" % number)
            for instance_id in group.get("instance_ids") or []:
                entries.append((group.get("cloud"), group.get("region") or "", instance_id, "stop_then_release_instances[%d]" % number))
    else:
        entries = host_entries(hostvars, play_hosts)
    bad = _unique("%s (cloud %r)" % (where, cloud) for cloud, _region, _id, where in entries if cloud not in CLOUDS)
    if bad:
        raise InputError("every instance needs cloud aws or alicloud (hostvar `cloud` or the list's `cloud`): %s"
                         % ", ".join(bad[:10]))
    grouped = {}
    for cloud, region, instance_id, _where in entries:
        grouped.setdefault((str(cloud), str(region)), []).append(str(instance_id))
    return [{"cloud": cloud, "region": region, "instance_ids": _unique(ids)} for (cloud, region), ids in sorted(grouped.items())]


def _records(results):
    for result in results or []:
        for record in result.get("instances") or []:
            yield result, record


def plan(read_results, disable_protection=False):
    """What to do with each instance, from instance_state_info's results (one per group).

    Protected instances are left as they are (not even stopped) on both clouds, unless
    disable_protection: the rule is the same whatever the cloud, because the read carries EC2's
    termination protection too (include_protection).
    """
    to_stop = []
    protected, gone, not_found, seen, unprotect = [], [], [], [], []
    protected_scheduled = {}
    for result in read_results or []:
        group = result.get("item") or {}
        ids = []
        for record in result.get("instances") or []:
            seen.append(record["id"])
            if record["state"] == NOT_FOUND:
                not_found.append(record["id"])
            elif record["state"] in GONE:
                gone.append(record["id"])
            elif record.get("deletion_protection") is True and not disable_protection:
                protected.append(record["id"])
                if record.get("auto_release_time"):
                    # left alone, but a release time set earlier stands: ECS carries it out, protection or not
                    protected_scheduled[record["id"]] = record["auto_release_time"]
            else:
                ids.append(record["id"])
                if record.get("deletion_protection") is True:
                    unprotect.append(record["id"])
        if ids:
            to_stop.append({"cloud": group.get("cloud"), "region": group.get("region"), "instance_ids": ids})
    return {"to_stop": to_stop, "protected": protected, "already_gone": gone, "not_found": not_found, "seen": seen,
            "unprotect": unprotect, "protected_scheduled": protected_scheduled}


def stuck(stop_results):
    """The groups of ids whose graceful stop timed out (to be stopped again with force)."""
    out = []
    for result in stop_results or []:
        ids = [f["id"] for f in result.get("failures") or [] if f.get("code") == "WaitTimeout"]
        if ids:
            out.append(dict(result.get("item") or {}, instance_ids=ids))
    return out


def after_stop(stop_results, force_results=None, check_mode=False, unprotect=()):
    """From the stop (and forced stop) results: what to release, what could not be stopped, what failed.

    The forced stop's record of an instance replaces the graceful one's. In check mode nothing was
    stopped: what the stop's DryRun says would stop, plus what is stopped or stopping already, goes on.
    `unprotect` (protected instances stopped with disable_protection) are never taken as scheduled
    already: the scheduling call must turn their protection off.
    """
    unprotect = set(unprotect or ())
    latest = {}
    for _result, record in _records(list(stop_results or []) + list(force_results or [])):
        latest[record["id"]] = record
    failures = []
    for result in list(stop_results or []) + list(force_results or []):
        failures.extend(f for f in result.get("failures") or [] if f.get("code") != "WaitTimeout")
    gone = [i for i, r in latest.items() if r["state"] in GONE + (NOT_FOUND,)]
    failures = [f for f in failures if f["id"] not in gone]
    failed_ids = set(f["id"] for f in failures)
    to_release, would_stop = [], []
    for result in stop_results or []:
        group = result.get("item") or {}
        if check_mode:
            changed = [i for i in result.get("changed_ids") or [] if i not in failed_ids]
            would_stop.extend(changed)
            ready = changed + [i for i in result.get("unchanged_ids") or [] if i not in failed_ids]
            ids = [i for i in group.get("instance_ids") or [] if i in set(ready)]
        else:
            ids = [i for i in group.get("instance_ids") or [] if latest.get(i, {}).get("state") == "stopped"]
        if ids:
            to_release.append({"cloud": group.get("cloud"), "region": group.get("region"), "instance_ids": ids,
                               "scheduled_ids": [i for i in ids if latest.get(i, {}).get("auto_release_time") and i not in unprotect]})
    unstoppable = [] if check_mode else [i for i, r in latest.items()
                                         if r["state"] not in ("stopped",) + GONE + (NOT_FOUND,) and i not in failed_ids]
    return {"to_release": to_release, "would_stop": would_stop, "unstoppable": unstoppable, "gone": gone,
            "failures": failures}


def without(groups, ids):
    """The groups minus `ids` (e.g. the instances whose snapshots failed); empty groups dropped."""
    drop = set(ids)
    out = []
    for group in groups or []:
        kept = [i for i in group["instance_ids"] if i not in drop]
        if kept:
            out.append(dict(group, instance_ids=kept, scheduled_ids=[i for i in group.get("scheduled_ids") or [] if i in kept]))
    return out


def _ids(results, key):
    return [i for result in results or [] for i in result.get(key) or []]


def _failures(results):
    return [f for result in results or [] for f in result.get("failures") or []]


def _ran(results):
    """Only the loop items that ran (a skipped item has no module result)."""
    return [r for r in results or [] if "changed_ids" in r]


def summary(plan_, stopped, stop_results=None, force_results=None, snapshot_results=None, release_results=None,
            schedule_results=None, release_mode="now", release_in=False, check_mode=False):
    """The role's summary: each instance in the list of its outcome, counts, failures and a one-line message.

    In a real run every instance is in exactly one list. In check mode the lists are the steps an instance
    would go through: one that would be stopped, then released, is in would_stop and would_release.
    """
    snapshot_results, release_results, schedule_results = _ran(snapshot_results), _ran(release_results), _ran(schedule_results)
    seen = set(plan_.get("seen") or [])
    # A snapshot or a schedule refused because the instance is gone meanwhile (released by someone else)
    # is not a failure of ours: the same outcome as when it goes before the release.
    vanished = set(r["id"] for result in snapshot_results + schedule_results for r in result.get("instances") or []
                   if r["state"] in GONE + (NOT_FOUND,))
    snapshot_failures = [f for f in _failures(snapshot_results) if f["id"] not in vanished]
    release_failures = _failures(release_results)
    schedule_failures = [f for f in _failures(schedule_results) if f["id"] not in vanished]
    protected = _unique(plan_.get("protected", []) + _ids(release_results, "protected_ids") + _ids(schedule_results, "protected_ids"))
    # gone after the role's first read saw them (released by someone else meanwhile): not a failure of ours
    gone_meanwhile = [i for i in (stopped.get("gone", []) + _ids(release_results, "not_found_ids")
                                  + _ids(schedule_results, "not_found_ids") + sorted(vanished)) if i in seen]
    gone_candidates = plan_.get("already_gone", []) + gone_meanwhile + _ids(release_results, "unchanged_ids")
    refused_running = [f["id"] for f in release_failures if f["code"] == "IncorrectInstanceState"]
    # the release waited for terminated: its records are the last word
    not_terminated = [] if check_mode else [r["id"] for result in release_results for r in result.get("instances") or []
                                            if r["id"] in set(result.get("changed_ids") or []) and r["state"] != "terminated"]
    late_failures = snapshot_failures + [f for f in release_failures if f["code"] not in ("DeletionProtection", "IncorrectInstanceState")]
    late_failures += [f for f in schedule_failures if f["code"] != "DeletionProtection"]
    failures = list(stopped.get("failures", [])) + late_failures
    failed = _unique([f["id"] for f in failures] + not_terminated)
    late_failed = set(f["id"] for f in late_failures)
    # one list each: an instance shutting down already that never got to terminated is failed, not gone
    already_gone = _unique(i for i in gone_candidates if i not in set(failed))
    scheduled = _ids(schedule_results, "changed_ids") + _ids(schedule_results, "unchanged_ids")
    if release_mode == "scheduled" and release_in:
        # with release_in an instance that has a time keeps it: it was left out of the call
        scheduled += [i for group in stopped.get("to_release", []) for i in group.get("scheduled_ids") or []]
    scheduled = _unique(i for i in scheduled if i not in late_failed and i not in protected)
    released = [i for i in _ids(release_results, "changed_ids") if i not in not_terminated]
    if check_mode:
        ids = {"would_stop": _unique(stopped.get("would_stop", [])), "would_release": released, "would_schedule": scheduled}
        keys = CHECK_KEYS
    else:
        ids = {"released": released, "scheduled": scheduled, "unstoppable": _unique(stopped.get("unstoppable", []) + refused_running)}
        keys = RUN_KEYS
    ids.update(protected=protected, already_gone=already_gone, not_found=_unique(plan_.get("not_found", [])), failed=failed)
    ids = dict((k, ids[k]) for k in keys)
    changed = any(r.get("changed") for r in list(stop_results or []) + list(force_results or []) + snapshot_results
                  + release_results + schedule_results)
    counts = dict((k, len(v)) for k, v in ids.items())
    words = ", ".join("%s=%d" % (k, counts[k]) for k in keys)
    if check_mode:
        message = "check mode, nothing was changed; would %s: %s" % ("change" if changed else "change nothing", words)
    else:
        message = "%s: %s" % ("changed" if changed else "nothing to change", words)
    protected_scheduled = plan_.get("protected_scheduled") or {}
    if protected_scheduled:
        message += ("; %d protected instance(s) keep a release time set earlier, which ECS carries out whatever the "
                    "protection: %s" % (len(protected_scheduled), ", ".join(sorted(protected_scheduled))))
    snapshots = {}
    for result in snapshot_results:
        for instance_id, snaps in (result.get("snapshots") or {}).items():
            snapshots[instance_id] = [s["snapshot_id"] for s in snaps if s.get("snapshot_id")]
    return {"changed": changed, "check_mode": bool(check_mode), "release_mode": release_mode, "counts": counts, "ids": ids,
            "failures": failures, "snapshots": snapshots, "protected_scheduled": protected_scheduled, "message": message}


def failure_message(summary_, fail_on_not_found=False):
    """The role's closing failure, or None when the run may end green."""
    parts = []
    if summary_["counts"]["failed"]:
        listed = set(f["id"] for f in summary_["failures"])
        text = "%d instance(s) failed: %s" % (summary_["counts"]["failed"],
                                              ", ".join("%s: %s" % (f["id"], f["code"]) for f in summary_["failures"][:20]))
        extra = [i for i in summary_["ids"]["failed"] if i not in listed]
        if extra:
            text += " (not terminated after release: %s)" % ", ".join(extra)
        parts.append(text)
    if fail_on_not_found and summary_["counts"]["not_found"]:
        parts.append("%d instance id(s) not found (stop_then_release_fail_on_not_found): %s"
                     % (summary_["counts"]["not_found"], ", ".join(summary_["ids"]["not_found"][:20])))
    return "stop_then_release: " + "; ".join(parts) if parts else None
