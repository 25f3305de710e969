# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the command_then_restart role decides with; the logic is plugin_utils/command_then_restart.py."""


from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils.filter_errors import raising_filter_errors
from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils import command_then_restart as logic


def command_then_restart_groups(instances=None, hostvars=None, play_hosts=None):
    return logic.groups(instances, hostvars, play_hosts)


def command_then_restart_summary(runs, options=None, check_mode=False):
    return logic.summary(runs, dict(options or {}), boolean(check_mode, strict=True))


def command_then_restart_table(summary):
    return logic.table(summary)


def command_then_restart_failure(summary):
    return logic.failure_message(summary)


class FilterModule(object):
    def filters(self):
        return dict((f.__name__, raising_filter_errors(f)) for f in (
            command_then_restart_groups, command_then_restart_summary, command_then_restart_table, command_then_restart_failure,
        ))
