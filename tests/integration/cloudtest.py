"""One adapter per cloud, so each integration test runs unchanged on both."""
import json as _json

from sandbox import fleet
from sandbox.control_client import control

ECS_STATE = {"Pending": "pending", "Starting": "pending", "Running": "running",
             "Stopping": "stopping", "Stopped": "stopped", "Released": "terminated"}


class CloudUnderTest:
    def __init__(self, name, sandbox):
        self.name = name
        self.sandbox = sandbox
        self.env = sandbox.env()
        self.is_aws = name == "aws"
        self.emulator = sandbox.ec2 if self.is_aws else sandbox.ecs
        self.url = sandbox.ec2_url if self.is_aws else sandbox.ecs_url
        self.region = self.env["AWS_REGION"] if self.is_aws else self.env["ALIBABA_CLOUD_REGION_ID"]
        self.stop_action = "StopInstances"
        self.release_action = "TerminateInstances" if self.is_aws else "DeleteInstances"
        self.describe_action = "DescribeInstances"
        self.throttle_code = "RequestLimitExceeded" if self.is_aws else "Throttling"
        self.throttle_status = 503 if self.is_aws else 400

    def launch(self, count, **kwargs):
        ids = (fleet.launch_ec2 if self.is_aws else fleet.launch_ecs)(self.env, count, **kwargs)
        self.wait(ids, {"running"})
        return ids

    def states(self, ids):
        if self.is_aws:
            return fleet.ec2_states(self.env, ids)
        return {i: ECS_STATE[s] for i, s in fleet.ecs_states(self.env, ids).items()}

    def wait(self, ids, wanted, timeout=30):
        return fleet.wait_for(self.states, ids, wanted, timeout)

    def stop(self, ids):
        (fleet.stop_ec2 if self.is_aws else fleet.stop_ecs)(self.env, ids)

    def launch_stopped(self, count, **kwargs):
        ids = self.launch(count, **kwargs)
        self.stop(ids)
        self.wait(ids, {"stopped"})
        return ids

    # the call log, for exact call counts
    def reset_calls(self):
        self.emulator.calls.clear()

    def calls(self, action=None):
        log = control(self.url, "calls")
        return [c for c in log if action is None or c["action"] == action]

    @staticmethod
    def ids_in(call):
        """The instance ids one logged call addressed, whatever the cloud's parameter style."""
        params = call["params"]
        ids = [v for k, v in params.items() if k.startswith("InstanceId.") or k == "InstanceId"]
        if "InstanceIds" in params:
            ids += _json.loads(params["InstanceIds"])
        return ids

    def faults(self, **spec):
        return control(self.url, "faults", spec)

    def clear_faults(self):
        return control(self.url, "faults/clear", {})

    def stuck(self, ids, state="stopping", force_works=False):
        return control(self.url, "stuck", {"instance_ids": ids, "state": state, "force_works": force_works})

    def module_args(self, **args):
        """Module arguments with this cloud's name and region; credentials come from the env."""
        return dict({"cloud": self.name, "region": self.region}, **args)


def is_mutating(call):
    return not call["action"].startswith("Describe") and call["params"].get("DryRun") not in ("true", "True", True)
