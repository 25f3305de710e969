#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: instance_command
short_description: Run a command on EC2 or ECS instances in rate-controlled waves, then optionally stop or restart them
version_added: 0.2.0
description:
  - Runs a shell, PowerShell or batch script on any number of instances and reports, per instance, its status,
    exit code and output. ECS uses the Cloud Assistant (C(RunCommand), C(DescribeInvocationResults)); EC2 uses
    SSM Run Command (C(SendCommand) with C(AWS-RunShellScript) or C(AWS-RunPowerShellScript), C(ListCommandInvocations)).
  - Rate control as the OOS template for running a command and restarting instances does it. The instances go in
    waves of O(concurrency). A wave is sent with one C(RunCommand) per 100 ids (ECS) or one C(SendCommand) per 50 ids
    (EC2, the most each call takes). Its results are then polled, one paged listing per command and round (50 results
    a page), never one call per instance, every 0.5 s at first, growing to 5 s. Then O(then) is carried out for
    the wave's successes and its errors are counted.
  - When the errors so far exceed O(max_errors), no new wave starts. The instances left are reported as
    V(not_started), and the task fails with a message naming the last wave run, the number of errors and how many
    instances were not started.
    Errors within O(max_errors) do not fail the task. They are listed in RV(failed_ids) and RV(failures) and given as a warning.
  - Errors are commands that did not succeed (V(failed), V(timeout), V(cancelled), V(error)). Instances that are not
    V(running) count as errors too. They are reported with C(IncorrectInstanceState) and the command is never sent to them.
  - Every option is checked before any API call. Then the instances are described (at most 100 ids a call). A command
    type that does not fit an instance's operating system (V(RunShellScript) on Windows, V(RunPowerShellScript) or
    V(RunBatScript) on Linux) fails the task, naming the instances, before anything is sent.
  - If the cloud refuses a call (for example an instance without a running agent, or throttling after the retries),
    no further call is sent. What the wave had already sent is still followed to its end. The refused ids carry
    the cloud's error code, and the task fails with the results gathered so far.
  - "ECS: the content is sent as C(ContentEncoding=PlainText) when it is printable ASCII (with newlines and tabs),
    otherwise as C(Base64) of its UTF-8 bytes. The output is read as Base64 and decoded as UTF-8 (undecodable bytes
    are replaced). A C(ClientToken) makes the SDK's retries of C(RunCommand) idempotent."
  - "EC2: the output is the C(Output) of C(ListCommandInvocations), which SSM cuts at 2500 characters (stdout, then
    stderr after a C(----------ERROR-------) line). C(GetCommandInvocation) returns up to 24000 characters, but it takes
    one call per instance and poll round. This module does not use it, so that 1000 instances never cost 1000 calls a
    round. Write larger output to a file or to S3 (C(OutputS3BucketName) is not exposed)."
author:
  - cloudfleet.lifecycle developers (@cloudfleet)
extends_documentation_fragment:
  - cloudfleet.lifecycle.common
  - cloudfleet.lifecycle.common.not_found
