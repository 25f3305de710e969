# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rate control as the OOS / SSM templates have it: `concurrency` and `max_errors`, each a number
of instances or a percentage of the targets, and the waves they make. Pure: no API, no clock.

Percentages are of all the targets (every distinct id asked for) and are rounded DOWN, so a wave
never holds more instances than asked and never more errors are tolerated than asked:
concurrency 10% of 25 targets = 2 a wave (at least 1: 1% of 10 targets = 1); max_errors 10% of 25
targets = 2 errors allowed, 10% of 5 targets = 0.
"""


import re

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError

_NUMBER = re.compile(r"^\s*(\d+)\s*$")
_PERCENT = re.compile(r"^\s*(\d+)\s*%\s*$")


class Limit(object):
    """A parsed concurrency / max_errors: what was asked (`text`) and what it means for these targets (`value`)."""

    def __init__(self, text, value, percent=None):
        self.text = text
        self.value = value
        self.percent = percent

    def __str__(self):
        if self.percent is None:
            return str(self.value)
        return "%s (%d)" % (self.text, self.value)


def _parse(name, value, total, minimum):
    text = "" if value is None else str(value).strip()
    shape = "a number of instances (%d or more) or a percentage from %d%% to 100%%" % (minimum, minimum)
    number = _NUMBER.match(text)
    if number and int(number.group(1)) >= minimum:
        return Limit(text, int(number.group(1)))
    percent = _PERCENT.match(text)
    if percent and minimum <= int(percent.group(1)) <= 100:
        share = int(percent.group(1))
        return Limit(text, max(minimum, total * share // 100), share)
    raise InputError("%s must be %s, got %r" % (name, shape, value if not isinstance(value, str) else text))


def parse_concurrency(value, total):
    """How many instances one wave holds: a number >= 1, or 1%..100% of `total` (rounded down, at least 1)."""
    return _parse("concurrency", value, total, 1)


def parse_max_errors(value, total):
    """How many errors are tolerated: a number >= 0, or 0%..100% of `total` (rounded down)."""
    return _parse("max_errors", value, total, 0)


def over_limit(errors, max_errors):
    """True when no new wave may start: more errors than max_errors allows."""
    return errors > max_errors.value
