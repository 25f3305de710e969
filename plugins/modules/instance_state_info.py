#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: instance_state_info
short_description: Report the state (and optionally health and scheduled events) of EC2 or ECS instances
version_added: 0.1.0
description:
  - Returns the normalized record of each instance, the same shape on both clouds, by ids or by filters.
  - EC2 state codes are read by their low byte only, so codes above 255 still map right.
  - An id the cloud does not know (in this region and account) reads V(not-found), never V(terminated), and is listed in
    RV(not_found_ids) with a warning. A released ECS instance is such an id (ECS forgets it at once); an EC2 instance
    reads V(terminated) for about an hour after termination, then it is not found either.
  - With O(include_health=true) each record gets C(health) - EC2 C(DescribeInstanceStatus) with
    C(IncludeAllInstances), ECS C(DescribeInstancesFullStatus) - the same shape on both.
  - Never changes anything.
author:
  - cloudfleet.lifecycle developers (@cloudfleet)
extends_documentation_fragment:
  - cloudfleet.lifecycle.common
  - cloudfleet.lifecycle.common.not_found
options:
  instance_ids:
    description:
      - The instances to report on, any number (described at most 100 a call).
      - If not given, all instances in the region that match O(filters) are listed.
    type: list
    elements: str
  filters:
    description:
      - Narrow the instances down. Keys - C(state) (a normalized state or a list of them) and C(tags) (a dict; each
        tag must have that value).
    type: dict
  include_health:
    description:
      - Add C(health) to each record.
    type: bool
    default: false
  include_protection:
    description:
      - Fill C(deletion_protection) on EC2 too. EC2 C(DescribeInstances) does not report termination protection, and EC2
        has no batch read of it - this makes one C(DescribeInstanceAttribute) call per instance that still exists
        (8 at a time). ECS reports C(DeletionProtection) in C(DescribeInstances), at no extra cost, with or without this.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Makes only read calls, in check mode as in a normal run.
seealso:
  - module: cloudfleet.lifecycle.instance_stop
"""

EXAMPLES = r"""
- name: State of some EC2 instances
  cloudfleet.lifecycle.instance_state_info:
    cloud: aws
    region: us-east-1
    instance_ids: "{{ ec2_ids }}"
  register: fleet

- name: Running ECS instances of the web tier, with health and scheduled events
  cloudfleet.lifecycle.instance_state_info:
    cloud: alicloud
    region: cn-hangzhou
    filters:
      state: running
      tags:
        tier: web
    include_health: true
  register: web

- name: Which EC2 instances are protected from termination (one extra read per instance)
  cloudfleet.lifecycle.instance_state_info:
    cloud: aws
    region: us-east-1
    instance_ids: "{{ ec2_ids }}"
    include_protection: true
  register: protection

- name: Instances with a scheduled event
  ansible.builtin.debug:
    msg: "{{ web.instances | selectattr('health.events') | map(attribute='id') | list }}"
"""

RETURN = r"""
instances:
  description:
    - One record per instance (the same keys as every module returns), plus C(health) with O(include_health=true).
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
        - Health, with O(include_health=true). Null statuses and no events for a terminated instance.
        - On ECS there is one health status (C(HealthStatus)), reported as both statuses.
      returned: when O(include_health=true)
      type: dict
      contains:
        instance_status:
          description: V(ok), V(impaired), V(initializing), V(insufficient-data), V(not-applicable), ... (lower case).
          type: str
        system_status:
          description: The host's status, the same words; on ECS the same value as C(instance_status).
          type: str
        events:
          description: Scheduled events.
          type: list
          elements: dict
          contains:
            code:
              description: EC2 event C(Code) (for example V(system-reboot)), ECS C(EventType.Name) (for example V(SystemMaintenance.Reboot)).
              type: str
            description:
              description: EC2 C(Description), ECS C(Reason).
              type: str
            not_before:
              description: Earliest start, C(YYYY-MM-DDTHH:MM:SSZ).
              type: str
            not_after:
              description: Latest end, C(YYYY-MM-DDTHH:MM:SSZ); null on ECS, which has none.
              type: str
changed:
  description: Always false.
  returned: always
  type: bool
not_found_ids:
  description:
    - The ids of O(instance_ids) the cloud does not know in this region and account (their records read V(not-found)).
    - A warning names them; with O(fail_on_not_found=true) the task fails instead, each in C(failures) with the code V(NotFound).
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import state_info as operation
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import LifecycleModule
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import run_module


# Its own options, as its DOCUMENTATION has them; LifecycleModule adds the doc fragments' (common and FRAGMENTS).
ARGUMENT_SPEC = dict(
    instance_ids=dict(type="list", elements="str"),
    filters=dict(type="dict"),
    include_health=dict(type="bool", default=False),
    include_protection=dict(type="bool", default=False),
)
FRAGMENTS = ("not_found",)


def main():
    module = LifecycleModule(ARGUMENT_SPEC, FRAGMENTS, supports_check_mode=True)
    run_module(module, operation.run)


if __name__ == "__main__":
    main()