options:
  instance_ids:
    description:
      - The instances to run the command on, any number of them. Duplicates are ignored.
      - EC2 ids look like V(i-0123456789abcdef0), ECS ids like V(i-bp1abcdefghij0123456).
    type: list
    elements: str
    required: true
  content:
    description:
      - The script to run. It must not be empty or only whitespace.
      - ECS takes up to 24 KB once Base64-encoded. SSM takes it as the one line of the document's C(commands).
    type: str
    required: true
  command_type:
    description:
      - V(RunShellScript) for Linux, V(RunPowerShellScript) or V(RunBatScript) for Windows.
      - On EC2 V(RunShellScript) runs the SSM document C(AWS-RunShellScript) and V(RunPowerShellScript) runs
        C(AWS-RunPowerShellScript). V(RunBatScript) is ECS only.
    type: str
    default: RunShellScript
    choices: [RunShellScript, RunPowerShellScript, RunBatScript]
  timeout:
    description:
      - How many seconds the command may run on an instance before the cloud stops it and reports V(timeout)
        (ECS C(Timeout), SSM C(executionTimeout)). At least 1.
    type: int
    default: 60
  working_dir:
    description:
      - The directory the command runs in (ECS C(WorkingDir), SSM C(workingDirectory)). It must exist on the instance.
      - The default is the cloud's own, for example C(/root) on ECS Linux.
    type: str
  username:
    description:
      - ECS only. The user that runs the command (C(Username)). The default is root on Linux and System on Windows.
      - An error with O(cloud=aws), because SSM's documents run as root or SYSTEM.
    type: str
  then:
    description:
      - What to do with each instance once the command has succeeded on it. V(none) leaves it alone.
        V(stop) stops it and waits until it is V(stopped). V(restart) reboots it and waits until it is V(running) again.
      - Only instances whose command succeeded are stopped or restarted.
      - "ECS: the Cloud Assistant does it itself, as its documentation recommends. The script is wrapped so that it ends with
        exit code 193 (stop) or 194 (restart) on Linux, and 3009 or 3010 on Windows, but only when the content
        succeeded. The agent reports the result, then stops or reboots the instance. A shell content runs in a subshell,
        so an C(exit N) in it keeps its non-zero status and C(exit 0) still leads to the stop or restart. A shell
        C(#!) line is kept first. Content naming another interpreter (for example C(#!/usr/bin/python3)) is refused with
        O(then). PowerShell and Bat content ends in that exit code, unless its last command failed. There an explicit
        C(exit) ends the script before it, which is reported as C(ThenNotRun)."
      - "ECS: the exit code that carried the stop or restart is reported as the raw RV(results[].exit_code) (for example
        V(194)) with RV(results[].status=success)."
      - "ECS: a restart counts once it has been seen and the instance is V(running) again. It is seen when a poll finds the
        instance not running, or when its C(StartTime) differs from the one read before the command. Otherwise the
        instance fails with C(WaitTimeout) when O(wait_timeout) runs out."
      - "ECS: C(StartTime) has minute precision. For an instance whose C(StartTime) is in the same minute as the command's
        start, a reboot quicker than the polls leaves no trace. Such an instance is watched for 10 seconds, then taken
        as restarted on the agent's exit code, with a warning naming it."
      - "EC2: the module calls C(StopInstances) or C(RebootInstances) for the wave's successes (at most 100 ids a call).
        EC2 keeps an instance V(running) through a reboot, so the module cannot see the reboot itself. It relies on
        C(RebootInstances) having been accepted and on the instance being V(running)."
    type: str
    default: none
    choices: [none, stop, restart]
  concurrency:
    description:
      - How many instances one wave holds, either a number (1 or more) or a percentage of the targets from V(1%) to V(100%).
      - The targets are all the distinct ids given, running or not. A percentage is rounded down, with at least 1.
        For example V(10%) of 25 targets is 2 a wave and V(10%) of 5 targets is 1.
    type: str
    default: "10"
  max_errors:
    description:
      - How many errors are tolerated before no new wave starts, either a number (0 or more) or a percentage of the targets
        from V(0%) to V(100%), rounded down. For example V(10%) of 25 targets is 2 and V(10%) of 5 targets is 0.
      - With V(0) (the default) the first error stops the run after its wave.
    type: str
    default: "0"
  wait_timeout:
    description:
      - The most one wave may take, in seconds, for its command results and, with O(then), for its instances to be
        V(stopped) or V(running) again. At least 1. Give more than O(timeout).
      - Exceeding it fails those instances with the code C(WaitTimeout) (and counts them as errors). A command still
        running is not cancelled. On EC2 the delivery timeout (C(TimeoutSeconds)) is set to this value, at least 30.
    type: int
    default: 600
attributes:
  check_mode:
    support: full
    description:
      - Describes the instances, checks every option and the operating systems, and returns the planned RV(waves).
        Nothing is sent (no C(RunCommand), C(SendCommand), C(StopInstances) or C(RebootInstances), which have no
        C(DryRun) that checks the agents). C(changed) is true if anything would run.
notes:
  - SSM needs the instances to be managed nodes (SSM agent running, an instance profile allowing SSM). Otherwise
    C(SendCommand) refuses the whole call with C(InvalidInstanceId). ECS needs the Cloud Assistant agent.
  - O(endpoint_url) (or E(AWS_ENDPOINT_URL)) is used for SSM as well as EC2. The SSM client is made only by this module.
