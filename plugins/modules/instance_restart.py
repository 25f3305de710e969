#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: instance_restart
short_description: Reboot running EC2 or ECS instances in batches and see each reboot happen
version_added: 0.2.0
description:
  - Reboots any number of running Amazon EC2 or Alibaba Cloud ECS instances, at most 100 ids to an API call
    (EC2 C(RebootInstances), ECS C(RebootInstances) with C(BatchOptimization=SuccessFirst)).
  - Only V(running) instances are rebooted. Any other state fails the task for that id and nothing is sent for it
    (a stopped instance is started with M(cloudfleet.lifecycle.instance_start), not here).
  - B(How a reboot is seen), per cloud, reported per instance in RV(reboots).
    ECS goes C(Starting) then C(Running) and moves C(StartTime) - a poll that finds the instance not running (V(state))
    or a new C(StartTime) (V(start_time)) is the reboot, and the task waits until it runs again. C(StartTime) has
    minute precision, so a reboot quicker than the polls within the same minute leaves no trace; after 10 seconds it is
    taken on C(RebootInstances)' word (V(accepted)) with a warning.
    EC2 keeps the instance V(running) and its launch time through a reboot; the call's acceptance is what EC2 gives
    (V(accepted)). With O(wait_for_health=true) the status checks are watched until V(ok), and a check seen not ok on
    the way is recorded (V(status_checks)).
  - An id the cloud does not know is listed in RV(not_found_ids) with a warning, nothing is sent for it, and it fails
    the task only with O(fail_on_not_found=true).
author:
  - cloudfleet.lifecycle developers (@cloudfleet)
extends_documentation_fragment:
  - cloudfleet.lifecycle.common
  - cloudfleet.lifecycle.common.batch
  - cloudfleet.lifecycle.common.not_found
options:
  force:
    description:
      - The cloud's forced reboot. ECS C(ForceReboot=true) - like a power cycle, data not yet written to disk is lost.
        EC2 has no forced reboot in its API - it hard-reboots by itself an instance that does not shut down cleanly within
        four minutes - so the same C(RebootInstances) is sent.
    type: bool
    default: false
  wait_for_health:
    description:
      - After the reboot, also wait until the instances are healthy - EC2 instance and system status checks both V(ok),
        ECS C(HealthStatus) V(Ok). An instance not healthy within O(wait_timeout) fails the task.
      - Only with O(wait=true).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description:
      - Sends C(RebootInstances) with C(DryRun) for the running instances (ECS answers a passing batch dry run
        C(DRYRUN.SUCCESS)). No mutating call is made.
seealso:
  - module: cloudfleet.lifecycle.instance_start
  - module: cloudfleet.lifecycle.instance_command
"""

EXAMPLES = r"""
- name: Reboot a fleet and wait until each is seen back and healthy
  cloudfleet.lifecycle.instance_restart:
    cloud: alicloud
    region: cn-hangzhou
    instance_ids: "{{ ecs_ids }}"
    wait_for_health: true

- name: Power-cycle ECS instances that hang
  cloudfleet.lifecycle.instance_restart:
    cloud: alicloud
    region: cn-hangzhou
    instance_ids: "{{ hung_ids }}"
    force: true
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
    health:
      description:
        - With O(wait_for_health=true), the instance's health as last read (the same shape as
          M(cloudfleet.lifecycle.instance_state_info)'s C(health)).
      returned: with O(wait_for_health=true)
      type: dict

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
reboots:
  description:
    - Each rebooted id and what showed its reboot - V(state) (ECS was seen C(Starting)), V(start_time) (ECS C(StartTime)
      moved), V(status_checks) (EC2 status checks seen not ok after the call), V(accepted) (the cloud accepted
      C(RebootInstances); all EC2 gives unless its checks dipped, or an ECS reboot too quick to be seen).
  returned: always
  type: dict
  sample: {"i-bp1abcdefghij0123456": "state"}
"""

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import restart as operation
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import LifecycleModule
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import run_module


# Its own options, as its DOCUMENTATION has them; LifecycleModule adds the doc fragments' (common and FRAGMENTS).
ARGUMENT_SPEC = dict(
    force=dict(type="bool", default=False),
    wait_for_health=dict(type="bool", default=False),
)
FRAGMENTS = ("batch", "not_found")


def main():
    module = LifecycleModule(ARGUMENT_SPEC, FRAGMENTS, supports_check_mode=True)
    run_module(module, operation.run)


if __name__ == "__main__":
    main()
