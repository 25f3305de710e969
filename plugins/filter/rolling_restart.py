# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the rolling_restart role decides with; the logic is plugin_utils/rolling_restart.py."""


from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils.filter_errors import raising_filter_errors
from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils import rolling_restart as logic


def rolling_restart_plan(options, instances=None, hostvars=None, play_hosts=None, check_mode=False):
    return logic.plan(dict(options or {}), instances, hostvars, play_hosts, boolean(check_mode, strict=False))


def rolling_restart_waves(plan, read_results=None):
    return logic.waves(plan, read_results)


def rolling_restart_start_groups(groups, stop_results=None):
    return logic.start_groups(groups, stop_results)


def rolling_restart_record(run, plan, wave, restart=None, stop=None, start=None):
    return logic.record(run, plan, wave, restart=restart, stop=stop, start=start)


def rolling_restart_summary(run, plan):
    return logic.summary(run, plan)


def rolling_restart_failure(summary, fail_on_error=True, fail_on_not_found=False):
    return logic.failure_message(summary, boolean(fail_on_error, strict=True), boolean(fail_on_not_found, strict=True)) or ""


class FilterModule(object):
    def filters(self):
        return dict((f.__name__, raising_filter_errors(f, "rolling_restart: ")) for f in (
            rolling_restart_plan, rolling_restart_waves, rolling_restart_start_groups, rolling_restart_record, rolling_restart_summary,
            rolling_restart_failure,
        ))