seealso:
  - module: cloudfleet.lifecycle.instance_stop
  - module: cloudfleet.lifecycle.instance_state_info
"""

EXAMPLES = r"""
- name: Run a script on a fleet, two instances at a time, stopping at the first failure
  cloudfleet.lifecycle.instance_command:
    cloud: alicloud
    region: cn-hangzhou
    instance_ids: "{{ ecs_ids }}"
    content: |
      set -e
      yum -y update openssl
      openssl version
    timeout: 600
    concurrency: "2"
    max_errors: "0"
  register: patched

- name: Show each instance's output
  ansible.builtin.debug:
    msg: "{{ item.id }}: {{ item.status }} ({{ item.exit_code }}) {{ item.output }}"
  loop: "{{ patched.results }}"

- name: Update, then restart, 10% of the fleet at a time, tolerating 5% errors
  cloudfleet.lifecycle.instance_command:
    cloud: aws
    region: us-east-1
    instance_ids: "{{ ec2_ids }}"
    content: apt-get -y upgrade
    timeout: 1800
    wait_timeout: 2400
    then: restart
    concurrency: "10%"
    max_errors: "5%"

- name: PowerShell on Windows instances, then stop them
  cloudfleet.lifecycle.instance_command:
    cloud: alicloud
    instance_ids: "{{ windows_ids }}"
    command_type: RunPowerShellScript
    content: Get-Service | Where-Object Status -eq Running
    then: stop

- name: What would run (check mode plans the waves, sends nothing)
  cloudfleet.lifecycle.instance_command:
    cloud: aws
    instance_ids: "{{ ec2_ids }}"
    content: uptime
    concurrency: "25%"
  check_mode: true
  register: plan
"""

RETURN = r"""
results:
  description:
    - One entry per instance, in the order the ids were given.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The instance id.
      type: str
      sample: i-0123456789abcdef0
    wave:
      description: The 1-based wave the instance ran in (in check mode, would run in); null if it was not sent.
      type: int
      sample: 1
    status:
      description:
        - V(success) (exit code 0), V(failed) (non-zero exit code),
          V(timeout) (the cloud stopped it after O(timeout); ECS C(Timeout), SSM C(TimedOut)), V(cancelled),
          V(not_started) (a wave that never started, or check mode), V(not_found) (the cloud does not know the instance;
          nothing was sent, and it does not count against O(max_errors) unless O(fail_on_not_found=true), which makes it
          V(error) with the code V(NotFound)), or V(error).
        - V(error) covers a command that never ran on the instance (ECS C(Invalid), C(Aborted), C(Error); SSM
          C(Undeliverable)), an instance that was not running, a refused call, C(WaitTimeout) and a failed O(then).
      type: str
      choices: [success, failed, timeout, cancelled, not_started, not_found, error]
      sample: success
    raw_status:
      description: The cloud's own word (ECS C(InvocationStatus), SSM C(Status)); null if there was none.
      type: str
      sample: Success
    exit_code:
      description:
        - The script's own exit code, the same meaning on both clouds; null when it did not finish.
        - With O(then) on ECS the script is wrapped so that it ends with the Cloud Assistant's code (193/194 Linux,
          3009/3010 Windows) only when it succeeded; that code is reported in RV(results[].then_exit_code), and
          C(exit_code) is then V(0), as EC2 reports the same script.
      type: int
      sample: 0
    then_exit_code:
      description:
        - On ECS with O(then), the Cloud Assistant exit code that carried O(then) out (V(193), V(194), V(3009), V(3010)),
          as the cloud reported it; null otherwise, and always null on EC2 (where the module calls
          C(StopInstances) / C(RebootInstances) itself).
      type: int
      sample: 194
    output:
      description: The output, decoded (ECS up to 24 KB, SSM up to 2500 characters); empty if there was none.
      type: str
      sample: "hello\n"
    error_code:
      description:
        - Null on success. Otherwise the cloud's code (ECS C(ErrorCode), SSM C(StatusDetails) when it says more than
          C(Status)), or C(ExitCodeNonzero), C(ExecutionTimeout), C(Cancelled), C(CommandError), C(IncorrectInstanceState),
          C(WaitTimeout), C(ThenNotRun), or the code of a refused call.
      type: str
      sample: ExitCodeNonzero
    error_message:
      description: What happened, or why the instance was not started; null on success.
      type: str
      sample: the command exited with 3
    request_id:
      description: The request id of a refused call, when that is why the instance failed; else null.
      type: str
      sample: null
    invocation_id:
      description: The ECS C(InvokeId) or SSM C(CommandId) the command ran under; null if it was not sent.
      type: str
      sample: t-hz0jdfwd9f0a1b2
    then_state:
      description: The instance's state after O(then) (V(stopped) or V(running)); null without O(then) or when it was not carried out.
      type: str
      sample: running
