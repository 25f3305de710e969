"""The EC2 side driven by the AWS CLI, a client the collection never uses, as a subprocess over HTTP.

The CLI comes from its own pinned venv (.cache/awscli-venv, tests/sandbox/requirements-awscli.txt;
`make sandbox-test` builds it): it parses the sandbox's XML with its own copy of botocore and ends
with its own exit codes (255 for a service error, as AWS CLI v1 ends), so a divergence from EC2's wire format that the
collection's botocore tolerates still shows here.
"""
import json
import os
import subprocess

import pytest

from ec2_harness import IMAGE, INSTANCE_TYPE, harness_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AWS = os.path.join(REPO, ".cache", "awscli-venv", "bin", "aws")

pytestmark = pytest.mark.skipif(not os.path.exists(AWS), reason="the AWS CLI venv is made by `make sandbox-test`")


@pytest.fixture
def ec2(request):
    return harness_for(request)


def aws(ec2, *args, check=True):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"),
           "AWS_ACCESS_KEY_ID": ec2.env["AWS_ACCESS_KEY_ID"], "AWS_SECRET_ACCESS_KEY": ec2.env["AWS_SECRET_ACCESS_KEY"],
           "AWS_DEFAULT_REGION": ec2.env["AWS_REGION"], "AWS_ENDPOINT_URL": ec2.url, "AWS_PAGER": "",
           "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    proc = subprocess.run([AWS, "ec2", *args, "--output", "json"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_the_cli_launches_describes_stops_and_terminates(ec2):
    """run-instances, describe-instances, stop-instances (StoppingInstances with previous/current state,
    reference 000), the CLI's own waiter, terminate-instances: as against EC2."""
    launched = json.loads(aws(ec2, "run-instances", "--image-id", IMAGE, "--instance-type", INSTANCE_TYPE,
                              "--count", "2").stdout)
    ids = [i["InstanceId"] for i in launched["Instances"]]
    assert [i["State"]["Name"] for i in launched["Instances"]] == ["pending", "pending"]
    ec2.advance()
    described = json.loads(aws(ec2, "describe-instances", "--instance-ids", *ids).stdout)
    states = {i["InstanceId"]: i["State"]["Name"] for r in described["Reservations"] for i in r["Instances"]}
    assert states == {i: "running" for i in ids}
    stopping = json.loads(aws(ec2, "stop-instances", "--instance-ids", *ids).stdout)["StoppingInstances"]
    assert {(s["PreviousState"]["Code"] & 0xFF, s["CurrentState"]["Name"]) for s in stopping} == {(16, "stopping")}
    ec2.advance()
    aws(ec2, "wait", "instance-stopped", "--instance-ids", *ids)
    terminating = json.loads(aws(ec2, "terminate-instances", "--instance-ids", *ids).stdout)["TerminatingInstances"]
    assert {s["CurrentState"]["Name"] for s in terminating} == {"shutting-down"}


def test_the_cli_shows_the_clouds_errors_with_their_codes(ec2):
    """A dry run and an unknown id end as the CLI ends them on EC2: exit 255 (AWS CLI v1) naming the error code."""
    launched = json.loads(aws(ec2, "run-instances", "--image-id", IMAGE, "--instance-type", INSTANCE_TYPE).stdout)
    instance_id = launched["Instances"][0]["InstanceId"]
    dry = aws(ec2, "stop-instances", "--instance-ids", instance_id, "--dry-run", check=False)
    assert dry.returncode == 255 and "(DryRunOperation)" in dry.stderr
    unknown = aws(ec2, "describe-instances", "--instance-ids", "i-0123456789abcdef0", check=False)
    assert unknown.returncode == 255 and "(InvalidInstanceID.NotFound)" in unknown.stderr
