#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: instance_release
short_description: Release (EC2 terminate, ECS delete) instances in batches
version_added: 0.1.0
description:
  - Releases Amazon EC2 instances (C(TerminateInstances)) or Alibaba Cloud ECS instances (C(DeleteInstances)),
    at most 100 ids to a call, and waits until they are gone (V(terminated)).
  - By default only V(stopped) instances are released. Any other state is refused for that id with the reason,
    the task fails and lists the refusals; the stopped instances in the same task are still released,
    and nothing is released that was not asked for. O(force=true) releases running instances too (ECS C(Force)).
  - An instance with termination/deletion protection is refused for that id with a clear message, unless
    O(disable_protection=true), which turns protection off first (EC2 C(ModifyInstanceAttribute DisableApiTermination),
    ECS C(ModifyInstanceAttribute DeletionProtection)) and lists those ids in RV(protection_disabled_ids).
  - An instance the cloud shows as V(terminated) or V(shutting-down) is unchanged. An id the cloud does not know is
    B(not) reported as released - it reads V(not-found), is listed in RV(not_found_ids) with a warning, and fails the task
    only with O(fail_on_not_found=true). So a second run after a real release is a no-op and succeeds (ECS forgets a
    released instance at once), while a wrong region or account is plain to see.
  - Outcomes are read, not assumed. When C(TerminateInstances) / C(DeleteInstances) refuses a batch, the refused ids are
    described again - EC2 terminates the instances of the other Availability Zones even when a protected one fails
    the call - and those the cloud is terminating count as released.
  - Released data is gone for good. Snapshot the disks first if the data must be kept.
author:
  - cloudfleet.lifecycle developers (@cloudfleet)
extends_documentation_fragment:
  - cloudfleet.lifecycle.common
  - cloudfleet.lifecycle.common.batch
  - cloudfleet.lifecycle.common.not_found
options:
  force:
    description:
      - Release instances that are not stopped (V(running), V(pending), V(stopping)) as well. On ECS this sends C(Force=true).
    type: bool
    default: false
  disable_protection:
    description:
      - Turn termination/deletion protection off for the protected instances before releasing them.
      - Without it a protected instance is refused (and fails the task) but never released.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description:
      - Sends C(TerminateInstances)/C(DeleteInstances) with C(DryRun).
      - ECS C(ModifyInstanceAttribute) has no C(DryRun), so turning protection off is only predicted, not sent.
      - On EC2, where C(DescribeInstances) does not report termination protection, check mode reads it with
        C(DescribeInstanceAttribute) (one read call per candidate, 8 at a time), so the refusals are predicted.
        A real run learns it from C(TerminateInstances) itself and makes no extra call.
seealso:
  - module: cloudfleet.lifecycle.instance_stop
  - module: cloudfleet.lifecycle.auto_release_time
"""

EXAMPLES = r"""
- name: Release stopped EC2 instances
  cloudfleet.lifecycle.instance_release:
    cloud: aws
    region: us-east-1
    instance_ids: "{{ ec2_ids }}"

- name: Release ECS instances even if they still run, and even if protected
  cloudfleet.lifecycle.instance_release:
    cloud: alicloud
    region: cn-hangzhou
    instance_ids: "{{ ecs_ids }}"
    force: true
    disable_protection: true

- name: Stop, then release (the safe order)
  block:
    - name: Stop
      cloudfleet.lifecycle.instance_stop:
        cloud: aws
        instance_ids: "{{ ids }}"
    - name: Release
      cloudfleet.lifecycle.instance_release:
        cloud: aws
        instance_ids: "{{ ids }}"
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
diff:
  description:
    - With C(--diff), the state before and after (predicted, in check mode) of each instance this task changes.
  returned: with --diff
  type: dict
  sample: {"before": {"i-0123456789abcdef0": {"state": "running"}}, "after": {"i-0123456789abcdef0": {"state": "stopped"}}}
protection_disabled_ids:
  description: The ids whose termination/deletion protection this task turned off (in check mode, would turn off).
  returned: always
  type: list
  elements: str
  sample: [i-0123456789abcdef0]
protected_ids:
  description:
    - The ids refused because termination/deletion protection is on and O(disable_protection) was not given.
    - Their entries in RV(failures) have the code V(DeletionProtection) on both clouds. EC2 reports termination
      protection only when asked to terminate, so on EC2 they are found by the refused call itself.
  returned: always
  type: list
  elements: str
  sample: [i-bp1abcdefghij0123456]
"""

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import release as operation
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import LifecycleModule
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import run_module


# Its own options, as its DOCUMENTATION has them; LifecycleModule adds the doc fragments' (common and FRAGMENTS).
ARGUMENT_SPEC = dict(
    force=dict(type="bool", default=False),
    disable_protection=dict(type="bool", default=False),
)
FRAGMENTS = ("batch", "not_found")


def main():
    module = LifecycleModule(ARGUMENT_SPEC, FRAGMENTS, supports_check_mode=True)
    run_module(module, operation.run)


if __name__ == "__main__":
    main()
