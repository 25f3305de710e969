# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the rolling_restart role, in Python so that they are unit-tested. Controller side only:
the role's filters call these on its variables and on the modules' registered results.

  plan          every variable checked before the first call (check mode too); the targets in the order given
                (the list, or the play's hosts), and the groups of the first read (one call per cloud+region)
  waves         from that read: what needs no wave (already running for start, not found), what cannot be done
                (an error before wave 1, e.g. a stopped instance to restart), and the waves over the rest, in
                the order given, each split by cloud+region (one module call per wave and group)
  start_groups  stop_start: what the start of a wave goes to after its stop
  record        after each wave: one row per instance, the errors so far, and whether a new wave may start
  summary       every target in exactly one status, counts, ids, waves, a one-line message and a table
  failure       the role's closing failure, or nothing

The rate control is instance_command's (module_utils/rate_control.py): concurrency and max_errors are a
number or a percentage of all the targets (rounded down); when the errors so far exceed max_errors, no new
wave starts and the rest are not_started, with the same words ("stopped after wave 2 of 4: 2 errors >
max_errors 1"), and a target in a state the action cannot take is an error before wave 1, as a target
that is not running is for instance_command ("stopped before wave 1 of 3: ..."). Here the waves run
over the whole fleet, both clouds in one run, so one error budget holds for all of it. A call that fails
as a whole (credentials, endpoint, throttling after the retries) also stops the run: nothing says what
the next wave's call would do.
"""


from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import waves as in_waves_of
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.rate_control import (
    Limit, over_limit, parse_concurrency, parse_max_errors,
)
from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils.targets import host_entries

PREFIX = "rolling_restart_"
CLOUDS = ("aws", "alicloud")
ACTIONS = ("restart", "stop_start", "start")
# the module calls of a wave, in order, per action
STEPS = {"restart": ("restart",), "stop_start": ("stop", "start"), "start": ("start",)}
FLAGS = ("wait_for_health", "force", "fail_on_error", "fail_on_not_found")
STATUSES = ("succeeded", "failed", "not_started", "not_found", "planned")
NOT_FOUND_CODE = "NotFound"
NOT_FOUND_STATE = "not-found"
# the states each action puts into a wave (read first); running ones of start need none
IN_WAVES = {"restart": ("running",), "stop_start": ("running", "stopped", "stopping", "pending"),
            "start": ("stopped", "stopping", "pending")}
# the API each step sends, for the words of a whole-call failure
API = {"restart": "RebootInstances", "stop": "StopInstances", "start": "StartInstances"}
CLOUD_NAMES = {"aws": "EC2", "alicloud": "ECS"}
TABLE_LINE = "%-24s %-8s %-14s %4s %-11s %-11s %s"
DONE_WORDS = {"restart": "restarted", "stop_start": "stopped, then started", "start": "started"}
PLANNED_WORDS = {"restart": "would restart", "stop_start": "would stop, then start", "start": "would start"}


def _flag(name, value):
    """A role boolean as Ansible reads one: `-e x=false` and AWX survey answers arrive as strings."""
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise InputError("%s%s must be true or false, got %r" % (PREFIX, name, value))


def _text(value):
    """A concurrency / max_errors as text: 2, "2" and " 25% " alike (an int from -e JSON or a survey)."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    return str(value).strip()


def check_inputs(options):
    """InputError unless every variable is usable (those that do not need the targets); returns them normalized.

    `options` holds the role's variables without their prefix: action, concurrency, max_errors, wait_timeout and
    the flags. concurrency and max_errors are checked with the targets, in plan().
    """
    out = {}
    action = options.get("action")
    if action not in ACTIONS:
        raise InputError("%saction must be one of %s, got %r" % (PREFIX, ", ".join(ACTIONS), action))
    out["action"] = action
    value = options.get("wait_timeout")
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        seconds = 0
    if seconds < 1 or isinstance(value, bool) or (isinstance(value, float) and value != seconds):
        raise InputError("%swait_timeout must be 1 or more seconds, got %r" % (PREFIX, value))
    out["wait_timeout"] = seconds
    for name in FLAGS:
        out[name] = _flag(name, options.get(name, name == "fail_on_error"))
    if action == "start" and out["force"]:
        raise InputError("%sforce is for restart (ECS ForceReboot) and stop_start (a forced stop); a start has no force"
                         % PREFIX)
    out["concurrency"] = _text(options.get("concurrency"))
    out["max_errors"] = _text(options.get("max_errors"))
    return out


def targets_of(instances, hostvars=None, play_hosts=None):
    """[{id, cloud, region}] in the order given, each (cloud, region, id) once.

    From `instances` (the role's list of {cloud, region, instance_ids}) when it is not empty, else from the
    play's hosts that have an `instance_id` hostvar, with `cloud` and `region`, as the collection's inventory
    plugin sets them - the same rule as the fleet_groups filter, but in the play's order rather than sorted,
    because the waves follow it (put the canaries first).
    """
    entries = []
    if instances:
        if not isinstance(instances, (list, tuple)):
            raise InputError("%sinstances must be a list of {cloud, region, instance_ids}" % PREFIX)
        for number, group in enumerate(instances, 1):
            where = "%sinstances[%d]" % (PREFIX, number)
            if not isinstance(group, dict):
                raise InputError("%s must be a dict of cloud, region, instance_ids" % where)
            ids = group.get("instance_ids") or []
            if isinstance(ids, str) or not isinstance(ids, (list, tuple)):
                raise InputError("%s.instance_ids must be a list of instance ids" % where)
            for instance_id in ids:
                entries.append((group.get("cloud"), group.get("region") or "", instance_id, where))
    else:
        entries = host_entries(hostvars, play_hosts)
    bad = []
    for cloud, _region, _id, where in entries:
        text = "%s (cloud %r)" % (where, cloud)
        if cloud not in CLOUDS and text not in bad:
            bad.append(text)
    if bad:
        raise InputError("every instance needs cloud aws or alicloud (hostvar `cloud` or the list's `cloud`): %s"
                         % ", ".join(bad[:10]))
    empty = [where for _cloud, _region, instance_id, where in entries if not isinstance(instance_id, str) or not instance_id.strip()]
    if empty:
        raise InputError("an instance id must be a non-empty string: %s" % ", ".join(sorted(set(empty))[:10]))
    seen = set()
    targets = []
    for cloud, region, instance_id, _where in entries:
        key = (cloud, str(region), instance_id.strip())
        if key not in seen:
            seen.add(key)
            targets.append({"id": key[2], "cloud": cloud, "region": key[1]})
    return targets


def _groups(wave_number, targets):
    """The wave's targets by cloud+region, in the order each group first appears (one module call each)."""
    groups = []
    index = {}
    for target in targets:
        key = (target["cloud"], target["region"])
        if key not in index:
            index[key] = len(groups)
            groups.append({"wave": wave_number, "cloud": key[0], "region": key[1], "instance_ids": []})
        groups[index[key]]["instance_ids"].append(target["id"])
    return groups


def _limit_dict(limit):
    return {"text": limit.text, "value": limit.value, "percent": limit.percent}


def _limit(data):
    return Limit(data["text"], data["value"], data.get("percent"))


def plan(options, instances=None, hostvars=None, play_hosts=None, check_mode=False):
    """Everything checked before any call: {options..., check_mode, targets, read_groups, concurrency, max_errors}.

    `read_groups`: the targets by cloud+region ({cloud, region, instance_ids}), for the first read.
    Percentages are of all the targets.
    """
    out = check_inputs(options)
    targets = targets_of(instances, hostvars, play_hosts)
    if not targets:
        raise InputError("no targets: give %sinstances, or target hosts with an instance_id hostvar (and cloud, region)" % PREFIX)
    try:
        concurrency = parse_concurrency(out["concurrency"], len(targets))
        max_errors = parse_max_errors(out["max_errors"], len(targets))
    except InputError as exc:
        raise InputError(PREFIX + exc.message)
    read_groups = [dict((k, g[k]) for k in ("cloud", "region", "instance_ids")) for g in _groups(None, targets)]
    out.update(check_mode=bool(check_mode), targets=targets, read_groups=read_groups,
               concurrency=_limit_dict(concurrency), max_errors=_limit_dict(max_errors))
    return out


def _read_states(read_results):
    """{(cloud, region, id): state} from instance_state_info's results (one loop item per read group)."""
    states = {}
    for result in _results(read_results):
        item = result["item"]
        for record in result.get("instances") or []:
            states[(item.get("cloud"), item.get("region"), record.get("id"))] = record.get("state")
    return states


def _wrong_state_message(action, state):
    if action == "restart":
        return ("the instance is %s, not running: it was not restarted (a stopped one is started with "
                "rolling_restart_action start or stop_start)" % state)
    return "the instance is %s: it cannot be started" % state


def waves(plan_, read_results):
    """The plan with its waves, from the first read; and `before`, the run as it stands before wave 1.

    Into the waves go the targets the action acts on, in the order given: restart - the running ones;
    stop_start - running, stopped, stopping and pending ones; start - stopped, stopping (waited for, then
    started) and pending (waited for) ones. A running target of start needs no wave (succeeded, already
    running); an id the cloud does not know is not_found; any other state is an error before wave 1 (as a
    target that is not running is for instance_command), and when those errors exceed max_errors no wave
    starts at all.
    """
    out = dict(plan_)
    action = out["action"]
    states = _read_states(read_results)
    rows = []
    in_waves = []
    for target in out["targets"]:
        state = states.get((target["cloud"], target["region"], target["id"]))
        group = {"cloud": target["cloud"], "region": target["region"], "wave": None}
        if state is None or state == NOT_FOUND_STATE:
            rows.append(_not_found_row(group, target["id"]))
        elif state in IN_WAVES[action]:
            in_waves.append(target)
        elif action == "start" and state == "running":
            rows.append(_row(group, target["id"], "planned" if out["check_mode"] else "succeeded", state=state))
        else:
            rows.append(_row(group, target["id"], "failed", step="read", error_code="IncorrectInstanceState",
                             error_message=_wrong_state_message(action, state), state=state))
    out["waves"] = []
    for number, wave in enumerate(in_waves_of(in_waves, _limit(out["concurrency"]).value) if in_waves else [], 1):
        out["waves"].append({"wave": number, "instance_ids": [t["id"] for t in wave], "groups": _groups(number, wave)})
    before = new_run()
    before["rows"] = rows
    before["errors"] = len([r for r in rows if _is_error(out, r)])
    max_errors = _limit(out["max_errors"])
    if over_limit(before["errors"], max_errors):
        where = "before wave 1 of %d" % len(out["waves"]) if out["waves"] else "with nothing to run"
        before.update(halted=True, stopped_after_wave=0,
                      stop_reason="stopped %s: %d errors > max_errors %s" % (where, before["errors"], max_errors))
    out["before"] = before
    return out


# ---------------------------------------------------------------- a wave's results

def _results(registered):
    """The loop items of a registered module task that ran (a skipped item has no module result)."""
    if not registered:
        return []
    if isinstance(registered, dict):
        registered = registered.get("results") or []
    return [r for r in registered if isinstance(r, dict) and not r.get("skipped") and isinstance(r.get("item"), dict)]


def _for_group(registered, group):
    """The result of this wave's call for this cloud+region, or None (not run); stale results never match."""
    for result in _results(registered):
        item = result["item"]
        if (item.get("wave"), item.get("cloud"), item.get("region")) == (group["wave"], group["cloud"], group["region"]):
            return result
    return None


def _whole_call_failure(result):
    """A failed call that names no instance (credentials, endpoint, throttling after the retries, bad input)."""
    return bool(result.get("failed")) and not result.get("failures")


def start_groups(groups, stop_results):
    """stop_start: the groups the start goes to after the wave's stop - all of them but the ids the stop did not
    find, and no group whose stop failed as a whole (nothing was stopped; the run stops after this wave).

    An instance whose stop failed is started all the same (it may be stopping, or stopped by now): the role
    leaves the fleet running, and the instance is reported failed by its stop.
    """
    out = []
    for group in groups or []:
        result = _for_group(stop_results, group)
        if result is None or _whole_call_failure(result):
            continue
        gone = set(result.get("not_found_ids") or [])
        ids = [i for i in group["instance_ids"] if i not in gone]
        if ids:
            out.append(dict(group, instance_ids=ids))
    return out


def _row(group, instance_id, status, **fields):
    row = {"id": instance_id, "cloud": group["cloud"], "region": group["region"], "wave": group["wave"], "status": status,
           "changed": False, "step": None, "error_code": None, "error_message": None, "request_id": None, "state": None,
           "reboot": None}
    row.update(fields)
    return row


def _not_found_row(group, instance_id):
    return _row(group, instance_id, "not_found", error_code=NOT_FOUND_CODE, state=NOT_FOUND_STATE,
                error_message="the cloud does not know this instance in %s %s: nothing was done to it"
                % (group["cloud"], group["region"] or "(default region)"))


def _call_problem(group, step, result):
    error = result.get("error") or {}
    code = error.get("code") or "TaskFailed"
    message = result.get("msg") or error.get("message") or "the call failed"
    return code, message, error.get("request_id"), "the %s %s %s call failed as a whole (%s): %s" % (
        CLOUD_NAMES.get(group["cloud"], group["cloud"]), group["region"] or "(default region)", API[step], code, message)


def _group_rows(plan_, group, registered):
    """One row per id of a group in a wave, from the results of the steps that ran; and the problems of calls
    that failed as a whole."""
    steps = [(name, _for_group(registered.get(name), group)) for name in STEPS[plan_["action"]]]
    problems = []
    rows = []
    whole = {}
    for name, result in steps:
        if result is not None and _whole_call_failure(result):
            whole[name] = _call_problem(group, name, result)
            problems.append(whole[name][3])
    for instance_id in group["instance_ids"]:
        error = None
        not_found = False
        changed = False
        state = None
        reboot = None
        for name, result in steps:
            if result is None:
                continue
            if name in whole:
                if error is None:
                    code, message, request_id, _problem = whole[name]
                    error = (name, code, message, request_id)
                continue
            if instance_id in (result.get("not_found_ids") or []):
                not_found = True
            for failure in result.get("failures") or []:
                if failure.get("id") == instance_id and error is None and failure.get("code") != NOT_FOUND_CODE:
                    error = (name, failure.get("code"), failure.get("message"), failure.get("request_id"))
            if instance_id in (result.get("changed_ids") or []):
                changed = True
            for record in result.get("instances") or []:
                if record.get("id") == instance_id:
                    state = record.get("state")
            reboot = (result.get("reboots") or {}).get(instance_id, reboot)
        if error is not None:
            step, code, message, request_id = error
            rows.append(_row(group, instance_id, "failed", changed=changed, step=step, error_code=code,
                             error_message=message, request_id=request_id, state=state, reboot=reboot))
        elif not_found:
            rows.append(_not_found_row(group, instance_id))
        else:
            rows.append(_row(group, instance_id, "planned" if plan_["check_mode"] else "succeeded", changed=changed,
                             state=state, reboot=reboot))
    return rows, problems


def _is_error(plan_, row):
    return row["status"] == "failed" or (row["status"] == "not_found" and plan_["fail_on_not_found"])


def new_run():
    return {"rows": [], "waves": [], "errors": 0, "halted": False, "stopped_after_wave": None, "stop_reason": None}


def record(run, plan_, wave, restart=None, stop=None, start=None):
    """The run after `wave`: its rows added, the errors so far, and `halted` when no new wave may start.

    `restart`, `stop`, `start`: the registered results of the wave's module tasks (one loop item per group).
    `run` empty: the run as it stood before wave 1 (plan `before`). A wave recorded after the run halted is
    left out (its calls did not run).
    """
    run = dict(new_run(), **(run or plan_.get("before") or {}))
    if run["halted"]:
        return run
    registered = {"restart": restart, "stop": stop, "start": start}
    rows = []
    problems = []
    for group in wave["groups"]:
        group_rows, group_problems = _group_rows(plan_, group, registered)
        rows.extend(group_rows)
        problems.extend(group_problems)
    wave_errors = len([r for r in rows if _is_error(plan_, r)])
    errors = run["errors"] + wave_errors
    total = len(plan_["waves"])
    max_errors = _limit(plan_["max_errors"])
    run["rows"] = run["rows"] + rows
    run["errors"] = errors
    status = "failed" if wave_errors else ("planned" if plan_["check_mode"] else "succeeded")
    run["waves"] = run["waves"] + [{"wave": wave["wave"], "status": status, "errors": wave_errors,
                                    "instance_ids": list(wave["instance_ids"]),
                                    "groups": [dict((k, g[k]) for k in ("cloud", "region", "instance_ids")) for g in wave["groups"]]}]
    reason = None
    if problems:
        reason = "stopped after wave %d of %d: %s" % (wave["wave"], total, "; ".join(problems))
    elif over_limit(errors, max_errors):
        reason = "stopped after wave %d of %d: %d errors > max_errors %s" % (wave["wave"], total, errors, max_errors)
    if reason is not None:
        run.update(halted=True, stopped_after_wave=wave["wave"], stop_reason=reason)
    return run


# ---------------------------------------------------------------- the summary

def _note(plan_, row):
    if row["status"] == "failed":
        return "%s (%s): %s" % (row["error_code"], row["step"], row["error_message"])
    if row["status"] in ("not_started", "not_found"):
        return row["error_message"]
    words = PLANNED_WORDS if row["status"] == "planned" else DONE_WORDS
    if not row["changed"]:
        if plan_["action"] != "start":
            return "unchanged"
        return "already running" if row["wave"] is None else "already starting: waited until running"
    text = words[plan_["action"]]
    if row["reboot"] and row["status"] == "succeeded":
        text += " (seen: %s)" % row["reboot"]
    return text


def summary(run, plan_):
    """Every target in exactly one status, in the order given; counts, ids per status, waves, failures, a
    one-line message and a table (a list of lines)."""
    run = dict(new_run(), **(run or plan_.get("before") or {}))
    recorded = dict((w["wave"], w) for w in run["waves"])
    decided = dict(((r["cloud"], r["region"], r["id"]), r) for r in run["rows"])
    reason = run["stop_reason"] or "an earlier wave stopped the run"
    waves = []
    for wave in plan_.get("waves") or []:
        if wave["wave"] in recorded:
            waves.append(recorded[wave["wave"]])
            continue
        for group in wave["groups"]:
            for instance_id in group["instance_ids"]:
                decided[(group["cloud"], group["region"], instance_id)] = _row(
                    group, instance_id, "not_started", error_message="not started: %s" % reason)
        waves.append({"wave": wave["wave"], "status": "not_started", "errors": 0, "instance_ids": list(wave["instance_ids"]),
                      "groups": [dict((k, g[k]) for k in ("cloud", "region", "instance_ids")) for g in wave["groups"]]})
    rows = [decided[(t["cloud"], t["region"], t["id"])] for t in plan_["targets"]]
    ids = dict((status, [r["id"] for r in rows if r["status"] == status]) for status in STATUSES)
    counts = dict((status, len(ids[status])) for status in STATUSES)
    failures = [{"id": r["id"], "cloud": r["cloud"], "region": r["region"], "wave": r["wave"], "step": r["step"],
                 "code": r["error_code"], "message": r["error_message"], "request_id": r["request_id"]}
                for r in rows if r["status"] == "failed"]
    changed_ids = [r["id"] for r in rows if r["changed"]]
    check_mode = plan_["check_mode"]
    concurrency, max_errors = _limit(plan_["concurrency"]), _limit(plan_["max_errors"])
    shown = ("planned" if check_mode else "succeeded", "failed", "not_started", "not_found")
    ran = len([w for w in waves if w["status"] != "not_started"])
    message = "%s%s in waves of %s, max_errors %s: %d targets, %d of %d waves %s, %s" % (
        "check mode, nothing was changed; " if check_mode else "", plan_["action"], concurrency, max_errors, len(rows),
        ran, len(waves), "planned" if check_mode else "ran", ", ".join("%s=%d" % (k, counts[k]) for k in shown))
    if run["stop_reason"]:
        message += "; " + run["stop_reason"]
    table = [TABLE_LINE % ("instance", "cloud", "region", "wave", "status", "state after", "note")]
    for row in rows:
        table.append((TABLE_LINE % (row["id"], row["cloud"], row["region"] or "-", row["wave"] or "-", row["status"],
                                    row["state"] or "-", _note(plan_, row))).rstrip())
    table[0] = table[0].rstrip()
    return {
        "changed": bool(changed_ids),
        "failed": bool(run["halted"]),
        "check_mode": check_mode,
        "action": plan_["action"],
        "concurrency": concurrency.text,
        "max_errors": max_errors.text,
        "rate_control": {"targets": len(rows), "concurrency": concurrency.value, "max_errors": max_errors.value},
        "targets": len(rows),
        "counts": counts,
        "ids": ids,
        "changed_ids": changed_ids,
        "errors": run["errors"],
        "waves": waves,
        "stopped_after_wave": run["stopped_after_wave"],
        "stop_reason": run["stop_reason"],
        "instances": rows,
        "failures": failures,
        "message": message,
        "table": table,
    }


def failure_message(summary_, fail_on_error=True, fail_on_not_found=False):
    """The role's closing failure, or None when the run may end green.

    It fails when the run stopped (errors over max_errors, or a call that failed as a whole) unless
    fail_on_error is off, and with fail_on_not_found when an id was unknown. Failures within max_errors do
    not fail the play: they are in the summary.
    """
    parts = []
    if fail_on_error and summary_["failed"]:
        text = "%s. Failed: %s. Never started: %s." % (summary_["stop_reason"], ", ".join(summary_["ids"]["failed"]) or "none",
                                                       ", ".join(summary_["ids"]["not_started"]) or "none")
        first = summary_["failures"][:1]
        if first:
            text += " First error: %s %s (%s): %s" % (first[0]["id"], first[0]["code"], first[0]["step"], first[0]["message"])
        parts.append(text)
    if fail_on_not_found and summary_["counts"]["not_found"]:
        parts.append("%d instance id(s) not found (%sfail_on_not_found): %s" % (
            summary_["counts"]["not_found"], PREFIX, ", ".join(summary_["ids"]["not_found"][:20])))
    return "rolling_restart: " + " ".join(parts) if parts else None
