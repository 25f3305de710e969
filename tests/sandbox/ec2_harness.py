"""EC2 test harness for tests/sandbox: a boto3 client on the sandbox and its control API over HTTP.

Everything goes through real HTTP on 127.0.0.1, as the collection's modules will.
"""
import json
import time
import urllib.error
import urllib.request

IMAGE = "ami-785db401"  # one of moto's default AMIs, Linux (Ubuntu, root /dev/sda1: see fleet.py)
WINDOWS_IMAGE = "ami-b7e93bce"  # one of moto's default AMIs, Windows Server 2016 (Platform: windows)
INSTANCE_TYPE = "t3.micro"


class Ec2Harness:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.env = sandbox.env()
        self.url = self.env["AWS_ENDPOINT_URL"]
        self._clients = {}

    # --- SDK ----------------------------------------------------------------------------------
    def client(self, max_attempts=1, mode="standard"):
        """`max_attempts` counts every attempt, the first included (botocore's `total_max_attempts`;
        its `max_attempts` in `Config(retries=...)` counts retries only)."""
        key = (max_attempts, mode)
        if key not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[key] = boto3.client(
                "ec2",
                endpoint_url=self.url,
                region_name=self.env["AWS_REGION"],
                aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
                config=Config(retries={"mode": mode, "total_max_attempts": max_attempts}),
            )
        return self._clients[key]

    def ssm(self, max_attempts=1):
        """A boto3 `ssm` client on the same endpoint (Run Command shares the EC2 port)."""
        key = ("ssm", max_attempts)
        if key not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[key] = boto3.client(
                "ssm",
                endpoint_url=self.url,
                region_name=self.env["AWS_REGION"],
                aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
                config=Config(retries={"mode": "standard", "total_max_attempts": max_attempts}),
            )
        return self._clients[key]

    def launch(self, count=1, **kwargs):
        ids = []
        while count > 0:
            amount = min(count, 100)
            response = self.client().run_instances(
                **{"ImageId": IMAGE, "InstanceType": INSTANCE_TYPE, **kwargs}, MinCount=amount, MaxCount=amount)
            ids += [i["InstanceId"] for i in response["Instances"]]
            count -= amount
        return ids

    def instances(self, ids):
        found = {}
        for start in range(0, len(ids), 100):
            response = self.client().describe_instances(InstanceIds=ids[start:start + 100])
            for reservation in response["Reservations"]:
                for instance in reservation["Instances"]:
                    found[instance["InstanceId"]] = instance
        return found

    def states(self, ids):
        return {i: (inst["State"]["Name"], inst["State"]["Code"] & 0xFF) for i, inst in self.instances(ids).items()}

    def state(self, instance_id):
        return self.states([instance_id])[instance_id]

    def wait_for(self, ids, name, timeout=5.0):
        """Poll (every 20 ms) until every id is in `name`; returns seconds waited."""
        start = time.monotonic()
        while True:
            states = self.states(ids)
            if all(s[0] == name for s in states.values()):
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError(f"not {name} after {timeout}s: {states}")
            time.sleep(0.02)

    def running(self, count=1, **kwargs):
        """Launch and bring to running at once by moving the sandbox clock."""
        ids = self.launch(count, **kwargs)
        self.advance()
        return ids

    # --- control API --------------------------------------------------------------------------
    def control(self, route, body=None, method="POST"):
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(f"{self.url}/_sandbox/{route}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def calls(self, action=None):
        status, calls = self.control("calls", method="GET")
        assert status == 200
        return [c for c in calls if action is None or c["action"] == action]

    def advance(self, seconds=None):
        """Move the sandbox clock past one transition."""
        seconds = self.sandbox.ctx.transition_seconds + 0.01 if seconds is None else seconds
        status, _ = self.control("clock", {"advance_seconds": seconds})
        assert status == 200

    def fault(self, **spec):
        status, body = self.control("faults", spec)
        assert status == 200, body

    def raw(self, body, content_type="application/x-www-form-urlencoded", headers=None):
        """POST a hand-made request; (status, body bytes)."""
        request = urllib.request.Request(self.url + "/", data=body, method="POST",
                                         headers={"Content-Type": content_type, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


TEST_TRANSITION_SECONDS = 0.3
_ec2_only = None


def harness_for(request):
    """The shared two-cloud `sandbox` fixture when it can start, else an EC2-only sandbox; reset."""
    global _ec2_only
    try:
        box = request.getfixturevalue("sandbox")
    except Exception:  # the ECS half is missing or broken: the EC2 tests still run
        if _ec2_only is None:
            from sandbox.server import Sandbox

            _ec2_only = Sandbox(clouds=("ec2",), transition_seconds=TEST_TRANSITION_SECONDS, seed=7).start()
        box = _ec2_only
        box.ctx.transition_seconds = TEST_TRANSITION_SECONDS
        box.ec2.reset()
    box.ctx.status_check_seconds = 0.0  # checks read ok once running, unless a test asks otherwise
    return Ec2Harness(box)


def bulk_launch(emulator, count, image_id=IMAGE, instance_type=INSTANCE_TYPE):
    """Launch `count` instances in-process, straight into moto's backend through the sandbox's
    hooks (pending, indexed, scheduled), for fleets too big to launch over HTTP quickly
    (moto's serializer makes a RunInstances of 100 cost ~0.4 s). Returns the ids."""
    from sandbox.ec2 import moto_app

    ids = []
    with moto_app.MOTO_LOCK:
        backend = emulator.lifecycle().backend
        while count > 0:
            amount = min(count, 100)
            reservation = backend.run_instances(image_id, amount, None, [], instance_type=instance_type,
                                                is_instance_type_default=False, region_name=backend.region_name,
                                                tags={})
            ids += [i.id for i in reservation.instances]
            count -= amount
    return ids
