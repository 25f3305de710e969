#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: instance_clone
short_description: Launch a replacement for EC2 or ECS instances with their configuration, once
version_added: 0.2.0
description:
  - Launches one clone of each source instance with the source's instance type, subnet (EC2) or vSwitch (ECS), security
    groups, key pair and tags, plus the tag C(cloudfleet:clone-of=SOURCE_ID); then waits until the clones are running.
  - Idempotent - each run first looks for instances tagged C(cloudfleet:clone-of) (any state but terminated) and launches
    only for sources that have none. A run cut short and run again never launches a second clone; a stopped clone is started.
    The launch also carries a client token made of the source and image ids.
  - Tags starting with C(aws:), C(acs:), C(aliyun), and C(cloudfleet:auto-release-time) are not copied.
  - O(source=image) launches from O(image_ids) (what M(cloudfleet.lifecycle.instance_image) returns).
  - O(source=snapshots), EC2 only, is the procedure for an instance no image can be made of - it needs the snapshots
    M(cloudfleet.lifecycle.instance_snapshot) made with O(snapshot_tag). For each source it creates a volume from each snapshot
    (tagged C(cloudfleet:restored-for) and C(cloudfleet:device)), launches a clone of the same type from the source's AMI, stops it,
    detaches its root (and deletes it), attaches the recovered root at the source's root device and the other recovered
    volumes at their devices, and starts it. Each step first looks at what is already there, so a second run goes on where
    the first stopped.
  - On ECS, an instance no image can be made of is cloned from an image made of its snapshots -
    M(cloudfleet.lifecycle.instance_image) with O(cloudfleet.lifecycle.instance_image#module:source=snapshots) returns its
    RV(cloudfleet.lifecycle.instance_image#module:image_ids) for O(image_ids); the clone gets the image's data disks too.
  - A per-source failure (no image, no snapshots, a launch refused) fails the task for that id in RV(failures); the other
    sources are still cloned.
author:
  - cloudfleet.lifecycle developers (@cloudfleet)
extends_documentation_fragment:
  - cloudfleet.lifecycle.common
  - cloudfleet.lifecycle.common.batch
  - cloudfleet.lifecycle.common.not_found
options:
  source:
    description:
      - V(image) launches from O(image_ids); V(snapshots) rebuilds from the snapshots tagged O(snapshot_tag) (EC2 only; on
        ECS make an image from the snapshots with M(cloudfleet.lifecycle.instance_image)
        O(cloudfleet.lifecycle.instance_image#module:source=snapshots) and launch from it with V(image)).
    type: str
    default: image
    choices: [image, snapshots]
  image_ids:
    description:
      - For O(source=image), a dict of source instance id to the image id to launch its clone from - an image of the
        instance, or on ECS one made from its snapshots (both are what M(cloudfleet.lifecycle.instance_image) returns).
      - Needed only for sources that have no clone yet.
    type: dict
  snapshot_tag:
    description:
      - For O(source=snapshots), the O(cloudfleet.lifecycle.instance_snapshot#module:snapshot_tag) the source's snapshots carry.
    type: str
  tags:
    description:
      - Extra tags for the clones, on top of the copied ones. Keys may not start with C(aws:), C(acs:), C(aliyun) or C(cloudfleet:).
    type: dict
attributes:
  check_mode:
    support: full
    description:
      - Sends C(RunInstances) (and C(StartInstances) for a stopped clone) with C(DryRun).
      - With O(source=snapshots) only the launch can be dry-run; the volume swap is predicted from what is there.
seealso:
  - module: cloudfleet.lifecycle.instance_image
  - module: cloudfleet.lifecycle.instance_snapshot
  - module: cloudfleet.lifecycle.instance_release
"""

EXAMPLES = r"""
- name: Image, then clone, instances stuck in stopping
  cloudfleet.lifecycle.instance_image:
    cloud: aws
    instance_ids: "{{ stuck_ids }}"
    name: replace-stuck
  register: images

- name: Launch one replacement each (a second run finds them by their clone-of tag)
  cloudfleet.lifecycle.instance_clone:
    cloud: aws
    instance_ids: "{{ stuck_ids }}"
    image_ids: "{{ images.image_ids }}"
  register: clones

- name: No image could be made - rebuild from snapshots (EC2)
  cloudfleet.lifecycle.instance_clone:
    cloud: aws
    instance_ids: [i-0123456789abcdef0]
    source: snapshots
    snapshot_tag: replace-stuck

- name: No image could be made - on ECS, an image from the snapshots ...
  cloudfleet.lifecycle.instance_image:
    cloud: alicloud
    instance_ids: [i-bp1g6zv0ce8oghu7abcd]
    name: replace-stuck
    source: snapshots
    snapshot_tag: replace-stuck
  register: from_snapshots

- name: ... and a clone from it
  cloudfleet.lifecycle.instance_clone:
    cloud: alicloud
    instance_ids: [i-bp1g6zv0ce8oghu7abcd]
    image_ids: "{{ from_snapshots.image_ids }}"
"""

RETURN = r"""
instances:
  description:
    - One record per instance, in the order the ids were given (or as listed, for filters).
  returned: always
  type: list
  elements: dict
  contains:
    # from docs/shared_return.yml "record" (python tools/sync_return_docs.py); edit it there
    id:
      description: The instance id.
      type: str
      sample: i-0123456789abcdef0
    cloud:
      description: V(aws) or V(alicloud).
      type: str
      sample: aws
    region:
      description: The region the instance is in.
      type: str
      sample: us-east-1
    state:
      description:
        - The normalized state, the same words on both clouds.
        - V(not-found) when the cloud did not know the id as the module started (see RV(not_found_ids)), never a state the
          instance was in. An instance this task released reads V(terminated), on ECS too, where the cloud then forgets it.
      type: str
      choices: [pending, running, stopping, stopped, shutting-down, terminated, not-found]
      sample: stopped
    raw_state:
      description: The cloud's own word for the state (EC2 C(State.Name), ECS C(Status)); null when the instance is gone.
      type: str
      sample: stopped
    state_code:
      description: EC2's state code, low byte only (0, 16, 32, 48, 64, 80); null on ECS.
      type: int
      sample: 80
    auto_release_time:
      description:
        - When the instance is released automatically, as ISO 8601 UTC C(YYYY-MM-DDTHH:MM:SSZ); null if not set.
        - On EC2 this is read from the tag C(cloudfleet:auto-release-time).
      type: str
      sample: "2026-12-01T06:00:00Z"
    deletion_protection:
      description:
        - Whether release protection is on (ECS C(DeletionProtection)).
        - On EC2 null unless this task read it (C(DescribeInstanceAttribute), one call per instance - auto_release_time, the check
          mode of instance_release, instance_state_info with include_protection) or a refused release showed it, because
          C(DescribeInstances) does not report C(DisableApiTermination).
      type: bool
      sample: false
    instance_type:
      description: The instance type.
      type: str
      sample: t3.micro
    tags:
      description: The instance's tags as a dict.
      type: dict
      sample: {"env": "test"}
    os_type:
      description: V(linux) or V(windows) (EC2 C(Platform), ECS C(OSType)); null when unknown.
      type: str
      sample: linux
    start_time:
      description:
        - When the instance last started, as ISO 8601 UTC C(YYYY-MM-DDTHH:MM:SSZ) (EC2 C(LaunchTime); ECS C(StartTime),
          to the minute); null when unknown.
      type: str
      sample: "2026-12-03T06:00:00Z"
    # end of docs/shared_return.yml "record"

# from docs/shared_return.yml "outcome" (python tools/sync_return_docs.py); edit it there
changed_ids:
  description: The ids this task changed (in check mode, would change).
  returned: always
  type: list
  elements: str
  sample: [i-0123456789abcdef0]
unchanged_ids:
  description: The ids that were already as asked.
  returned: always
  type: list
  elements: str
  sample: []
not_found_ids:
  description:
    - The ids the cloud did not know when the module started, in this region and account; nothing was done to them.
      Their records read V(not-found), never V(terminated).
    - A warning names them. With O(fail_on_not_found=true) they fail the task instead, each in RV(failures) with the code V(NotFound).
  returned: always
  type: list
  elements: str
  sample: []
failures:
  description:
    - One entry per instance that failed, with the cloud's error code, message and request id
      (or this collection's own code, such as C(WaitTimeout), C(IncorrectInstanceState), C(DeletionProtection)).
    - Empty when the task succeeds; when it is not empty the task fails.
    - Also empty when the whole call failed (credentials, endpoint, throttling after the retries), before any instance was answered;
      the task fails then too, with the cloud's code in RV(error). So read a failed task by its C(failed) flag, never by this list alone.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "i-0123456789abcdef0", "code": "WaitTimeout", "message": "still stopping after 600s", "request_id": null}]
error:
  description: The first error (code, message, request_id), for a task that failed on an API call.
  returned: failure
  type: dict
  sample: {"code": "AuthFailure", "message": "AWS was not able to validate the provided access credentials", "request_id": "5b1f..."}
# end of docs/shared_return.yml "outcome"
clones:
  description:
    - Per source instance id, its clone's record (the same keys as RV(instances)).
    - In check mode, only clones that exist already.
  returned: always
  type: dict
  sample: {"i-0123456789abcdef0": {"id": "i-0fedcba9876543210", "state": "running", "tags": {"cloudfleet:clone-of": "i-0123456789abcdef0"}}}
clone_ids:
  description: Per source instance id, its clone's id.
  returned: always
  type: dict
  sample: {"i-0123456789abcdef0": "i-0fedcba9876543210"}
duplicates:
  description:
    - Per source instance id, any further clones found (made outside this module); the clone in RV(clones) is a running
      one if there is one. Nothing is done to them.
  returned: always
  type: dict
  sample: {}
"""

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import clone as operation
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import LifecycleModule
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import run_module


# Its own options, as its DOCUMENTATION has them; LifecycleModule adds the doc fragments' (common and FRAGMENTS).
ARGUMENT_SPEC = dict(
    source=dict(type="str", default="image", choices=["image", "snapshots"]),
    image_ids=dict(type="dict"),
    snapshot_tag=dict(type="str"),
    tags=dict(type="dict"),
)
FRAGMENTS = ("batch", "not_found")


def main():
    module = LifecycleModule(ARGUMENT_SPEC, FRAGMENTS, supports_check_mode=True)
    run_module(module, operation.run)


if __name__ == "__main__":
    main()
