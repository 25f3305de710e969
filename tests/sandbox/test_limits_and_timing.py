"""Latency, request-rate limits and transition profiles (sandbox/timing.py, sandbox/limits.py).

The distributions and the bucket arithmetic are tested directly; the limits and the latency over
HTTP through the unmodified SDKs (boto3, alibabacloud_ecs20140526), against the session sandbox
with this port's limits turned on by `POST /_sandbox/limits` (the fixture's reset turns them off
again). Latency is shown not to block other calls by holding one call inside its delay, not by
wall-clock bounds; the only timed assertion is a lower bound, which cannot flake.
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import boto3
import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox import cli, fleet
from sandbox.control_client import control
from sandbox.limits import DEFAULT_LIMITS, FixedWindow, LimitsError, RateLimiter, TokenBucket, build_table, load_file
from sandbox.timing import BUILTIN, Durations, Latency, ProfileError, load_profile
from sandboxtest import control_status

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
R = "cn-hangzhou"


def set_limits(url, **overrides):
    status, body = control_status(url, "limits", {"enabled": True, "limits": overrides})
    assert status == 200, body
    return body


def ec2(env, region=None, **retries):
    return boto3.client("ec2", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=region or env["AWS_REGION"],
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                        config=Config(retries=retries or {"mode": "standard", "total_max_attempts": 1}))


def log(url, action=None):
    return [c for c in control(url, "calls") if action is None or c["action"] == action]


# ---------------------------------------------------------------- timing: transition profiles
def draws(durations, state="stopping", cloud="ec2", n=20000):
    return [durations.seconds(cloud, f"i-{k:08x}", state) for k in range(n)]


def test_profile_draws_have_the_median_and_p95_they_are_given():
    values = sorted(draws(Durations({"stopping": {"median": 10, "p95": 20}}, seed=1)))
    assert statistics.median(values) == pytest.approx(10, rel=0.03)
    assert values[int(0.95 * len(values))] == pytest.approx(20, rel=0.05)
    assert min(values) > 0


def test_profile_tail_takes_tail_factor_times_as_long_for_tail_fraction_of_instances():
    values = draws(Durations({"stopping": {"median": 10, "spread": 0, "tail_fraction": 0.05, "tail_factor": 4}},
                             seed=2))
    assert set(values) == {10.0, 40.0}
    assert values.count(40.0) / len(values) == pytest.approx(0.05, abs=0.006)


def test_same_seed_instance_and_state_always_draw_the_same_duration():
    profile = {"stopping": {"median": 10, "p95": 30}, "pending": {"median": 5, "p95": 9}}
    a, b, other = Durations(profile, seed=7), Durations(profile, seed=7), Durations(profile, seed=8)
    ids = [f"i-{k:08x}" for k in range(200)]
    first = [a.seconds("ec2", i, "stopping") for i in ids]
    assert first == [a.seconds("ec2", i, "stopping") for i in ids]  # again: the same
    assert first == [b.seconds("ec2", i, "stopping") for i in ids]  # another object, same seed
    assert sum(x != y for x, y in zip(first, [other.seconds("ec2", i, "stopping") for i in ids])) > 190
    # a state's draw does not depend on the other state's, nor on what was drawn before
    assert Durations(profile, seed=7).seconds("ec2", ids[5], "stopping") == first[5]


def test_without_a_profile_or_for_an_unnamed_state_it_is_the_live_transition_seconds():
    from sandbox.emulator import SandboxContext

    ctx = SandboxContext(transition_seconds=0.7)
    assert ctx.durations.seconds("ec2", "i-1", "stopping") == 0.7
    ctx.transition_seconds = 0.2  # as the test fixture sets it: read at each call
    assert ctx.durations.seconds("ecs", "i-1", "Stopping") == 0.2
    ctx = SandboxContext(transition_seconds=0.4, transition_profile="fast", seed=1)
    assert ctx.durations.seconds("ec2", "i-1", "rebooting") == 0.4  # not in the profile
    assert ctx.durations.seconds("ec2", "i-1", "stopping") != 0.4


def test_builtin_profiles_realistic_in_seconds_fast_well_under_one():
    realistic = Durations("realistic", seed=3)
    for cloud, state, low, high in (("ec2", "pending", 10, 20), ("ec2", "stopping", 35, 55),
                                    ("ec2", "shutting-down", 30, 50), ("ecs", "Pending", 10, 20),
                                    ("ecs", "Starting", 20, 40), ("ecs", "Stopping", 20, 40)):
        assert low <= statistics.median(draws(realistic, state, cloud, 4000)) <= high, (cloud, state)
    tail = draws(realistic, "stopping", "ec2", 4000)
    assert sum(v > 150 for v in tail) / len(tail) == pytest.approx(0.03, abs=0.015)  # minutes: the tail
    fast = Durations("fast", seed=3)
    for cloud, states in BUILTIN["fast"].items():
        for state in states:
            values = draws(fast, state, cloud, 4000)
            assert max(values) <= 0.9 and statistics.median(values) < 0.25, (cloud, state)
    tenth = Durations("realistic:0.1", seed=3)
    assert tenth.seconds("ec2", "i-9", "pending") == pytest.approx(realistic.seconds("ec2", "i-9", "pending") / 10)


def test_profile_file_shared_and_per_cloud_states_case_insensitive_with_scale(tmp_path):
    path = tmp_path / "profile.json"
    path.write_text(json.dumps({
        "scale": 2, "stopping": {"median": 3, "spread": 0},
        "ecs": {"stopping": {"median": 5, "spread": 0}, "Starting": {"median": 1, "p95": 1}},
    }))
    durations = Durations(str(path), seed=1)
    assert durations.seconds("ec2", "i-1", "stopping") == 6  # shared state, scaled x2
    assert durations.seconds("ecs", "i-1", "Stopping") == 10  # ECS's own, case-insensitive
    assert durations.seconds("ecs", "i-1", "Starting") == 2
    assert durations.profile.name == str(path)


@pytest.mark.parametrize("content, message", [
    ("not json", "not JSON"),
    ("[]", "non-empty JSON object of states"),
    ('{"stopping": 5}', "a state is a JSON object"),
    ('{"stopping": {"p95": 5}}', "'median' (seconds) is required"),
    ('{"stopping": {"median": 5}}', "exactly one of 'p95'"),
    ('{"stopping": {"median": 5, "p95": 9, "spread": 1}}', "exactly one of 'p95'"),
    ('{"stopping": {"median": 5, "p95": 2}}', "must not be below 'median'"),
    ('{"stopping": {"median": -1, "spread": 0}}', "'median' must be > 0"),
    ('{"stopping": {"median": 5, "spread": 0, "tail_fraction": 2}}', "between 0 and 1"),
    ('{"stopping": {"median": 5, "spread": 0, "tail_factor": 0.5}}', "'tail_factor' must be >= 1"),
    ('{"stopping": {"median": 5, "spread": 0, "mean": 4}}', "unknown key(s) mean"),
    ('{"stopping": {"median": "5", "spread": 0}}', "'median' must be a number"),
    ('{"scale": 0, "stopping": {"median": 5, "spread": 0}}', "'scale' must be a number > 0"),
    ('{"ecs": [1]}', "'ecs' must be a JSON object"),
])
def test_bad_profile_files_are_refused_saying_why(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ProfileError) as info:
        load_profile(str(path))
    assert message in str(info.value) and str(path) in str(info.value)


def test_unknown_profile_names_and_bad_scales_are_refused():
    with pytest.raises(ProfileError, match="not a built-in profile .realistic, fast. and no such file"):
        load_profile("slow")
    with pytest.raises(ProfileError, match="scale after ':' must be a number > 0"):
        load_profile("realistic:zero")


# ---------------------------------------------------------------- timing: latency
def test_latency_parse_draws_within_jitter_and_repeats_per_seed():
    assert Latency.parse("0") is None and Latency.parse("0:0") is None
    fixed = Latency.parse("50")
    assert fixed.draw() == 0.05
    a, b = Latency.parse("50:20", seed=4), Latency.parse("50:20", seed=4)
    values = [a.draw() for _ in range(2000)]
    assert values == [b.draw() for _ in range(2000)]
    assert 0.03 <= min(values) < 0.032 and 0.068 < max(values) <= 0.07
    assert statistics.mean(values) == pytest.approx(0.05, abs=0.002)
    for bad in ("x", "-5", "10:20", "5:x", "nan"):
        with pytest.raises(ValueError):
            Latency.parse(bad)


def test_latency_is_split_around_the_call_half_in_half_out():
    events = []
    latency = Latency(80, sleep=lambda seconds: events.append(("sleep", seconds)))
    assert latency.around(lambda: events.append(("call",)) or "answer") == "answer"
    assert events == [("sleep", 0.04), ("call",), ("sleep", 0.04)]


# ---------------------------------------------------------------- limits: the arithmetic
class FakeClock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


def ec2_request(params=None, region="us-east-1", account="AKIA1"):
    return {"service": "ec2", "region": region, "account": account, "params": params or {}}


def test_token_bucket_starts_full_and_refills_at_its_rate():
    bucket = TokenBucket(3, 2, now=0.0)
    assert all(bucket.can_take(1, 0.0) and not bucket.take(1, 0.0) for _ in range(3))
    assert not bucket.can_take(1, 0.0)
    assert not bucket.can_take(1, 0.49) and bucket.can_take(1, 0.5)  # 2 tokens per second
    assert bucket.can_take(3, 100.0) and not bucket.can_take(3.01, 100.0)  # never above its capacity


def test_fixed_window_is_aligned_to_the_clock():
    window = FixedWindow(2, 60, now=119.0)
    window.take(1, 119.0)
    window.take(1, 119.5)
    assert not window.can_take(1, 119.9)  # throttled in minute T ...
    assert window.can_take(2, 120.0)  # ... and through again as of minute T+1, not 60 s later


def test_ec2_categories_per_action_buckets_resources_and_scope():
    clock = FakeClock()
    limiter = RateLimiter("ec2", build_table(), clock=clock)
    unfiltered = [limiter.check("DescribeInstances", ec2_request()) for _ in range(51)]
    assert unfiltered[:50] == [None] * 50 and unfiltered[50].code == "RequestLimitExceeded"
    assert (unfiltered[50].http_status, unfiltered[50].message) == (503, "Request limit exceeded.")
    # paginated or filtered: the larger non-mutating bucket, apart from the unfiltered one
    assert all(limiter.check("DescribeInstances", ec2_request({"MaxResults": "5"})) is None for _ in range(100))
    assert limiter.check("DescribeInstances", ec2_request({"Filter.1.Name": "x"})) is not None
    # each API its own bucket; another region, another account: their own
    assert limiter.check("DescribeVolumes", ec2_request({"MaxResults": "5"})) is None
    assert limiter.check("DescribeInstances", ec2_request(region="eu-west-1")) is None
    assert limiter.check("DescribeInstances", ec2_request(account="AKIA2")) is None
    clock.now += 0.1  # 10 per second: one token back
    assert limiter.check("DescribeInstances", ec2_request()) is None
    assert limiter.check("DescribeInstances", ec2_request()) is not None
    # RunInstances: 5 requests in a burst (uncategorized), and one resource token per instance
    runs = [limiter.check("RunInstances", ec2_request({"MaxCount": "100"})) for _ in range(6)]
    assert runs[:5] == [None] * 5 and runs[5] is not None
    clock.now += 10  # request tokens back (2/s), 500 instance tokens left of 1000 (+20)
    assert limiter.check("RunInstances", ec2_request({"MaxCount": "600"})) is not None  # resource bucket short
    assert limiter.check("RunInstances", ec2_request({"MaxCount": "500"})) is None
    stops = {f"InstanceId.{k}": f"i-{k}" for k in range(1, 101)}
    assert all(limiter.check("StopInstances", ec2_request(stops)) is None for _ in range(10))  # 1000 instances
    assert limiter.check("StopInstances", ec2_request({"InstanceId.1": "i-1"})) is not None  # mutating 50/5 left
    assert limiter.check("CreateKeyPair", ec2_request()) is None  # resource-intensive: its own 50


def test_ssm_and_ecs_defaults():
    clock = FakeClock(600.0)
    ssm = RateLimiter("ec2", build_table(), clock=clock)
    request = {"service": "ssm", "region": "us-east-1", "account": "AKIA1", "params": {}}
    answers = [ssm.check("SendCommand", request) for _ in range(21)]
    assert answers[:20] == [None] * 20
    assert (answers[20].code, answers[20].http_status, answers[20].message) == ("ThrottlingException", 400,
                                                                                "Rate exceeded")
    ecs = RateLimiter("ecs", build_table(), clock=clock)
    request = {"service": "ecs", "region": R, "account": "LTAI1", "params": {}}
    answers = [ecs.check("StopInstances", request) for _ in range(1001)]
    assert answers[:1000] == [None] * 1000
    assert (answers[1000].code, answers[1000].http_status) == ("Throttling.User", 400)
    assert answers[1000].message == "Request was denied due to user flow control."
    clock.now += 60
    assert ecs.check("StopInstances", request) is None


def test_limits_file_merges_over_the_defaults(tmp_path):
    path = tmp_path / "limits.json"
    path.write_text(json.dumps({"ec2": {"actions": {"RunInstances": {"count": 3, "period": 10}}},
                                "ecs": {"classes": {"default": {"bucket": 5, "refill": 1}}}}))
    table = load_file(str(path))
    assert table["ec2"]["actions"]["RunInstances"] == {"count": 3, "period": 10}  # replaced, not merged
    assert table["ec2"]["actions"]["CreateTags"] == DEFAULT_LIMITS["ec2"]["actions"]["CreateTags"]
    assert table["ecs"]["classes"]["default"] == {"bucket": 5, "refill": 1}
    assert table["ssm"] == DEFAULT_LIMITS["ssm"]


@pytest.mark.parametrize("content, message", [
    ("{", "not JSON"),
    ('{"gcp": {}}', "unknown service 'gcp'"),
    ('{"ec2": {"buckets": {}}}', "unknown key(s) buckets"),
    ('{"ec2": {"actions": {"RunInstances": {"bucket": 5}}}}', "ec2.actions.RunInstances: a rule is"),
    ('{"ec2": {"actions": {"RunInstances": {"bucket": 0, "refill": 1}}}}', "'bucket' must be a number >= 1"),
    ('{"ecs": {"classes": {"default": {"count": 1.5, "period": 60}}}}', "'count' must be an integer >= 1"),
    ('{"ecs": {"classes": {"default": {"count": 1, "period": 0}}}}', "'period' must be a number of seconds > 0"),
    ('{"ssm": {"error": {"http_status": 200}}}', "error.http_status must be 4xx or 5xx"),
])
def test_bad_limits_files_are_refused_saying_why(tmp_path, content, message):
    path = tmp_path / "limits.json"
    path.write_text(content)
    with pytest.raises(LimitsError) as info:
        load_file(str(path))
    assert message in str(info.value) and str(path) in str(info.value)


def test_turning_limits_off_and_on_again_keeps_the_start_table():
    started = build_table({"ecs": {"actions": {"DescribeInstances": {"count": 2, "period": 60}}}})
    limiter = RateLimiter("ecs", started)
    limiter.configure(False)
    assert not limiter.enabled
    limiter.configure(True)  # on again, no table given: the one the sandbox started with
    assert limiter.describe()["limits"]["ecs"]["actions"]["DescribeInstances"] == {"count": 2, "period": 60}
    limiter.configure(True, {"ecs": {"classes": {"default": {"count": 9, "period": 1}}}})  # given: over the defaults
    assert limiter.describe()["limits"]["ecs"]["actions"] == {}
    limiter.reset()
    assert limiter.describe()["limits"]["ecs"]["actions"]["DescribeInstances"] == {"count": 2, "period": 60}
    unlimited = RateLimiter("ecs", None)
    unlimited.configure(True)
    assert unlimited.describe()["limits"]["ecs"] == DEFAULT_LIMITS["ecs"]


# ---------------------------------------------------------------- limits over HTTP, through the SDKs
def test_ec2_over_its_limit_answers_request_limit_exceeded_in_ec2s_format_and_logs_it(box):
    env = box.env()
    set_limits(box.ec2_url, ec2={"actions": {"DescribeInstances": {"bucket": 2, "refill": 0.01}}})
    client = ec2(env)
    client.describe_instances()
    client.describe_instances()
    with pytest.raises(ClientError) as info:
        client.describe_instances()
    response = info.value.response
    assert response["Error"] == {"Code": "RequestLimitExceeded", "Message": "Request limit exceeded."}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 503 and response["ResponseMetadata"]["RequestId"]
    assert [(c["status"], c["error_code"]) for c in log(box.ec2_url, "DescribeInstances")] == [
        (200, None), (200, None), (503, "RequestLimitExceeded")]
    client.describe_instance_status()  # another API: its own bucket
    assert log(box.ec2_url)[-1]["status"] == 200


def test_ec2_unfiltered_describes_draw_from_the_smaller_bucket_per_region(box):
    env = box.env()
    set_limits(box.ec2_url, ec2={"classes": {"unfiltered_non_mutating": {"bucket": 1, "refill": 0.01}}})
    client = ec2(env)
    client.describe_instances()
    with pytest.raises(ClientError, match="RequestLimitExceeded"):
        client.describe_instances()
    client.describe_instances(MaxResults=5)  # paginated: the non-mutating bucket (100)
    client.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])
    ec2(env, region="eu-west-1").describe_instances()  # another region: a bucket of its own
    assert [c["error_code"] for c in log(box.ec2_url, "DescribeInstances")] == [
        None, "RequestLimitExceeded", None, None, None]


def test_ec2_run_instances_draws_one_resource_token_per_instance(box):
    env = box.env()
    set_limits(box.ec2_url, ec2={"resources": {"RunInstances": {"bucket": 3, "refill": 0.01}}})
    client = ec2(env)
    launch = dict(ImageId=fleet.EC2_IMAGE, InstanceType=fleet.EC2_TYPE)
    client.run_instances(MinCount=2, MaxCount=2, **launch)
    with pytest.raises(ClientError, match="RequestLimitExceeded"):
        client.run_instances(MinCount=2, MaxCount=2, **launch)
    client.run_instances(MinCount=1, MaxCount=1, **launch)
    assert [c["status"] for c in log(box.ec2_url, "RunInstances")] == [200, 503, 200]
    reservations = client.describe_instances(MaxResults=50)["Reservations"]
    assert sum(len(r["Instances"]) for r in reservations) == 3  # the throttled call launched nothing


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_botocore_retries_get_through_ec2_throttling(box, mode):
    env = box.env()
    set_limits(box.ec2_url, ec2={"actions": {"DescribeInstances": {"bucket": 1, "refill": 4}}})
    client = ec2(env, mode=mode, total_max_attempts=10)
    for _ in range(4):  # 1 token, 4 per second: the calls after the first wait for theirs
        client.describe_instances()
    calls = log(box.ec2_url, "DescribeInstances")
    assert [c["status"] for c in calls].count(200) == 4
    assert {c["error_code"] for c in calls} == {None, "RequestLimitExceeded"}  # throttled, then through


def test_ssm_over_its_limit_answers_throttling_exception(box):
    env = box.env()
    set_limits(box.ec2_url, ssm={"actions": {"ListCommands": {"bucket": 1, "refill": 0.01}}})
    client = boto3.client("ssm", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                          aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                          config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    client.list_commands()
    with pytest.raises(ClientError) as info:
        client.list_commands()
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
    assert info.value.response["Error"]["Message"] == "Rate exceeded"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert [c["error_code"] for c in log(box.ec2_url, "ListCommands")] == [None, "ThrottlingException"]


def test_ecs_over_its_limit_answers_throttling_user_in_ecs_format_and_logs_it(box, env, ecs):
    set_limits(box.ecs_url, ecs={"actions": {"DescribeInstances": {"count": 2, "period": 3600}}})
    request = m.DescribeInstancesRequest(region_id=R)
    ecs.describe_instances(request)
    ecs.describe_instances(request)
    with pytest.raises(ClientException) as info:
        ecs.describe_instances(request)
    err = info.value
    assert (err.code, err.status_code) == ("Throttling.User", 400)
    assert err.data["Message"] == "Request was denied due to user flow control."
    assert set(err.data) >= {"RequestId", "HostId", "Code", "Message", "Recommend"}
    ecs.describe_instances(m.DescribeInstancesRequest(region_id="cn-shanghai"))  # another region
    ecs.describe_regions(m.DescribeRegionsRequest())  # another API
    assert [(c["action"], c["status"], c["error_code"]) for c in log(box.ecs_url)] == [
        ("DescribeInstances", 200, None), ("DescribeInstances", 200, None),
        ("DescribeInstances", 400, "Throttling.User"), ("DescribeInstances", 200, None),
        ("DescribeRegions", 200, None)]


def test_darabonba_retry_options_get_through_ecs_throttling(box, env):
    from darabonba.policy.retry import RetryOptions

    set_limits(box.ecs_url, ecs={"actions": {"DescribeRegions": {"count": 1, "period": 1}}})
    client = fleet.ecs_client(env, retry_options=RetryOptions({
        "retryable": True,
        "retryCondition": [{"maxAttempts": 10, "errorCode": ["Throttling.User"],
                            "backoff": {"policy": "EqualJitter", "period": 200, "cap": 1000}}],
    }))
    for _ in range(3):  # one per one-second window: the second and third wait for the next windows
        client.describe_regions(m.DescribeRegionsRequest())
    calls = log(box.ecs_url, "DescribeRegions")
    assert [c["status"] for c in calls].count(200) == 3
    assert "Throttling.User" in {c["error_code"] for c in calls}


def test_a_throttled_call_consumes_no_counted_fault(box):
    env = box.env()
    set_limits(box.ec2_url, ec2={"actions": {"DescribeInstances": {"bucket": 1, "refill": 0.01}}})
    control(box.ec2_url, "faults", {"action": "DescribeInstances", "code": "InternalError", "http_status": 500,
                                    "count": 1})
    client = ec2(env)
    for _ in range(2):
        with pytest.raises(ClientError):
            client.describe_instances()
    assert [c["error_code"] for c in log(box.ec2_url)] == ["InternalError", "RequestLimitExceeded"]


def test_limits_control_route_and_reset(box):
    assert control(box.ecs_url, "limits") == {"enabled": False, "limits": None}
    status, body = control_status(box.ecs_url, "limits", {"enabled": "yes"})
    assert status == 400 and "'enabled' must be true or false" in body["error"]
    status, body = control_status(box.ecs_url, "limits", {"enabled": True, "limits": {"ecs": {"x": 1}}})
    assert status == 400 and "unknown key(s) x" in body["error"]
    on = set_limits(box.ec2_url)
    assert on["enabled"] and set(on["limits"]) == {"ec2", "ssm"}
    assert on["limits"]["ec2"]["classes"]["mutating"] == {"bucket": 50, "refill": 5}
    control(box.ec2_url, "reset", {})
    assert control(box.ec2_url, "limits") == {"enabled": False, "limits": None}  # as the sandbox started


# ---------------------------------------------------------------- latency over HTTP
@pytest.fixture
def latency(box):
    """Set `box.ctx.latency` for one test; always put back (the session sandbox has none)."""
    previous = box.ctx.latency

    def use(value):
        box.ctx.latency = value
        return value

    yield use
    box.ctx.latency = previous


def test_latency_delays_a_call_without_blocking_another(box, env, ecs, latency):
    """The first call is held inside its (inbound) delay; meanwhile another call on each port is
    answered, so the delay holds neither the server nor the model's lock. Nothing timed."""
    held, release, first = threading.Event(), threading.Event(), []

    def sleep(seconds):
        with lock:
            mine = not first
            first.append(seconds)
        if mine:
            held.set()
            assert release.wait(20)

    lock = threading.Lock()
    latency(Latency(1000, sleep=sleep))
    aws = box.env()
    answers = {}
    worker = threading.Thread(target=lambda: answers.update(slow=ec2(aws).describe_instances()))
    worker.start()
    try:
        assert held.wait(20), "the first call never reached its delay"
        assert log(box.ec2_url) == []  # the held call has not reached the emulator yet
        ec2(aws).describe_instances(MaxResults=5)  # needs the EC2 model's lock: answered meanwhile
        ecs.describe_regions(m.DescribeRegionsRequest())
        assert worker.is_alive() and "slow" not in answers
    finally:
        release.set()
        worker.join(20)
    assert "slow" in answers
    assert [c["params"] for c in log(box.ec2_url, "DescribeInstances")] == [{"MaxResults": "5"}, {}]
    assert first[0] == 0.5  # half the delay on the way in


