"""Bad input fails before any API call with a clear message; secrets never reach any output."""
import pytest

from cloudtest import CloudUnderTest

STOP = "cloudfleet.lifecycle.instance_stop"
RELEASE = "cloudfleet.lifecycle.instance_release"
AUTO = "cloudfleet.lifecycle.auto_release_time"
INFO = "cloudfleet.lifecycle.instance_state_info"

# (task name, module, arguments, a phrase the message must contain)
BAD_INPUTS = [
    ("malformed aws id", STOP, {"cloud": "aws", "instance_ids": ["i-NOT-AN-ID"]}, "i-NOT-AN-ID"),
    ("malformed ecs id", STOP, {"cloud": "alicloud", "instance_ids": ["instance-1"]}, "instance-1"),
    ("empty list", STOP, {"cloud": "aws", "instance_ids": []}, "instance_ids"),
    ("hibernate with force", STOP, {"cloud": "aws", "instance_ids": ["i-0123456789abcdef0"], "hibernate": True, "force": True}, "hibernate"),
    ("stopped_mode on aws", STOP, {"cloud": "aws", "instance_ids": ["i-0123456789abcdef0"], "stopped_mode": "stop_charging"}, "stopped_mode"),
    ("unknown cloud", STOP, {"cloud": "gcp", "instance_ids": ["i-0123456789abcdef0"]}, "cloud"),
    ("release_at in the past", AUTO, {"cloud": "alicloud", "instance_ids": ["i-bp1abcdefghij0123456"], "release_at": "2020-01-01T00:00:00Z"}, "past"),
    ("release_at too soon", AUTO, {"cloud": "alicloud", "instance_ids": ["i-bp1abcdefghij0123456"], "release_in": "10m"}, "30 minutes"),
    ("release_at too far", AUTO, {"cloud": "aws", "instance_ids": ["i-0123456789abcdef0"], "release_in": "1200d"}, "3 years"),
    ("release_at not a time", AUTO, {"cloud": "aws", "instance_ids": ["i-0123456789abcdef0"], "release_at": "next tuesday"}, "next tuesday"),
    ("release_in not a duration", AUTO, {"cloud": "aws", "instance_ids": ["i-0123456789abcdef0"], "release_in": "soon"}, "soon"),
]


def test_every_bad_input_fails_before_any_call(sandbox, run_play):
    tasks = [{"name": name, module: args, "ignore_errors": True} for name, module, args, _ in BAD_INPUTS]
    run = run_play(tasks)
    for name, _, _, phrase in BAD_INPUTS:
        result = run.result(name)
        assert result.get("failed") is True, name
        assert phrase in result["msg"], (name, result["msg"])
        assert "Traceback" not in result["msg"] + str(result.get("exception", "")), name
    for cloud in ("aws", "alicloud"):
        assert CloudUnderTest(cloud, sandbox).calls() == [], cloud


@pytest.mark.parametrize("cloud_name", ["aws", "alicloud"])
def test_wrong_secret_gives_a_clean_auth_error_and_never_prints_it(sandbox, run_play, cloud_name):
    cloud = CloudUnderTest(cloud_name, sandbox)
    ids = cloud.launch(1)
    secret = "WrongSecret0123456789abcdefSECRETVALUE"
    secret_var = "AWS_SECRET_ACCESS_KEY" if cloud.is_aws else "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
    real_secret = cloud.env[secret_var]
    # wrong secret passed as a module option (no_log) and, separately, through the environment
    run = run_play([
        {"name": "by option", STOP: cloud.module_args(instance_ids=ids, secret_key=secret), "ignore_errors": True},
    ], verbosity=3)
    result = run.result("by option")
    assert result["failed"] is True
    assert "Traceback" not in run.output
    assert secret not in run.output
    assert real_secret not in run.output
    expected = ("AuthFailure",) if cloud.is_aws else ("SignatureDoesNotMatch",)
    assert result["error"]["code"] in expected, result
    assert cloud.states(ids) == {ids[0]: "running"}
