#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: auto_release_time
short_description: Set or cancel the time at which instances are released automatically
version_added: 0.1.0
description:
  - Sets, changes or cancels the automatic release time of instances.
  - B(ECS) has an API for it, C(ModifyInstanceAutoReleaseTime); the time set is read back from
    C(DescribeInstances.AutoReleaseTime) and reported.
  - B(EC2 has no such API.) On EC2 the time is recorded as the tag C(cloudfleet:auto-release-time) with the same
    format (C(YYYY-MM-DDTHH:MM:SSZ)). EC2 itself does nothing with it; M(cloudfleet.lifecycle.instance_state_info)
    reports it as C(auto_release_time) the same way as on ECS, and a reaper (a scheduled playbook) has to act on it.
  - The time follows the ECS rules on both clouds, checked before any API call is made - ISO 8601 UTC, seconds rounded
    down to the minute, at least 30 minutes and at most 3 years ahead.
  - An instance that already has exactly this time is unchanged.
  - B(Protection.) A scheduled release ignores deletion protection on ECS (protection guards C(DeleteInstance(s)) only;
    the cloud releases the instance at its time), and M(cloudfleet.lifecycle.instance_release) honours EC2 termination
    protection while C(playbooks/release_expired.yml) skips protected instances. So a protected instance is B(refused)
    (code V(DeletionProtection), listed in RV(protected_ids), the task fails) unless O(disable_protection=true), which
    turns protection off first so that the instance says what will happen to it. The others are scheduled.
    On EC2 termination protection is not in C(DescribeInstances); it is read with C(DescribeInstanceAttribute),
    one call per instance (8 at a time), only for the instances that would get a new time.
    Cancelling (O(state=absent)) is always allowed and reads nothing.
  - An id the cloud does not know is reported in RV(not_found_ids), never as released (see O(fail_on_not_found)).
author:
  - cloudfleet.lifecycle developers (@cloudfleet)
extends_documentation_fragment:
  - cloudfleet.lifecycle.common
  - cloudfleet.lifecycle.common.not_found
options:
  instance_ids:
    description:
      - The instances, any number of them. EC2 tags are written at most 100 ids a call; ECS takes one call per instance.
    type: list
    elements: str
    required: true
  release_at:
    description:
      - The release time, ISO 8601 in UTC, for example V(2026-12-01T06:00:00Z). An explicit offset such as V(+08:00)
        is converted to UTC; a time without a zone is refused.
      - Seconds are rounded down to the minute, as ECS does.
      - Mutually exclusive with O(release_in).
    type: str
  release_in:
    description:
      - The release time as a duration from now - a whole number and V(m), V(h) or V(d), for example V(90m), V(6h), V(3d).
      - Rounded up to the next whole minute. Because it counts from now, a second run sets a later time and reports
        a change; use O(release_at) for a task that must be idempotent.
      - Mutually exclusive with O(release_at).
    type: str
  state:
    description:
      - V(present) sets the time; V(absent) cancels the automatic release (ECS without a time, EC2 removes the tag).
    type: str
    default: present
    choices: [present, absent]
  disable_protection:
    description:
      - Turn deletion/termination protection off on the protected instances (ECS and EC2 C(ModifyInstanceAttribute)),
        then schedule their release too. Without it they are refused and listed in RV(protected_ids).
      - Only with O(state=present).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description:
      - EC2 sends C(CreateTags)/C(DeleteTags) with C(DryRun).
      - ECS C(ModifyInstanceAutoReleaseTime) has no C(DryRun), so nothing is sent; the change is predicted.
      - Protection is read in check mode as in a real run, so the refusals are predicted too.
seealso:
  - module: cloudfleet.lifecycle.instance_release
  - module: cloudfleet.lifecycle.instance_state_info
"""

EXAMPLES = r"""
- name: Release these ECS instances on 1 June 2027 at 06:00 UTC
  cloudfleet.lifecycle.auto_release_time:
    cloud: alicloud
    region: cn-hangzhou
    instance_ids: "{{ ecs_ids }}"
    release_at: "2027-06-01T06:00:00Z"

- name: Mark EC2 instances for release in 6 hours (tag cloudfleet:auto-release-time)
  cloudfleet.lifecycle.auto_release_time:
    cloud: aws
    region: us-east-1
    instance_ids: "{{ ec2_ids }}"
    release_in: 6h

- name: Cancel the automatic release
  cloudfleet.lifecycle.auto_release_time:
    cloud: alicloud
    region: cn-hangzhou
    instance_ids: "{{ ecs_ids }}"
    state: absent
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
    - With C(--diff), the auto-release time before and after (predicted, in check mode) of each instance this task changes.
  returned: with --diff
  type: dict
  sample: {"before": {"i-0123456789abcdef0": {"auto_release_time": null}}, "after": {"i-0123456789abcdef0": {"auto_release_time": "2026-12-01T06:00:00Z"}}}
auto_release_time:
  description: The time that was asked for, as C(YYYY-MM-DDTHH:MM:SSZ); null for O(state=absent).
  returned: always
  type: str
  sample: "2026-12-01T06:00:00Z"
protected_ids:
  description:
    - The ids refused because deletion/termination protection is on and O(disable_protection) was not given.
      Each has a RV(failures) entry with the code V(DeletionProtection); they keep the time they had.
  returned: always
  type: list
  elements: str
  sample: [i-bp1abcdefghij0123456]
protection_disabled_ids:
  description: The ids whose protection this task turned off (in check mode, would turn off) before scheduling their release.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import auto_release as operation
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import LifecycleModule
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import run_module


# Its own options, as its DOCUMENTATION has them; LifecycleModule adds the doc fragments' (common and FRAGMENTS).
ARGUMENT_SPEC = dict(
    instance_ids=dict(type="list", elements="str", required=True),
    release_at=dict(type="str"),
    release_in=dict(type="str"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    disable_protection=dict(type="bool", default=False),
)
FRAGMENTS = ("not_found",)


def main():
    module = LifecycleModule(ARGUMENT_SPEC, FRAGMENTS, supports_check_mode=True)
    run_module(module, operation.run)


if __name__ == "__main__":
    main()
