# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance_image: an image of each instance, made without a reboot; or, state absent, deleted.

Each instance's image is named <name>-<instance id>: the name is the idempotency key, so a
second run finds the image (creating or available) instead of making another. An image made
without a reboot is crash-consistent, which is what a stuck instance allows.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.core import (
    Runtime, check_wait_timeout, finish, first_read,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.errors import failure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.options import validate_ids
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.records import NOT_FOUND
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.resources import (
    IMAGE_TAG, INSTANCE_TAG, check_name, check_tags, per_instance, resource_timeout_message, wait_failures,
    wait_resources,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.waiting import WaitSpec

AVAILABLE = WaitSpec("available", ["available"], ["failed", "absent"],
                     "run the task again with a longer wait_timeout: an image being created is found by its name, not made twice")


def validate(params):
    ids = validate_ids(params["cloud"], params.get("instance_ids"))
    name = check_name("name", params.get("name"))
    extra = check_tags(params.get("tags"))
    check_wait_timeout(params)
    return ids, name, extra


def image_name(name, instance_id):
    return "%s-%s" % (name, instance_id)


def public(image):
    return dict((k, image.get(k)) for k in ("image_id", "name", "state"))


def run(params, check_mode=False, rt=None):
    rt = rt or Runtime()
    ids, name, extra = validate(params)
    provider = rt.connect(params)
    records = first_read(provider, ids)
    names = dict((i, image_name(name, i)) for i in ids)
    existing = provider.find_images([names[i] for i in ids])
    if params.get("state") == "absent":
        return _absent(params, check_mode, provider, ids, records, names, existing)

    failures = []
    images = {}
    unchanged = []
    todo = []
    for i in ids:
        image = existing.get(names[i])
        if image is not None and image["state"] == "failed":
            failures.append(failure(i, "ImageFailed", "image %s (%s) failed; delete it with state: absent and run again"
                                    % (image["image_id"], names[i])))
        elif image is not None:
            images[i] = image
            unchanged.append(i)
        elif records[i]["state"] == NOT_FOUND:
            continue  # not_found_ids
        elif records[i]["state"] == "terminated":
            failures.append(failure(i, "IncorrectInstanceState", "cannot image an instance that is released / terminated"))
        else:
            todo.append(i)

    def tags(i):
        out = dict(extra)
        out.update({"Name": names[i], IMAGE_TAG: name, INSTANCE_TAG: i})
        return out

    changed = []
    for i in todo:
        ok, image_id = per_instance(provider, failures, i, provider.create_image, i, names[i], tags(i), dry_run=check_mode)
        if ok:
            changed.append(i)
            if not check_mode:
                images[i] = {"image_id": image_id, "name": names[i], "state": "pending"}
    if check_mode:
        return finish(ids, records, changed, unchanged, failures, "image (check mode)", extra=_extra(images), params=params, rt=rt)

    notes = []
    owner = dict((v["image_id"], i) for i, v in images.items())
    pending = [v["image_id"] for v in images.values() if v["state"] != "available"]
    if params.get("wait") and pending:
        got = wait_resources(rt, provider.image_states, pending, AVAILABLE, params["wait_timeout"])
        for image in images.values():
            if image["image_id"] in got.records:
                image["state"] = got.records[image["image_id"]]["state"]
        failures.extend(wait_failures("image", AVAILABLE, got, params["wait_timeout"], owner))
        if got.timed_out:
            notes.append(resource_timeout_message("image", AVAILABLE, got, params["wait_timeout"], owner))
    return finish(ids, records, changed, unchanged, failures, "image", notes=notes, extra=_extra(images), params=params, rt=rt)


def _extra(images):
    return {
        "images": dict((i, public(v)) for i, v in images.items()),
        # source id -> image id, ready for instance_clone's image_ids
        "image_ids": dict((i, v["image_id"]) for i, v in images.items() if v.get("image_id")),
    }


def _absent(params, check_mode, provider, ids, records, names, existing):
    failures = []
    changed = []
    deleted = {}
    for i in ids:
        image = existing.get(names[i])
        if image is None:
            continue
        ok, dummy = per_instance(provider, failures, i, provider.delete_image, image,
                                 delete_snapshots=bool(params.get("delete_snapshots")), dry_run=check_mode)
        if ok:
            changed.append(i)
            deleted[i] = dict(public(image), state="absent" if not check_mode else image["state"])
    # no image left is what was asked, whether the instance is still known or not
    unchanged = [i for i in ids if names[i] not in existing]
    return finish(ids, records, changed, unchanged, failures, "image delete" + (" (check mode)" if check_mode else ""),
                  extra={"images": deleted, "image_ids": {}}, params=params)
