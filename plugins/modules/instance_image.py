#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: instance_image
short_description: Make an image of EC2 or ECS instances without a reboot, or from their snapshots (ECS), or delete it
version_added: 0.2.0
description:
  - Makes one image of each instance without rebooting it (EC2 C(CreateImage) with C(NoReboot=true); ECS C(CreateImage)
    with C(InstanceId)). The image is crash-consistent.
  - EC2 images an instance in any state, so this works on an instance stuck in V(stopping). ECS images an instance only
    while it is C(Running) or C(Stopped) (C(CreateImage) reference) and refuses others with C(IncorrectInstanceStatus),
    reported for that id; an ECS instance stuck in V(stopping) can be imaged only with O(source=snapshots) from snapshots
    made before it got stuck.
  - With O(source=snapshots) (ECS only) the image is made from the disk snapshots M(cloudfleet.lifecycle.instance_snapshot)
    made with O(snapshot_tag), for an instance no image can be made of - ECS C(CreateImage) with C(DiskDeviceMapping.N) -
    the system disk's snapshot at C(/dev/xvda) and each data disk's at its device, each disk the size of its snapshot. One
    snapshot per disk is used (a completed one, the newest); while the instance still exists every one of its disks must
    have one (else C(MissingSnapshots)), and the snapshots must include the system disk's (else C(NoSnapshots) or
    C(NoRootSnapshot)). Snapshots still being made are waited for (with O(wait)). The instance itself is not needed - it may
    be released since its snapshots were made. The image is named C(NAME-INSTANCE_ID-snap), so it never takes the name of a
    failed image of the instance, and it is tagged C(cloudfleet:snapshot-tag) too.
  - Each image is named C(NAME-INSTANCE_ID) (C(NAME-INSTANCE_ID-snap) from snapshots) and tagged
    C(cloudfleet:image-name=NAME) and C(cloudfleet:instance-id).
    The name makes it idempotent - an image of that name (being created or available) is found and not made again.
  - Waits until the images are available; a timeout fails the task and names the images and their instances.
  - An image that failed is reported for its instance; delete it with O(state=absent) and run again.
  - O(state=absent) deletes the images of that O(name) (EC2 C(DeregisterImage), and with O(delete_snapshots) its snapshots;
    ECS C(DeleteImage)); with O(source=snapshots), the images made from snapshots. The instances need not exist any more.
  - A per-instance error (for example an instance no image can be made of) fails the task for that id in RV(failures);
    images of the other instances are still made.
author:
  - cloudfleet.lifecycle developers (@cloudfleet)
extends_documentation_fragment:
  - cloudfleet.lifecycle.common
  - cloudfleet.lifecycle.common.batch
  - cloudfleet.lifecycle.common.not_found