def test_latency_makes_each_call_take_at_least_its_delay(box, latency):
    latency(Latency(300))
    client = ec2(box.env())
    client.describe_instances()  # connection set up
    started = time.monotonic()
    client.describe_instances()
    assert time.monotonic() - started >= 0.3
    assert len(log(box.ec2_url, "DescribeInstances")) == 2


# ---------------------------------------------------------------- the serve flags
def test_serve_flags_parse():
    parse = cli._parser().parse_args
    base = ["serve", "--env-file", "x.env"]
    args = parse(base)
    assert (args.latency_ms, args.rate_limits, args.transition_profile) == (None, None, None)
    args = parse(base + ["--latency-ms", "50:20", "--rate-limits", "--transition-profile", "realistic:0.5"])
    assert (args.latency_ms, args.rate_limits, args.transition_profile) == ("50:20", True, "realistic:0.5")
    assert parse(base + ["--rate-limits", "--seed", "3"]).rate_limits is True  # FILE is optional


def test_serve_flags_refuse_bad_values_saying_why(tmp_path, capsys):
    bad = tmp_path / "limits.json"
    bad.write_text('{"gcp": {}}')
    for flags, message in ((["--latency-ms", "fast"], "expected MS or MS:JITTER_MS"),
                           (["--rate-limits", str(bad)], "unknown service 'gcp'"),
                           (["--rate-limits", str(tmp_path / "none.json")], "No such file"),
                           (["--transition-profile", "slow"], "not a built-in profile")):
        with pytest.raises(SystemExit) as info:
            cli._parser().parse_args(["serve", "--env-file", "x.env"] + flags)
        assert info.value.code == 2
        assert message in capsys.readouterr().err


