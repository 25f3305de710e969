# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the command_then_restart role, in Python so that they are unit-tested. Controller side only:
the role's filters call these on its variables and on instance_command's registered results.

  groups   the targets (the list, or the play's hosts) by cloud+region, in the order given, each id once
  summary  one row per target from the groups' runs, counts and ids per status, the groups, a one-line message
  table    the lines the role shows: a header, one line per instance, the message
  failure  the role's closing failure message (the role decides whether to fail)

The role checks the inputs itself (its asserts' words are part of its contract); these functions take what
passed them. The waves and the rate control are instance_command's: a run here is one group's call.
"""


from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError
from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils.targets import host_entries

# the summary's ids and counts, in this order
STATUSES = ("succeeded", "failed", "not_started", "not_found", "unknown", "planned")
# the module's per-instance statuses that count as failed
FAILED_STATUSES = ("failed", "timeout", "cancelled", "error")
# the keys of a run that the summary's groups show
GROUP_KEYS = ("cloud", "region", "status", "waves", "msg", "failed", "problem")
TABLE_LINE = "%-24s %-8s %4s %-11s %5s %-11s %s"
TABLE_HEADER = ("instance", "cloud", "wave", "status", "exit", "state after", "output (first line)")
OUTPUT_WIDTH = 80
_ABSENT = object()


def groups(instances=None, hostvars=None, play_hosts=None):
    """[{cloud, region, instance_ids}]: one per cloud+region in the order first met, each id once.

    From `instances` when it is not empty, else from the play's hosts with an `instance_id` hostvar. A missing
    cloud is '' (not None), so that the role's check names it as the other unknown clouds.
    """
    entries = []
    if instances:
        if not isinstance(instances, (list, tuple)):
            raise InputError("command_then_restart_instances must be a list of {cloud, region, instance_ids}, got %r"
                             % (instances,))
        for number, group in enumerate(instances):
            if not isinstance(group, dict) or not isinstance(group.get("instance_ids"), (list, tuple)):
                raise InputError("command_then_restart_instances[%d] must be a dict of cloud, region, instance_ids "
                                 "(a list)" % number)
            for instance_id in group["instance_ids"]:
                entries.append((group.get("cloud", ""), group.get("region") or "", instance_id))
    else:
        for cloud, region, instance_id, _where in host_entries(hostvars or {}, play_hosts):
            entries.append(("" if cloud is None else cloud, region, instance_id))
    found = {}
    for cloud, region, instance_id in entries:
        key = (cloud, region)
        if key not in found:
            found[key] = {"cloud": cloud, "region": region, "instance_ids": []}
        if instance_id not in found[key]["instance_ids"]:
            found[key]["instance_ids"].append(instance_id)
    return list(found.values())


def _planned_waves(waves):
    """{id: wave number} from the module's waves: dicts with `wave` and `instance_ids`, or plain lists of ids."""
    numbers = {}
    for index, wave in enumerate(waves or [], start=1):
        if isinstance(wave, dict):
            number, ids = wave.get("wave", index), wave.get("instance_ids", [])
        else:
            number, ids = index, wave
        for instance_id in ids:
            numbers[instance_id] = number
    return numbers


def _status(run, result, check_mode):
    """(status, message) of one target of a run."""
    if run.get("skipped"):
        return "not_started", "not started: an earlier group failed"
    # in check mode the module plans (a wave) and runs nothing; a target with no wave was not planned
    if check_mode and result and result.get("status") == "not_started" and result.get("wave", _ABSENT) is not None:
        return "planned", "check mode: nothing ran"
    if result:
        return result.get("status"), result.get("error_message") or ""
    return "unknown", "the call failed as a whole: %s" % (run.get("msg"),)


def rows(runs, check_mode=False):
    """One row per target of every run, in the order given: the module's result for it, or why there is none."""
    table = []
    for run in runs or []:
        by_id = dict((r["id"], r) for r in run.get("results") or [])
        state_of = dict((i["id"], i.get("state")) for i in run.get("instances") or [])
        planned_wave = _planned_waves(run.get("waves"))
        for instance_id in run.get("instance_ids") or []:
            result = by_id.get(instance_id, {})
            status, message = _status(run, result, check_mode)
            table.append({
                "id": instance_id, "cloud": run.get("cloud"), "region": run.get("region"),
                "wave": result["wave"] if "wave" in result else planned_wave.get(instance_id),
                "status": status,
                "raw_status": result.get("raw_status"),
                "exit_code": result.get("exit_code"),
                "then_exit_code": result.get("then_exit_code"),
                "output": result.get("output") or "",
                "error_code": result.get("error_code"),
                "error_message": message,
                "invocation_id": result.get("invocation_id"),
                "request_id": result.get("request_id"),
                "state": result.get("then_state") or state_of.get(instance_id),
            })
    return table


def _ids(rows_):
    def having(*statuses):
        return [r["id"] for r in rows_ if r["status"] in statuses]
    return {"succeeded": having("success"), "failed": having(*FAILED_STATUSES), "not_started": having("not_started"),
            "not_found": having("not_found"), "unknown": having("unknown"), "planned": having("planned")}


def summary(runs, options, check_mode=False):
    """The role's summary fact. `options`: then, concurrency, max_errors as the role was given them."""
    if not isinstance(runs, (list, tuple)):
        raise InputError("command_then_restart: the runs must be a list, got %r" % (runs,))
    rows_ = rows(runs, check_mode)
    ids = _ids(rows_)
    counts = dict((status, len(ids[status])) for status in STATUSES)
    failed_groups = [run for run in runs if run.get("failed")]
    problems = "; ".join(run.get("problem") for run in failed_groups)
    # planned is counted in check mode only: outside it nothing is ever planned
    shown = ", ".join("%s=%d" % (s, counts[s]) for s in STATUSES if check_mode or s != "planned")
    mode = "check mode, " if check_mode else ""
    message = "%sthen %s: %d targets, %s%s%s" % (
        mode, options.get("then"), len(rows_), shown, "; " if failed_groups else "", problems)
    return {
        "changed": any(run.get("changed") for run in runs),
        "failed": bool(failed_groups),
        "check_mode": check_mode,
        "then": options.get("then"),
        "concurrency": str(options.get("concurrency")),
        "max_errors": str(options.get("max_errors")),
        "targets": len(rows_),
        "counts": counts,
        "ids": ids,
        "groups": [dict((k, v) for k, v in run.items() if k in GROUP_KEYS) for run in runs],
        "instances": rows_,
        "failures": [failure for run in runs for failure in run.get("failures") or []],
        "message": message,
    }


def _first_line(row):
    """The first line of the output, or the error message when there is no output; cut at OUTPUT_WIDTH."""
    first = (row["output"].strip().splitlines() or [""])[0] if row["output"] else row["error_message"]
    return first if len(first) <= OUTPUT_WIDTH else first[:OUTPUT_WIDTH - 3] + "..."


def table(summary_):
    """The lines to show: a header, one line per instance, then the summary's message."""
    lines = [TABLE_LINE % TABLE_HEADER]
    for row in summary_["instances"]:
        lines.append(TABLE_LINE % (row["id"], row["cloud"], row["wave"] if row["wave"] is not None else "-", row["status"],
                                   row["exit_code"] if row["exit_code"] is not None else "-", row["state"] or "-",
                                   _first_line(row)))
    return lines + [summary_["message"]]


def failure_message(summary_):
    """The role's closing failure: the failed groups' problems and the ids that failed, never started, are unknown.

    Its words end with a space when nothing is unknown, as the role's message always did.
    """
    failed_groups = [group for group in summary_["groups"] if group.get("failed")]
    ids = summary_["ids"]
    unknown = ("Unknown (the call failed as a whole): %s." % ", ".join(ids["unknown"])) if ids["unknown"] else ""
    return "command_then_restart: %d group(s) failed - %s. Failed: %s. Never started: %s. %s" % (
        len(failed_groups), "; ".join(group.get("problem") for group in failed_groups),
        ", ".join(ids["failed"]) or "none", ", ".join(ids["not_started"]) or "none", unknown)