options:
  name:
    description:
      - The name the images are known by; each instance's image is called C(NAME-INSTANCE_ID).
      - Starts with a letter; 2 to 100 letters, digits, C(.), C(_) or C(-).
    type: str
    required: true
  state:
    description:
      - V(present) makes the images, V(absent) deletes them.
    type: str
    default: present
    choices: [present, absent]
  source:
    description:
      - V(instance) images the instance itself.
      - V(snapshots) (O(cloud=alicloud) only) makes the image from the instance's disk snapshots tagged O(snapshot_tag).
        On EC2, rebuild an instance no image can be made of with
        M(cloudfleet.lifecycle.instance_clone) O(cloudfleet.lifecycle.instance_clone#module:source=snapshots) instead.
    type: str
    default: instance
    choices: [instance, snapshots]
  snapshot_tag:
    description:
      - For O(source=snapshots), the O(cloudfleet.lifecycle.instance_snapshot#module:snapshot_tag) the instances' snapshots carry.
        Required with O(state=present).
      - Starts with a letter; 2 to 100 letters, digits, C(.), C(_) or C(-).
    type: str
  tags:
    description:
      - Extra tags for the images (EC2 also tags their snapshots). Keys may not start with C(aws:), C(acs:), C(aliyun) or
        C(cloudfleet:). At most 10.
    type: dict
  delete_snapshots:
    description:
      - With O(state=absent) on EC2, also delete the snapshots behind the image. ECS deletes them with the image as it
        does by default for images, so this has no effect there.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description:
      - Sends C(CreateImage) (or C(DeregisterImage) / C(DeleteImage)) with C(DryRun).
      - With O(source=snapshots), an instance whose disks have no snapshots yet (or whose snapshots are not completed) is
        predicted changed with a warning - a dry run cannot check snapshots that do not exist yet.
seealso:
  - module: cloudfleet.lifecycle.instance_clone
  - module: cloudfleet.lifecycle.instance_snapshot
"""

EXAMPLES = r"""
- name: Image stuck instances without rebooting them
  cloudfleet.lifecycle.instance_image:
    cloud: aws
    region: us-east-1
    instance_ids: "{{ stuck_ids }}"
    name: replace-stuck
  register: images

- name: Launch replacements from them
  cloudfleet.lifecycle.instance_clone:
    cloud: aws
    region: us-east-1
    instance_ids: "{{ stuck_ids }}"
    image_ids: "{{ images.image_ids }}"

- name: No image can be made of an ECS instance - snapshot every disk ...
  cloudfleet.lifecycle.instance_snapshot:
    cloud: alicloud
    region: cn-hangzhou
    instance_ids: "{{ stuck_ids }}"
    snapshot_tag: replace-stuck

- name: ... and make the image from those snapshots (found again by its name, replace-stuck-ID-snap)
  cloudfleet.lifecycle.instance_image:
    cloud: alicloud
    region: cn-hangzhou
    instance_ids: "{{ stuck_ids }}"
    name: replace-stuck
    source: snapshots
    snapshot_tag: replace-stuck
  register: images_from_snapshots

- name: Launch replacements from those images
  cloudfleet.lifecycle.instance_clone:
    cloud: alicloud
    region: cn-hangzhou
    instance_ids: "{{ stuck_ids }}"
    image_ids: "{{ images_from_snapshots.image_ids }}"

- name: Delete the images (and their EBS snapshots) afterwards
  cloudfleet.lifecycle.instance_image:
    cloud: aws
    region: us-east-1
    instance_ids: "{{ stuck_ids }}"
    name: replace-stuck
    state: absent
    delete_snapshots: true
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
images:
  description: Per instance id, its image (found, made, or with O(state=absent) deleted).
  returned: always
  type: dict
  sample: {"i-0123456789abcdef0": {"image_id": "ami-0123456789abcdef0", "name": "replace-stuck-i-0123456789abcdef0", "state": "available"}}
  contains:
    image_id:
      description: The image id.
      type: str
    name:
      description: The image name, C(NAME-INSTANCE_ID) (C(NAME-INSTANCE_ID-snap) with O(source=snapshots)).
      type: str
    state:
      description: V(pending), V(available), V(failed), or V(absent) once deleted.
      type: str
    snapshot_ids:
      description:
        - The snapshots behind the image (EC2 C(BlockDeviceMappings), ECS C(DiskDeviceMappings)), the system disk's first
          for an image made from snapshots; left out when the cloud has not said yet.
      type: list
      elements: str
      returned: when known
image_ids:
  description: Per instance id, its image id; give it to M(cloudfleet.lifecycle.instance_clone) as O(cloudfleet.lifecycle.instance_clone#module:image_ids).
  returned: always
  type: dict
  sample: {"i-0123456789abcdef0": "ami-0123456789abcdef0"}
"""

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import image as operation
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import LifecycleModule
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import run_module


# Its own options, as its DOCUMENTATION has them; LifecycleModule adds the doc fragments' (common and FRAGMENTS).
ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    source=dict(type="str", default="instance", choices=["instance", "snapshots"]),
    snapshot_tag=dict(type="str"),
    tags=dict(type="dict"),
    delete_snapshots=dict(type="bool", default=False),
)
FRAGMENTS = ("batch", "not_found")


def main():
    module = LifecycleModule(ARGUMENT_SPEC, FRAGMENTS, supports_check_mode=True)
    run_module(module, operation.run)


if __name__ == "__main__":
    main()
