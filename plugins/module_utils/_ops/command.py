# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance_command: run a script on many instances in rate-controlled waves, then stop or restart them.

The shape is the OOS template's (reference 002): the running targets go in waves of
`concurrency`; each wave is sent (one RunCommand / SendCommand per <= 100 / <= 50 ids), its
results are polled (one paged listing per invocation and round, never one call per instance),
then `then` is carried out for the wave's successes; when the errors so far exceed `max_errors`
no new wave starts.

How `then` is carried out is the provider's `capabilities.command_then`. "agent" (ECS): the Cloud
Assistant's own, the script is wrapped so that it exits 193 / 194 (Linux) or 3009 / 3010 (Windows)
when the user's script succeeded, and the agent stops / reboots the instance after it has reported
the result. "api" (EC2): the module calls StopInstances / RebootInstances for the wave's successes
once their results are in.
"""


import re

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import chunks, merged, waves
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.core import (
    NOT_FOUND_CODE, Runtime, describer, first_read, in_batches, not_found_message, reread,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import CloudError, InputError, TaskFailure, describe_failures
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import validate_ids
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.rate_control import (
    over_limit, parse_concurrency, parse_max_errors,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import NOT_FOUND, parse_time
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.waiting import STOPPED, poll, wait_for
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.base import capabilities_for

COMMAND_TYPES = ("RunShellScript", "RunPowerShellScript", "RunBatScript")
THEN_CHOICES = ("none", "stop", "restart")
OS_OF_TYPE = {"RunShellScript": "linux", "RunPowerShellScript": "windows", "RunBatScript": "windows"}
# The Cloud Assistant's documented exit codes: the agent reports the result, then stops / reboots the instance.
THEN_EXIT_CODES = {("linux", "stop"): 193, ("linux", "restart"): 194, ("windows", "stop"): 3009, ("windows", "restart"): 3010}
# A code for a result the cloud gave none for (ECS uses the same words in ErrorCode).
DEFAULT_CODES = {"failed": "ExitCodeNonzero", "timeout": "ExecutionTimeout", "cancelled": "Cancelled", "error": "CommandError"}
ERROR_STATUSES = ("failed", "timeout", "cancelled", "error")
# How long a restart that cannot be seen through ECS's minute-precision StartTime is looked for
# before the agent's exit code is taken for it (see Waves.wait_restarted).
REBOOT_GRACE_SECONDS = 10
_SHEBANG = re.compile(r"^#!\s*(\S+)(?:\s+(\S+))?")
_SHELLS = ("sh", "bash", "dash", "ksh", "zsh", "ash")


class Command(object):
    """The validated options."""

    def __init__(self, params, ids):
        self.can = capabilities_for(params["cloud"])
        self.ids = ids
        self.content = params["content"]
        self.type = params.get("command_type") or "RunShellScript"
        self.os_type = OS_OF_TYPE[self.type]
        self.timeout = params["timeout"]
        self.working_dir = params.get("working_dir") or None
        self.username = params.get("username") or None
        self.then = params.get("then") or "none"
        self.wait_timeout = params["wait_timeout"]
        self.concurrency = parse_concurrency(params.get("concurrency", "10"), len(ids))
        self.max_errors = parse_max_errors(params.get("max_errors", "0"), len(ids))

    @property
    def then_exit_code(self):
        """The exit code that carries `then` out through the cloud's agent (None when the module does it, or without then)."""
        if self.can.command_then != "agent" or self.then == "none":
            return None
        return THEN_EXIT_CODES[(self.os_type, self.then)]

    def request(self):
        """What the provider sends: the content (wrapped for then through the agent) and the settings."""
        content = self.content
        if self.then_exit_code is not None:
            content = wrap_for_then(content, self.type, self.then_exit_code)
        return {"type": self.type, "content": content, "timeout": self.timeout, "working_dir": self.working_dir,
                "username": self.username, "delivery_timeout": self.wait_timeout}


def _seconds(name, value):
    if value is None or isinstance(value, bool) or int(value) < 1:
        raise InputError("%s must be 1 or more seconds, got %s" % (name, value))
    return int(value)


def shebang_interpreter(content):
    """The program a '#!' first line names ('python3' for '#!/usr/bin/env python3'), or None."""
    match = _SHEBANG.match(content)
    if not match:
        return None
    program = match.group(1).rsplit("/", 1)[-1]
    if program == "env" and match.group(2):
        program = match.group(2).rsplit("/", 1)[-1]
    return program


