# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Split id lists into API-sized batches: never one call per instance, never more than the API takes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Both EC2 and ECS accept at most 100 instance ids in one call.
MAX_BATCH = 100


def chunks(items, size=MAX_BATCH):
    """Consecutive slices of at most `size` items, order kept."""
    if size < 1:
        raise ValueError("batch size must be positive")
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def unique(items):
    """Drop repeated ids, keeping the first occurrence's order."""
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result