succeeded_ids:
  description: The ids whose status is V(success).
  returned: always
  type: list
  elements: str
  sample: [i-0123456789abcdef0]
failed_ids:
  description: The ids whose status is V(failed), V(timeout), V(cancelled) or V(error); the errors counted against O(max_errors).
  returned: always
  type: list
  elements: str
  sample: []
not_started_ids:
  description: The running ids the command was not sent to because the run stopped (and, in check mode, every planned id).
  returned: always
  type: list
  elements: str
  sample: []
not_found_ids:
  description:
    - The ids the cloud does not know in this region and account (status V(not_found)); the command was not sent to them.
    - A warning names them; with O(fail_on_not_found=true) they are errors (code V(NotFound)) instead.
  returned: always
  type: list
  elements: str
  sample: []
changed_ids:
  description: The ids the command was sent to (in check mode, would be sent to).
  returned: always
  type: list
  elements: str
  sample: [i-0123456789abcdef0]
unchanged_ids:
  description: The ids the command was not sent to, which are RV(not_started_ids) plus the instances that were not running.
  returned: always
  type: list
  elements: str
  sample: []
waves:
  description: The waves that ran, each a list of ids (in check mode, the planned waves).
  returned: always
  type: list
  elements: list
  sample: [[i-0123456789abcdef0, i-0123456789abcdef1], [i-0123456789abcdef2]]
planned_waves:
  description: Every wave planned from the running instances and O(concurrency), whether it ran or not.
  returned: always
  type: list
  elements: list
  sample: [[i-0123456789abcdef0, i-0123456789abcdef1], [i-0123456789abcdef2]]
rate_control:
  description: What O(concurrency) and O(max_errors) came to for these targets.
  returned: always
  type: dict
  sample: {"targets": 10, "concurrency": 2, "max_errors": 2}
failures:
  description:
    - One entry per id in RV(failed_ids), with the code, message and request id of its result.
    - Unlike the other modules, a non-empty list does not by itself fail the task. Errors within O(max_errors) are tolerated.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "i-0123456789abcdef0", "code": "ExitCodeNonzero", "message": "the command exited with 3", "request_id": null}]
instances:
  description:
    - One record per instance after the run, in the order the ids were given, with the same keys as every module returns.
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
error:
  description: The API error that stopped the run, or the first failure, for a task that failed.
  returned: failure
  type: dict
  sample: {"code": "InvalidInstanceId", "message": "Instances not in a valid state for account", "request_id": "5b1f..."}
"""

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import command as operation
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import LifecycleModule
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.lifecycle import run_module


# Its own options, as its DOCUMENTATION has them; LifecycleModule adds the doc fragments' (common and FRAGMENTS).
ARGUMENT_SPEC = dict(
    instance_ids=dict(type="list", elements="str", required=True),
    content=dict(type="str", required=True),
    command_type=dict(type="str", default="RunShellScript", choices=["RunShellScript", "RunPowerShellScript", "RunBatScript"]),
    timeout=dict(type="int", default=60),
    working_dir=dict(type="str"),
    username=dict(type="str"),
    then=dict(type="str", default="none", choices=["none", "stop", "restart"]),
    concurrency=dict(type="str", default="10"),
    max_errors=dict(type="str", default="0"),
    wait_timeout=dict(type="int", default=600),
)
FRAGMENTS = ("not_found",)


def main():
    module = LifecycleModule(ARGUMENT_SPEC, FRAGMENTS, supports_check_mode=True)
    run_module(module, operation.run)


if __name__ == "__main__":
    main()