def test_serve_turns_them_on(tmp_path):
    limits_file = tmp_path / "limits.json"
    limits_file.write_text(json.dumps({"ec2": {"actions": {"DescribeInstances": {"bucket": 1, "refill": 0.01}}}}))
    env_file = tmp_path / "sandbox.env"
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--env-file", str(env_file), "--seed", "5",
         "--latency-ms", "200:0", "--rate-limits", str(limits_file), "--transition-profile", "fast"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not env_file.exists():
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "no env file after 60 s"
            time.sleep(0.05)
        env = cli.read_env_file(str(env_file))
        described = control(env["AWS_ENDPOINT_URL"], "limits")
        assert described["enabled"] and described["limits"]["ec2"]["actions"]["DescribeInstances"]["bucket"] == 1
        assert control(env["ALIBABA_CLOUD_ECS_ENDPOINT"], "limits")["limits"]["ecs"]["classes"]["default"] == {
            "count": 1000, "period": 60}
        client = ec2(env)
        started = time.monotonic()
        client.describe_instances()
        assert time.monotonic() - started >= 0.2
        with pytest.raises(ClientError, match="RequestLimitExceeded"):
            client.describe_instances()
        control(env["AWS_ENDPOINT_URL"], "limits", {"enabled": False})  # e.g. while a benchmark seeds
        client.describe_instances()
        control(env["AWS_ENDPOINT_URL"], "limits", {"enabled": True})  # the FILE's table again, buckets full
        client.describe_instances()
        with pytest.raises(ClientError, match="RequestLimitExceeded"):
            client.describe_instances()
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=20)
    assert "latency Latency(200 ms +- 0), rate limits on, transition profile fast" in out
    assert process.returncode == 0


