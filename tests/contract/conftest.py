"""The contract suite's subjects: one object per provider, each able to set up a fleet and count calls.

`subject` is parametrized over the AWS provider and the Alibaba provider (both on the in-process
sandbox, built from a conn dict the way a module builds them: resolve_connection, then
get_provider) and the unit tests' FakeProvider. A test asks the subject for instances in a state,
calls the provider, and asserts what every provider must answer; where the clouds legitimately
differ, it reads `subject.expect` (expectations.py), never the subject's name.
"""
import datetime
import json
import re

import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import resolve_connection
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.base import get_provider
from expectations import EXPECT
from sandbox import fleet
from tests.unit.plugins.module_utils.fakes import NEXT, FakeInstance, FakeProvider, aws_id

SUBJECTS = ("aws", "alicloud", "fake")

# A provider operation -> the API action(s) it sends, per cloud (the fake logs the operation's own name).
ACTIONS = {
    "aws": {"describe": ("DescribeInstances",), "stop": ("StopInstances",), "start": ("StartInstances",),
            "reboot": ("RebootInstances",), "terminate": ("TerminateInstances",),
            "protection": ("ModifyInstanceAttribute",), "auto_release": ("CreateTags", "DeleteTags"),
            "health": ("DescribeInstanceStatus",), "list": ("DescribeInstances",)},
    "alicloud": {"describe": ("DescribeInstances",), "stop": ("StopInstances",), "start": ("StartInstances",),
                 "reboot": ("RebootInstances",), "terminate": ("DeleteInstances",),
                 "protection": ("ModifyInstanceAttribute",), "auto_release": ("ModifyInstanceAutoReleaseTime",),
                 "health": ("DescribeInstancesFullStatus",), "list": ("DescribeInstances",)},
}
_ID_KEY = re.compile(r"^(InstanceId|ResourceId)(\.\d+)?$")


class Call:
    """One call a provider sent: the instance ids it named and whether it was a dry run."""

    def __init__(self, ids, dry_run):
        self.ids = list(ids)
        self.dry_run = bool(dry_run)

    def __repr__(self):
        return "Call(%d ids, dry_run=%s)" % (len(self.ids), self.dry_run)


class SandboxSubject:
    """A real provider on the sandbox; the sandbox's call log counts its API calls."""

    def __init__(self, name, box, provider):
        self.name = name
        self.cloud = name
        self.box = box
        self.env = box.env()
        self.provider = provider
        self.expect = EXPECT[name]
        self.emulator = box.ec2 if name == "aws" else box.ecs
        self._launch = fleet.launch_ec2 if name == "aws" else fleet.launch_ecs

    def launch(self, count, state="running", protected=False, tags=None, windows=False):
        ids = self._launch(self.env, count, protected=protected, tags=tags, windows=windows)
        self.settle()
        if state == "stopped":
            (fleet.stop_ec2 if self.name == "aws" else fleet.stop_ecs)(self.env, ids)
            self.settle()
        self.reset_calls()
        return ids

    def settle(self):
        """Time passes: every transition under way ends (the sandbox clock jumps past it)."""
        self.box.advance_clock(5)

    def unknown_id(self):
        return "i-0123456789abcdef0" if self.name == "aws" else "i-bp1234567890abcdefgh"

    def reset_calls(self):
        self.emulator.calls.clear()

    def calls(self, operation):
        actions = ACTIONS[self.name][operation]
        return [Call(_ids_in(c["params"]), str(c["params"].get("DryRun")).lower() == "true")
                for c in self.emulator.calls.snapshot() if c["action"] in actions]

    def schedule_event(self, instance_id, code, description, not_before):
        self.emulator.overrides.add_event({"instance_id": instance_id, "code": code, "description": description,
                                           "not_before": not_before})


def _ids_in(params):
    ids = [v for k, v in params.items() if _ID_KEY.match(k)]
    if "InstanceIds" in params:
        ids += json.loads(params["InstanceIds"])
    return ids


class FakeSubject:
    """The unit tests' FakeProvider, as they build it (cloud aws); its own call log counts its calls."""

    name = "fake"

    def __init__(self):
        self.provider = FakeProvider()
        self.cloud = self.provider.cloud
        self.expect = EXPECT["fake"]
        self._next = 0

    def launch(self, count, state="running", protected=False, tags=None, windows=False):
        ids = []
        for _ in range(count):
            self._next += 1
            ids.append(aws_id(self._next))
            self.provider.instances[ids[-1]] = FakeInstance(state, protected=protected, tags=tags,
                                                            os_type="windows" if windows else "linux")
        return ids

    def settle(self):
        for inst in self.provider.instances.values():
            if inst.state in NEXT and not inst.stuck:
                inst.state, inst.age = NEXT[inst.state], 0

    def unknown_id(self):
        return aws_id(0xdead)

    def reset_calls(self):
        del self.provider.calls[:]

    def calls(self, operation):
        return [Call(ids, dry_run) for name, ids, dry_run in self.provider.calls if name == operation]

    def schedule_event(self, instance_id, code, description, not_before):
        self.provider.instances[instance_id].events.append(
            {"code": code, "description": description, "not_before": not_before, "not_after": None})


@pytest.fixture(scope="session")
def _providers(_running_sandbox):
    """One provider per cloud for the whole session: making a boto3 client costs ~0.6 s; the sandbox's
    endpoints and credentials stay the same across its resets."""
    env = _running_sandbox.env()
    return dict((cloud, get_provider(resolve_connection({"cloud": cloud}, environ=env))) for cloud in ("aws", "alicloud"))


@pytest.fixture(params=SUBJECTS)
def subject(request):
    if request.param == "fake":
        return FakeSubject()
    box = request.getfixturevalue("sandbox")  # a reset sandbox for each test
    return SandboxSubject(request.param, box, request.getfixturevalue("_providers")[request.param])


@pytest.fixture
def release_time():
    """A time two days ahead on the minute (ECS keeps minutes), inside every cloud's allowed window."""
    at = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0) + datetime.timedelta(days=2)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")
