# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the stop_then_release role decides with; the logic is plugin_utils/stop_then_release.py."""


from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils.filter_errors import raising_filter_errors
from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils import stop_then_release as logic


def stop_then_release_inputs(options):
    return logic.check_inputs(dict(options or {}))


def fleet_groups(instances, hostvars=None, play_hosts=None):
    return logic.groups_of(instances, hostvars, play_hosts)


def stop_then_release_plan(read_results, disable_protection=False):
    return logic.plan(read_results, boolean(disable_protection, strict=True))


def stop_then_release_stuck(stop_results):
    return logic.stuck(stop_results)


def stop_then_release_stopped(stop_results, force_results=None, check_mode=False, unprotect=None):
    return logic.after_stop(stop_results, force_results, boolean(check_mode, strict=False), unprotect or ())


def stop_then_release_without(groups, ids):
    return logic.without(groups, ids)


def stop_then_release_summary(run):
    run = dict(run)
    for flag in ("release_in", "check_mode"):
        run[flag] = boolean(run.get(flag, False), strict=True)
    return logic.summary(run.pop("plan"), run.pop("stopped"), **dict((k, v) for k, v in run.items() if k in SUMMARY_KEYS))


SUMMARY_KEYS = ("stop_results", "force_results", "snapshot_results", "release_results", "schedule_results",
                "release_mode", "release_in", "check_mode")


def stop_then_release_failure(summary, fail_on_not_found=False):
    return logic.failure_message(summary, boolean(fail_on_not_found, strict=True)) or ""


class FilterModule(object):
    def filters(self):
        return dict((f.__name__, raising_filter_errors(f)) for f in (
            stop_then_release_inputs, fleet_groups, stop_then_release_plan, stop_then_release_stuck,
            stop_then_release_stopped, stop_then_release_without, stop_then_release_summary, stop_then_release_failure,
        ))