def validate(params):
    """Every option checked before any API call; returns a Command."""
    ids = validate_ids(params["cloud"], params.get("instance_ids"))
    can = capabilities_for(params["cloud"])
    content = params.get("content")
    if content is None or not str(content).strip():
        raise InputError("content is empty: give the script to run on the instances")
    command_type = params.get("command_type") or "RunShellScript"
    if command_type not in COMMAND_TYPES:
        raise InputError("command_type must be one of %s, got %r" % (", ".join(COMMAND_TYPES), command_type))
    if command_type not in can.command_types:  # RunBatScript on EC2, the one cloud without it
        raise InputError("command_type %s is for cloud=alicloud only; on aws use RunShellScript (AWS-RunShellScript) "
                         "or RunPowerShellScript (AWS-RunPowerShellScript)" % command_type)
    if params.get("username") and not can.command_username:  # EC2's SSM documents take no user
        raise InputError("username is for cloud=alicloud only: SSM's AWS-RunShellScript and AWS-RunPowerShellScript "
                         "run as root / SYSTEM and take no user")
    then = params.get("then") or "none"
    if then not in THEN_CHOICES:
        raise InputError("then must be one of %s, got %r" % (", ".join(THEN_CHOICES), then))
    _seconds("timeout", params.get("timeout"))
    _seconds("wait_timeout", params.get("wait_timeout"))
    command = Command(params, ids)
    interpreter = shebang_interpreter(str(content).lstrip())
    if command.then_exit_code is not None and command.type == "RunShellScript" and interpreter and interpreter not in _SHELLS:
        raise InputError("then: %s on alicloud needs a shell script (the %s is its exit code %d), but content starts with "
                         "'#!' naming %s; run that program from a shell script instead"
                         % (then, then, command.then_exit_code, interpreter))
    return command


def wrap_for_then(content, command_type, exit_code):
    """The content, ending in the Cloud Assistant exit code `exit_code` only when the content succeeded.

    Shell: the content runs in a subshell, so an `exit N` in it ends only the subshell; its
    status is kept when non-zero, and exit 0 (explicit or not) becomes `exit_code`. A shell '#!'
    line stays first. PowerShell / Bat: the content runs as it is; when its last command failed
    the script exits with that command's code, else the final line is `exit <exit_code>`. An
    explicit `exit` in Windows content ends the script before that line (see ThenNotRun).
    """
    if command_type == "RunShellScript":
        head = ""
        if content.startswith("#!"):
            head, _sep, content = content.partition("\n")
            head += "\n"
        body = content if content.endswith("\n") else content + "\n"
        return ('%s(\n%s)\n__cf_rc=$?\n[ "$__cf_rc" -eq 0 ] && exit %d\nexit "$__cf_rc"\n' % (head, body, exit_code))
    newline = "\r\n" if "\r\n" in content or command_type == "RunBatScript" else "\n"
    body = content if content.endswith("\n") else content + newline
    if command_type == "RunPowerShellScript":
        tail = ["if (-not $?) { if ($LASTEXITCODE) { exit $LASTEXITCODE }; exit 1 }", "exit %d" % exit_code]
    else:
        tail = ['@if not "%ERRORLEVEL%"=="0" exit %ERRORLEVEL%', "exit %d" % exit_code]
    return body + newline.join(tail) + newline


def check_os(command, records):
    """InputError naming the instances whose OS the command type does not fit (before any mutating call)."""
    wrong = [i for i in command.ids if records[i].get("os_type") not in (None, command.os_type)]
    if wrong:
        raise InputError("command_type %s is for %s instances, but these are %s: %s" % (
            command.type, command.os_type, "windows" if command.os_type == "linux" else "linux", ", ".join(wrong)))


def blank_result(instance_id):
    return {"id": instance_id, "wave": None, "status": "not_started", "raw_status": None, "exit_code": None, "then_exit_code": None,
            "output": "",
            "error_code": None, "error_message": None, "invocation_id": None, "then_state": None, "request_id": None}


def _set_error(result, code, message, request_id=None):
    result.update(status="error", error_code=code, error_message=message, request_id=request_id)


def _describe_exit(result):
    if result["status"] == "failed":
        return "exited with %s" % result["exit_code"]
    if result["status"] == "timeout":
        return "timed out on the instance (the command's timeout)"
    if result["status"] == "cancelled":
        return "was cancelled (%s)" % result["raw_status"]
    return "did not run (%s)" % result["raw_status"]