def test_both_clouds_stop_each_instance_after_its_own_profile_draw(sandbox):
    """--transition-profile reaches the models: each instance stays stopping for its own draw."""
    from sandbox import fleet
    from sandbox.timing import Durations

    profile = {"stopping": {"median": 20.0, "p95": 40.0, "tail_fraction": 0.0, "tail_factor": 1.0}}
    saved = sandbox.ctx.durations
    sandbox.ctx.durations = Durations(profile, seed=11, fixed=lambda: sandbox.ctx.transition_seconds)
    try:
        env = sandbox.env()
        for cloud, launch, stop, states, stopped in (
                ("ec2", fleet.launch_ec2, fleet.stop_ec2, fleet.ec2_states, "stopped"),
                ("ecs", fleet.launch_ecs, fleet.stop_ecs, fleet.ecs_states, "Stopped")):
            ids = launch(env, 6)
            fleet.wait_for(lambda i: states(env, i), ids, {"running", "Running"})
            stop(env, ids)
            draws = sorted((sandbox.ctx.durations.seconds(cloud, i, "stopping"), i) for i in ids)
            assert len({round(d, 6) for d, _ in draws}) == len(ids)  # one draw per instance
            first, last = draws[0][0], draws[-1][0]
            sandbox.advance_clock(first - 1.0)
            assert stopped not in states(env, ids).values()
            # between the two draws furthest apart: the ones drawn before are stopped, the others not yet
            gap, k = max((draws[n + 1][0] - draws[n][0], n) for n in range(len(draws) - 1))
            assert gap > 2.0, draws  # median 20 s, p95 40 s: six draws practically never all fall within 2 s
            sandbox.advance_clock(draws[k][0] + gap / 2 - (first - 1.0))
            now = states(env, ids)
            assert [now[i] == stopped for _, i in draws] == [n <= k for n in range(len(draws))], (draws, now)
            sandbox.advance_clock(last)
            assert set(states(env, ids).values()) == {stopped}
    finally:
        sandbox.ctx.durations = saved
