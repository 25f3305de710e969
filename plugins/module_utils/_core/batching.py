# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Split id lists into API-sized batches: never one call per instance, never more than the API takes."""


# Both EC2 and ECS accept at most 100 instance ids in one call.
MAX_BATCH = 100


def chunks(items, size=MAX_BATCH):
    """Consecutive slices of at most `size` items, order kept."""
    if size < 1:
        raise ValueError("batch size must be positive")
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def merged(read, ids, size=MAX_BATCH):
    """One dict of what read(chunk) answers for consecutive chunks of at most `size` ids (describes, disks, health)."""
    answers = {}
    for chunk in chunks(ids, size):
        answers.update(read(chunk))
    return answers


def waves(ids, size):
    """The ids in order, in waves of at most `size` (instance_command's and rolling_restart's rate control)."""
    if size < 1:
        raise ValueError("a wave holds at least one instance")
    return chunks(ids, size)


def unique(items):
    """Drop repeated ids, keeping the first occurrence's order."""
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result