class Waves(object):
    """One run: the results by id, the waves, and the calls that make a wave."""

    def __init__(self, command, provider, rt):
        self.command = command
        self.provider = provider
        self.rt = rt
        self.results = dict((i, blank_result(i)) for i in command.ids)
        self.records = {}
        self.checked = set()  # ids whose record was read after the command (then waits, final describe)
        self.started = {}  # id -> when its command started on the instance (ECS, ISO 8601), for the restart rule
        self.notes = []  # warnings for the operator

    def errors(self):
        return [i for i in self.command.ids if self.results[i]["status"] in ERROR_STATUSES]

    def remaining(self, deadline):
        return max(0, deadline - self.rt.clock())

    # one wave
    def run_wave(self, number, wave):
        """Send, poll, then. Returns the CloudError that ended the run, or None."""
        deadline = self.rt.clock() + self.command.wait_timeout
        request = self.command.request()
        sent = []
        error = None
        for i in wave:
            self.results[i]["wave"] = number
        for chunk in chunks(wave, self.provider.command_batch_size):
            try:
                invocation = self.provider.run_command(chunk, request)
            except CloudError as exc:
                error = exc
                for i in wave:
                    if self.results[i]["invocation_id"] is None:
                        _set_error(self.results[i], exc.code, "the command was not sent: %s" % exc.message, exc.request_id)
                break
            sent.append((invocation, chunk))
            for i in chunk:
                self.results[i].update(invocation_id=invocation, status=None)
        try:
            self.collect(sent, deadline)
            self.carry_out_then([i for _inv, chunk in sent for i in chunk], deadline)
        except CloudError as exc:
            error = error or exc
            for _inv, chunk in sent:
                for i in chunk:
                    if self.results[i]["status"] is None:
                        _set_error(self.results[i], exc.code, "lost track of the command: %s" % exc.message, exc.request_id)
        return error

    def collect(self, sent, deadline):
        """Poll the results of the wave's invocations until each is final or the wave's time is up."""
        def fetch(pending):
            wanted = set(pending)
            found = {}
            for invocation, chunk in sent:
                need = [i for i in chunk if i in wanted]
                if need:
                    found.update(self.provider.command_results(invocation, need))
            return found

        ids = [i for _inv, chunk in sent for i in chunk]
        got = poll(fetch, ids, lambda i, r: r["status"] is not None, self.remaining(deadline),
                   clock=self.rt.clock, sleep=self.rt.sleep)
        for i in ids:
            self.record_result(i, got.values.get(i), i in got.unfinished)

    def record_result(self, instance_id, found, unfinished):
        result = self.results[instance_id]
        if found:
            result.update(raw_status=found["raw_status"], exit_code=found["exit_code"], output=found["output"])
            self.started[instance_id] = found.get("started_at")
        if unfinished:
            _set_error(result, "WaitTimeout", "no final result within wait_timeout (%ss): the command is %s; it may still "
                       "run on the instance" % (self.command.wait_timeout, (found or {}).get("raw_status") or "not reported yet"))
            return
        result.update(status=found["status"], error_code=found["error_code"], error_message=found["error_message"])
        expected = self.command.then_exit_code
        if expected is not None and result["exit_code"] == expected and result["status"] in ("success", "failed"):
            # The wrapper exits with the agent's code only when the script itself exited 0: report the
            # script's own code, the same as on EC2, and the code that carried out `then` apart.
            result.update(status="success", exit_code=0, then_exit_code=expected, error_code=None, error_message=None)
        elif expected is not None and result["status"] == "success":
            _set_error(result, "ThenNotRun", "the script exited %s before the %s exit code %d ran (an explicit exit in the "
                       "content ends it first): the instance was not %s" % (
                           result["exit_code"], self.command.then, expected,
                           "stopped" if self.command.then == "stop" else "restarted"))
            return
        if result["status"] in ERROR_STATUSES:
            result["error_code"] = result["error_code"] or DEFAULT_CODES[result["status"]]
            result["error_message"] = result["error_message"] or "the command %s" % _describe_exit(result)

    # then
    def carry_out_then(self, sent_ids, deadline):
        if self.command.then == "none":
            return
        done = [i for i in sent_ids if self.results[i]["status"] == "success"]
        if not done:
            return
        if self.provider.capabilities.command_then == "api":
            action = self.provider.stop if self.command.then == "stop" else self.provider.reboot
            refused = in_batches(action, done, dry_run=False)
            for i, exc in refused.items():
                _set_error(self.results[i], exc.code, "the command succeeded, but %s was refused: %s" % (
                    "StopInstances" if self.command.then == "stop" else "RebootInstances", exc.message), exc.request_id)
            done = [i for i in done if i not in refused]
        if self.command.then == "stop":
            self.wait_stopped(done, deadline)
        else:
            self.wait_restarted(done, deadline)

    def wait_stopped(self, ids, deadline):
        got = wait_for(describer(self.provider), ids, STOPPED, self.remaining(deadline), clock=self.rt.clock, sleep=self.rt.sleep)
        self.records.update(got.records)
        self.checked.update(ids)
        for i in ids:
            state = got.records[i]["state"]
            self.results[i]["then_state"] = state
            if i in got.failed:
                _set_error(self.results[i], "IncorrectInstanceState", "the command succeeded, then the instance became %s "
                           "instead of stopped" % state)
            elif i in got.timed_out:
                _set_error(self.results[i], "WaitTimeout", "the command succeeded, but the instance is still %s, not stopped, "
                           "after wait_timeout (%ss)" % (state, self.command.wait_timeout))

    def wait_restarted(self, ids, deadline):
        """Back to running after a reboot that was seen.

        ECS: the reboot is seen when a poll finds the instance not running, or when its StartTime
        differs from the one read before the command. StartTime has minute precision, so for an
        instance that last started in the same minute as the command began, a reboot quicker
        than the polls leaves no trace: such an instance is looked at for REBOOT_GRACE_SECONDS and
        then taken as restarted on the agent's word (its exit code), with a warning. Any other
        instance must show its reboot, or it fails with WaitTimeout.
        EC2 stays running through a reboot and keeps its LaunchTime: RebootInstances was accepted,
        so running is all there is to wait for.
        """
        before = dict((i, self.records[i].get("start_time")) for i in ids)
        observe = self.provider.capabilities.reboot_evidence == "state_or_start_time"
        blind = set(i for i in ids if observe and not _minute_before(before[i], self.started.get(i)))
        grace_until = self.rt.clock() + REBOOT_GRACE_SECONDS
        seen_down = set()
        unseen = set()
        describe = describer(self.provider)

        def fetch(pending):
            return merged(describe, pending)

        def done(i, record):
            if record["state"] in ("terminated", "shutting-down"):
                return True
            if record["state"] != "running":
                seen_down.add(i)
                return False
            if not observe or i in seen_down:
                return True
            if record.get("start_time") is not None and record.get("start_time") != before[i]:
                return True
            if i in blind and self.rt.clock() >= grace_until:
                unseen.add(i)
                return True
            return False

        got = poll(fetch, ids, done, self.remaining(deadline), clock=self.rt.clock, sleep=self.rt.sleep)
        self.records.update(got.values)
        self.checked.update(ids)
        if unseen:
            self.notes.append(
                "the reboot of %s could not be seen (started less than a minute before the command, and ECS's StartTime "
                "has minute precision); taken as restarted on the Cloud Assistant's exit code %d"
                % (", ".join(i for i in ids if i in unseen), self.command.then_exit_code))
        for i in ids:
            record = got.values.get(i) or self.records[i]
            self.results[i]["then_state"] = record["state"]
            if record["state"] in ("terminated", "shutting-down"):
                _set_error(self.results[i], "IncorrectInstanceState", "the command succeeded, then the instance became %s "
                           "instead of restarting" % record["state"])
            elif i in got.unfinished and record["state"] == "running":
                _set_error(self.results[i], "WaitTimeout", "the command succeeded, but no reboot was seen within "
                           "wait_timeout (%ss): the instance is running with the same start time" % self.command.wait_timeout)
            elif i in got.unfinished:
                _set_error(self.results[i], "WaitTimeout", "the command succeeded, but the instance is still %s, not running "
                           "again, after wait_timeout (%ss)" % (record["state"], self.command.wait_timeout))


