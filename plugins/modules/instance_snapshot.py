#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: instance_snapshot
short_description: Snapshot every disk of EC2 or ECS instances, once, and wait until the snapshots are complete
version_added: 0.2.0
description:
  - Snapshots every EBS volume (EC2) or disk (ECS) of each instance and tags each snapshot with
    C(cloudfleet:snapshot-tag=SNAPSHOT_TAG), C(cloudfleet:instance-id), C(cloudfleet:device) and C(Name=SNAPSHOT_TAG-INSTANCE_ID),
    plus O(tags).
  - On EC2 one C(CreateSnapshots) call per instance snapshots all its volumes at the same moment (crash-consistent);
    a C(CreateTags) per snapshot adds its device. On ECS one C(DescribeDisks) per instance, then one C(CreateSnapshot) per disk.
  - Idempotent by O(snapshot_tag) - one C(DescribeSnapshots) listing finds the snapshots already made with that tag.
    An instance whose every disk has one is unchanged; one with some disks covered gets snapshots of the others only.
  - A released instance whose snapshots exist is unchanged (the snapshots outlive it); one without snapshots fails for that id.
  - Waits until every snapshot is complete (EC2 C(completed), ECS C(accomplished)); a timeout fails the task and names the
    snapshots and their instances.
  - Take snapshots before releasing an instance whose data you may need - after release the data is gone for good.
  - ECS snapshots a disk only while its instance is C(Running) or C(Stopped) and has been started once (C(CreateSnapshot)
    reference); it refuses others with C(IncorrectInstanceStatus) or C(IncorrectDiskStatus.NeverUsed), reported for that id.
    Snapshots made earlier with the same O(snapshot_tag) still count, so snapshot ahead (for example a scheduled play) what
    you may need to rebuild after an instance gets stuck in V(stopping). ECS C(CreateSnapshot) has no C(DryRun); check mode
    predicts the refusal from the instance's state.
author:
  - cloudfleet.lifecycle developers (@cloudfleet)
extends_documentation_fragment:
  - cloudfleet.lifecycle.common
  - cloudfleet.lifecycle.common.batch
  - cloudfleet.lifecycle.common.not_found
options:
  snapshot_tag:
    description:
      - The key that makes the task idempotent, written into the tag C(cloudfleet:snapshot-tag) of every snapshot.
      - A second run with the same O(snapshot_tag) finds these snapshots and makes no more. Use a new value for a new set.
      - Starts with a letter; 2 to 100 letters, digits, C(.), C(_) or C(-).
    type: str
    required: true
    aliases: [name]
  tags:
    description:
      - Extra tags for every snapshot. Keys may not start with C(aws:), C(acs:), C(aliyun) or C(cloudfleet:). At most 10.
    type: dict
attributes:
  check_mode:
    support: full
    description:
      - EC2 sends C(CreateSnapshots) with C(DryRun) for the instances that need snapshots.
      - ECS C(CreateSnapshot) has no C(DryRun); the prediction comes from C(DescribeDisks) and C(DescribeSnapshots) alone.
seealso:
  - module: cloudfleet.lifecycle.instance_image
  - module: cloudfleet.lifecycle.instance_release
"""

EXAMPLES = r"""
- name: Snapshot the instances before releasing them
  cloudfleet.lifecycle.instance_snapshot:
    cloud: aws
    region: us-east-1
    instance_ids: "{{ doomed_ids }}"
    snapshot_tag: before-release-20261201
  register: snaps

- name: Show the snapshot ids of one instance
  ansible.builtin.debug:
    msg: "{{ snaps.snapshots['i-0123456789abcdef0'] | map(attribute='snapshot_id') }}"

- name: ECS, with an extra tag
  cloudfleet.lifecycle.instance_snapshot:
    cloud: alicloud
    region: cn-hangzhou
    instance_ids: [i-bp1abcdefghij0123456]
    snapshot_tag: nightly-1
    tags:
      owner: ops
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
snapshots:
  description:
    - Per instance id, its snapshots with this O(snapshot_tag) (found or made). In check mode, only the ones found.
  returned: always
  type: dict
  sample:
    i-0123456789abcdef0:
      - snapshot_id: snap-0123456789abcdef0
        device: /dev/sda1
        volume_id: vol-0123456789abcdef0
        state: completed
  contains:
    snapshot_id:
      description: The snapshot id.
      type: str
    device:
      description: The device the disk is attached at (for example V(/dev/sda1), V(/dev/xvda)).
      type: str
    volume_id:
      description: The EBS volume id (EC2) or disk id (ECS) the snapshot was taken of.
      type: str
    disk_id:
      description: ECS only, the disk id (same as RV(snapshots.volume_id)).
      type: str
    state:
      description: V(pending), V(completed) or V(error), the same words on both clouds.
      type: str
"""

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import snapshot as operation
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import LifecycleModule
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import run_module


# Its own options, as its DOCUMENTATION has them; LifecycleModule adds the doc fragments' (common and FRAGMENTS).
ARGUMENT_SPEC = dict(
    snapshot_tag=dict(type="str", required=True, aliases=["name"]),
    tags=dict(type="dict"),
)
FRAGMENTS = ("batch", "not_found")


def main():
    module = LifecycleModule(ARGUMENT_SPEC, FRAGMENTS, supports_check_mode=True)
    run_module(module, operation.run)


if __name__ == "__main__":
    main()
