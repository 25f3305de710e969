"""`python -m sandbox serve` as a real subprocess: the env file, both endpoints, a clean stop."""
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEYS = {
    "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
    "ALIBABA_CLOUD_ECS_ENDPOINT", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_REGION_ID",
}

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("sandbox.ecs") is None or importlib.util.find_spec("sandbox.ec2") is None,
    reason="`serve` runs both clouds: needs sandbox.ec2 and sandbox.ecs",
)


def _read_env(path):
    env = {}
    with open(path) as handle:
        for line in handle:
            key, sep, value = line.rstrip("\n").partition("=")
            assert sep, f"not KEY=VALUE: {line!r}"
            env[key] = value
    return env


@pytest.fixture
def served(tmp_path):
    env_file = tmp_path / "sandbox.env"
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--ec2-port", "0", "--ecs-port", "0",
         "--env-file", str(env_file), "--transition-seconds", "0.2"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    seen = None
    deadline = time.monotonic() + 30
    while seen is None:
        if process.poll() is not None:
            pytest.fail(f"serve exited {process.returncode}: {process.stderr.read()}")
        if env_file.exists():
            seen = _read_env(env_file)  # written by rename: complete the first time it is there
        elif time.monotonic() > deadline:
            process.kill()
            pytest.fail("no env file after 30 s")
        else:
            time.sleep(0.05)
    try:
        yield process, env_file, seen
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_serve_writes_env_file_answers_and_stops_on_sigterm(served):
    process, env_file, env = served
    assert KEYS <= set(env), KEYS - set(env)
    assert env["AWS_REGION"] == "us-east-1"
    assert env["ALIBABA_CLOUD_REGION_ID"] == "cn-hangzhou"
    assert oct(env_file.stat().st_mode & 0o777) == oct(0o600)
    assert [p.name for p in env_file.parent.iterdir()] == [env_file.name]  # no temp file left behind

    for url in (env["AWS_ENDPOINT_URL"], env["ALIBABA_CLOUD_ECS_ENDPOINT"]):
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/_sandbox/calls", timeout=5) as response:
            assert response.status == 200
            assert json.loads(response.read()) == []

    # the EC2 endpoint is a working EC2 with the configured transition time
    import boto3

    client = boto3.client("ec2", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                          aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    [instance] = client.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"]
    assert instance["State"]["Name"] == "pending"
    time.sleep(0.25)
    [reservation] = client.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"]
    assert reservation["Instances"][0]["State"]["Name"] == "running"

    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "sandbox: stopped" in out
