#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: instance_stop
short_description: Stop EC2 or ECS instances in batches and wait until they are stopped
version_added: 0.1.0
description:
  - Stops any number of Amazon EC2 or Alibaba Cloud ECS instances, at most 100 ids to an API call
    (EC2 C(StopInstances), ECS C(StopInstances) with C(BatchOptimization=SuccessFirst)), then waits for them,
    describing at most 100 ids a call each poll round. 500 ids make at most 5 stop calls.
  - An instance already V(stopped) is left alone (unchanged).
  - An instance already V(stopping) is waited for, never an error.
  - A V(pending) (ECS C(Starting)/C(Pending)) instance is waited for until it is V(running), then stopped
    (even with O(wait=false), as it cannot be stopped before).
  - A V(terminated) or V(shutting-down) instance cannot be stopped and fails the task for that id.
  - An id the cloud does not know is listed in RV(not_found_ids) with a warning, nothing is sent for it, and it fails
    the task only with O(fail_on_not_found=true).
  - A per-instance error from the cloud (for example hibernation not configured) is reported for that id in
    RV(failures) and fails the task; the other instances are still stopped.
  - If the wait times out the task fails, names each instance with the state it is stuck in, and says what to do
    (stop again with O(force=true), or replace the stuck instance).
author:
  - cloudfleet.lifecycle developers (@cloudfleet)
extends_documentation_fragment:
  - cloudfleet.lifecycle.common
  - cloudfleet.lifecycle.common.batch
  - cloudfleet.lifecycle.common.not_found
options:
  force:
    description:
      - Stop without letting the guest flush its caches (EC2 C(Force), ECS C(ForceStop)), like pulling the plug.
      - Use it for an instance stuck in V(stopping), as the clouds advise. With O(force=true) an instance already
        V(stopping) is sent a forced stop; without it the module only waits for it.
      - Cannot be combined with O(hibernate).
    type: bool
    default: false
  hibernate:
    description:
      - Hibernate instead of a plain stop (the RAM is saved to disk). The instance must have been launched with hibernation
        configured; otherwise the cloud's own error is reported for that id.
      - EC2 only. On ECS it is refused before any call - the C(Hibernate) parameter of C(StopInstance) is in invitational
        preview and not available (its API reference); O(stopped_mode=stop_charging) is the ECS way to stop paying for
        a stopped instance's compute.
    type: bool
    default: false
  stopped_mode:
    description:
      - ECS only. V(keep_charging) keeps the instance's resources reserved (and billed);
        V(stop_charging) releases vCPU and memory so they are not billed (the instance may not get them back at start).
      - An error with O(cloud=aws).
    type: str
    choices: [keep_charging, stop_charging]
attributes:
  check_mode:
    support: full
    description: Sends C(StopInstances) with C(DryRun) for the running instances; pending ones are predicted as changed.
seealso:
  - module: cloudfleet.lifecycle.instance_release
  - module: cloudfleet.lifecycle.instance_state_info
"""

EXAMPLES = r"""
- name: Stop a batch of EC2 instances and wait until they are stopped
  cloudfleet.lifecycle.instance_stop:
    cloud: aws
    region: us-east-1
    instance_ids: "{{ ec2_ids }}"
    wait_timeout: 900

- name: Stop ECS instances without keeping their compute billed
  cloudfleet.lifecycle.instance_stop:
    cloud: alicloud
    region: cn-hangzhou
    instance_ids:
      - i-bp1abcdefghij0123456
    stopped_mode: stop_charging

- name: Force-stop instances stuck in stopping
  cloudfleet.lifecycle.instance_stop:
    cloud: aws
    instance_ids: "{{ stuck_ids }}"
    force: true

- name: Hibernate, against the local sandbox
  cloudfleet.lifecycle.instance_stop:
    cloud: aws
    region: us-east-1
    endpoint_url: http://127.0.0.1:5000
    instance_ids: [i-0123456789abcdef0]
    hibernate: true
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
"""

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import stop as operation
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import LifecycleModule
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import run_module


# Its own options, as its DOCUMENTATION has them; LifecycleModule adds the doc fragments' (common and FRAGMENTS).
ARGUMENT_SPEC = dict(
    force=dict(type="bool", default=False),
    hibernate=dict(type="bool", default=False),
    stopped_mode=dict(type="str", choices=["keep_charging", "stop_charging"]),
)
FRAGMENTS = ("batch", "not_found")


def main():
    module = LifecycleModule(ARGUMENT_SPEC, FRAGMENTS, supports_check_mode=True)
    run_module(module, operation.run)


if __name__ == "__main__":
    main()