def _minute_before(start_time, command_started):
    """True when an instance StartTime (minute precision) is in an earlier minute than the command's start,
    so that any reboot after the command changes it."""
    try:
        return parse_time(start_time).replace(second=0) < parse_time(command_started).replace(second=0)
    except (TypeError, ValueError):
        return False


def _failure(result):
    return {"id": result["id"], "code": result["error_code"], "message": result["error_message"],
            "request_id": result["request_id"]}


def run(params, check_mode=False, rt=None, warn=None):
    rt = rt or Runtime()
    command = validate(params)
    ids = command.ids
    provider = rt.connect(params)
    run_ = Waves(command, provider, rt)
    warn = warn or rt.warn
    run_.records = first_read(provider, ids)
    check_os(command, run_.records)
    runnable = []
    for i in ids:
        state = run_.records[i]["state"]
        if state == "running":
            runnable.append(i)
        elif state == NOT_FOUND and params.get("fail_on_not_found"):
            _set_error(run_.results[i], NOT_FOUND_CODE, "the cloud does not know this instance in %s %s (fail_on_not_found)"
                       % (provider.cloud, provider.region))
        elif state == NOT_FOUND:
            run_.results[i].update(status="not_found", error_code=NOT_FOUND_CODE,
                                   error_message="the cloud does not know this instance: the command was not sent")
        else:
            _set_error(run_.results[i], "IncorrectInstanceState", "the instance is %s, not running: the command was not sent" % state)
    planned = waves(runnable, command.concurrency.value)

    ran = []
    stop_note = None
    api_error = None
    errors = len(run_.errors())
    if over_limit(errors, command.max_errors):
        where = "before wave 1 of %d" % len(planned) if planned else "with nothing to run"
        stop_note = "stopped %s: %d errors > max_errors %s" % (where, errors, command.max_errors)
    else:
        for number, wave in enumerate(planned, 1):
            if check_mode:
                for i in wave:
                    run_.results[i]["wave"] = number
                continue
            ran.append(wave)
            api_error = run_.run_wave(number, wave)
            if api_error is not None:
                break
            errors = len(run_.errors())
            if over_limit(errors, command.max_errors):
                stop_note = "stopped after wave %d of %d: %d errors > max_errors %s" % (number, len(planned), errors, command.max_errors)
                break

    not_started = [i for i in ids if run_.results[i]["status"] == "not_started"]
    if not check_mode:
        reason = stop_note or "the run stopped on an API error"
        for i in not_started:
            run_.results[i]["error_message"] = "not started: %s" % reason

    sent = [i for i in ids if run_.results[i]["invocation_id"] is not None]
    if sent:
        stale = [i for i in sent if i not in run_.checked]
        if stale:
            run_.records.update(reread(provider, stale))
    would_send = [i for wave in (planned if check_mode else ran) for i in wave]
    changed = would_send if check_mode else sent
    changed_set = set(changed)
    results = [run_.results[i] for i in ids]
    failed = run_.errors()
    failures = [_failure(run_.results[i]) for i in failed]
    result = {
        "changed": bool(changed),
        "instances": [run_.records[i] for i in ids],
        "results": results,
        "succeeded_ids": [i for i in ids if run_.results[i]["status"] == "success"],
        "failed_ids": failed,
        "not_started_ids": not_started,
        "not_found_ids": [i for i in ids if run_.results[i]["status"] == "not_found"],
        "changed_ids": [i for i in ids if i in changed_set],
        "unchanged_ids": [i for i in ids if i not in changed_set and run_.results[i]["status"] != "not_found"],
        "waves": planned if check_mode else ran,
        "planned_waves": planned,
        "rate_control": {"targets": len(ids), "concurrency": command.concurrency.value, "max_errors": command.max_errors.value},
        "failures": failures,
    }

    if result["not_found_ids"]:
        warn(not_found_message(result["not_found_ids"], run_.records))
    if api_error is not None or stop_note is not None:
        notes = []
        if api_error is not None:
            notes.append("wave %d of %d stopped on an API error %s: %s%s." % (
                len(ran), len(planned), api_error.code, api_error.message,
                " (request id %s)" % api_error.request_id if api_error.request_id else ""))
        if stop_note is not None:
            notes.append(stop_note + ";")
        message = "%s %d instance(s) not started." % (" ".join(notes), len(not_started))
        if failures:
            message += " The command failed for %d of %d instance(s): %s" % (len(failures), len(ids), describe_failures(failures))
        if check_mode:
            message = "check mode: " + message
        if api_error is not None:
            error = api_error.to_dict()
        else:
            first = failures[0] if failures else {"code": None, "message": None, "request_id": None}
            error = {"code": first["code"], "message": first["message"], "request_id": first.get("request_id")}
        raise TaskFailure(message, failures, result, error)
    for note in run_.notes:
        if warn is not None:
            warn(note)
    if failures and warn is not None:
        warn("the command failed on %d of %d instance(s), within max_errors %s: %s" % (
            len(failures), len(ids), command.max_errors, describe_failures(failures)))
    return result
