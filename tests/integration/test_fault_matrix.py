"""The fault matrix: playbooks/stop_then_release.yml on a small mixed fleet on both clouds while the
cloud misbehaves, then, from the sandbox's state and call log, proof that nothing was lost.

Invariants checked in every case (faultcases.check_invariants / check_second_run):
- no instance whose last lifecycle call was a start (or only its launch) got an unforced release
  call: nothing running was released;
- no protected instance released;
- with snapshot_before_release, every released instance has its snapshots, and they exist;
- a second run after a failure finishes the job without repeating finished steps (no release for
  gone ids, no stop for stopped ones, no second snapshot);
- no secret (either cloud's) in any output, and no traceback.
docs/reliability.md maps each case to what the collection does.
"""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from cloudtest import CloudUnderTest
from faultcases import (Meddler, all_ids, changed_tasks, check_invariants, check_second_run, has_summary,
                        launch_mixed, release_calls, release_instance, role_vars, run_role, secrets_of,
                        start_instance, summary)
from sandbox.cli import read_env_file

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
@pytest.fixture
def clouds(sandbox):
    return CloudUnderTest("aws", sandbox), CloudUnderTest("alicloud", sandbox)


def expect_done(clouds, fleets, s):
    """The normal end: running and stopped released, protected listed and left alone."""
    for cloud in clouds:
        f = fleets[cloud.name]
        assert set(f["running"] + f["stopped"]) <= set(s["ids"]["released"]), (cloud.name, s)
        assert set(f["protected"]) <= set(s["ids"]["protected"]), (cloud.name, s)
        states = cloud.states(all_ids(f))
        assert {states[i] for i in f["running"] + f["stopped"]} == {"terminated"}, states
        assert {states[i] for i in f["protected"]} <= {"running", "stopped"}, states


def second_run_changes_nothing(clouds, fleets, run_play, extra, secrets, snapshotted=False):
    before = {c.name: c.calls() for c in clouds}
    gone = {c.name: [i for i, s in c.states(all_ids(fleets[c.name])).items() if s == "terminated"] for c in clouds}
    stopped = {c.name: [i for i, s in c.states(all_ids(fleets[c.name])).items() if s == "stopped"] for c in clouds}
    run = run_role(run_play, extra)
    assert run.rc == 0, run.output[-5000:]
    assert changed_tasks(run) == [], run.output[-5000:]
    for cloud in clouds:
        check_second_run(cloud, before[cloud.name], cloud.calls(), gone[cloud.name], stopped[cloud.name], snapshotted)
        check_invariants(cloud, fleets[cloud.name], [run.output], secrets)
    return run


def test_throttling_on_30_percent_of_all_calls(sandbox, clouds, run_play):
    fleets = launch_mixed(clouds)
    for cloud in clouds:
        # seeded: which calls fail is repeatable, and the first two do (draws 0.24, 0.10)
        cloud.faults(action="*", code=cloud.throttle_code, http_status=cloud.throttle_status, rate=0.3, seed=4)
    extra = role_vars(clouds, fleets)
    run = run_role(run_play, extra)
    for cloud in clouds:
        cloud.clear_faults()
    assert run.rc == 0, run.output[-5000:]
    s = summary(run)
    assert s["counts"]["failed"] == 0, s
    expect_done(clouds, fleets, s)
    secrets = secrets_of(sandbox.env())
    for cloud in clouds:
        throttled = [c for c in cloud.calls() if c["error_code"] == cloud.throttle_code]
        assert throttled, f"{cloud.name}: the fault never fired"
        check_invariants(cloud, fleets[cloud.name], [run.output], secrets)
    second_run_changes_nothing(clouds, fleets, run_play, extra, secrets)


def test_bursts_of_5xx(sandbox, clouds, run_play):
    fleets = launch_mixed(clouds)
    for cloud in clouds:
        cloud.faults(action="StopInstances", code="InternalError", http_status=500, count=3)
        cloud.faults(action="DescribeInstances", code="ServiceUnavailable", http_status=503, count=3)
        # a burst on exactly the release call: retried, the release goes through
        cloud.faults(action=cloud.release_action, code="InternalError", http_status=500, count=3)
    run = run_role(run_play, role_vars(clouds, fleets))
    assert run.rc == 0, run.output[-5000:]
    s = summary(run)
    assert s["counts"]["failed"] == 0, s
    expect_done(clouds, fleets, s)
    for cloud in clouds:
        assert len([c for c in cloud.calls() if c["status"] >= 500]) == 9, cloud.name
        # (on EC2 a 400 for the protected instance comes between: the batch is sent again without it)
        statuses = [c["status"] for c in cloud.calls(cloud.release_action)]
        assert statuses[:3] == [500, 500, 500] and statuses[-1] == 200, (cloud.name, statuses)
        check_invariants(cloud, fleets[cloud.name], [run.output], secrets_of(sandbox.env()))


REFUSED = {"aws": "UnauthorizedOperation", "alicloud": "Forbidden.RAM"}


def test_release_call_refused_fails_the_run_and_names_the_error(sandbox, clouds, run_play):
    fleets = launch_mixed(clouds, running=1, stopped=0, protected=0)
    for cloud in clouds:
        cloud.faults(action=cloud.release_action, code=REFUSED[cloud.name], http_status=403, count=50)
    run = run_role(run_play, role_vars(clouds, fleets))
    for cloud in clouds:
        cloud.clear_faults()
        check_invariants(cloud, fleets[cloud.name], [run.output], secrets_of(sandbox.env()))
    assert run.rc != 0, "a refused release ended in rc 0"
    s = summary(run) if has_summary(run) else None
    if s is not None:
        assert sorted(s["ids"]["failed"]) == sorted(i for c in clouds for i in fleets[c.name]["running"]), s
    assert REFUSED["aws"] in run.output and REFUSED["alicloud"] in run.output


def test_after_a_refused_release_a_second_run_completes_without_a_second_snapshot(sandbox, clouds, run_play):
    """A non-retryable error on every release call: the instances are left stopped with their
    snapshots; the second run releases them, stops nothing again and takes no second snapshot."""
    fleets = launch_mixed(clouds)
    for cloud in clouds:
        cloud.faults(action=cloud.release_action, code=REFUSED[cloud.name], http_status=403, count=50)
    extra = role_vars(clouds, fleets, stop_then_release_snapshot_before_release=True,
                      stop_then_release_snapshot_tag="fault-matrix")
    first = run_role(run_play, extra)
    for cloud in clouds:
        cloud.clear_faults()
    secrets = secrets_of(sandbox.env())
    for cloud in clouds:
        f = fleets[cloud.name]
        states = check_invariants(cloud, f, [first.output], secrets)
        assert {states[i] for i in f["running"] + f["stopped"]} == {"stopped"}, states
        assert release_calls(cloud, cloud.calls()) == []
        assert [c["error_code"] for c in cloud.calls(cloud.release_action)] == [REFUSED[cloud.name]]

    before = {c.name: c.calls() for c in clouds}
    second = run_role(run_play, extra)
    assert second.rc == 0, second.output[-5000:]
    s = summary(second)
    expect_done(clouds, fleets, s)
    for cloud in clouds:
        check_invariants(cloud, fleets[cloud.name], [second.output], secrets, snapshot_map=s["snapshots"])
        new = cloud.calls()[len(before[cloud.name]):]
        assert not [c for c in new if c["action"] in ("CreateSnapshots", "CreateSnapshot")], cloud.name
        assert not [c for c in new if c["action"] == "StopInstances"], cloud.name


def test_instances_that_stay_stopping_are_forced_or_reported_and_never_released(sandbox, clouds, run_play):
    fleets = launch_mixed(clouds, stopped=0, protected=0)
    for cloud in clouds:
        f = fleets[cloud.name]
        f["forced"] = cloud.launch(1)
        f["stuck"] = cloud.launch(1)
        cloud.stuck(f["forced"], "stopping", force_works=True)
        cloud.stuck(f["stuck"], "stopping", force_works=False)
    run = run_role(run_play, role_vars(clouds, fleets))
    assert run.rc == 0, run.output[-5000:]
    s = summary(run)
    for cloud in clouds:
        f = fleets[cloud.name]
        assert set(f["running"] + f["forced"]) <= set(s["ids"]["released"]), s
        assert set(f["stuck"]) <= set(s["ids"]["unstoppable"]), s
        states = check_invariants(cloud, f, [run.output], secrets_of(sandbox.env()))
        assert states[f["stuck"][0]] == "stopping"
        assert {states[i] for i in f["running"] + f["forced"]} == {"terminated"}
        for call in cloud.calls(cloud.release_action):
            assert f["stuck"][0] not in cloud.ids_in(call)
        forced = [c for c in cloud.calls("StopInstances") if f["forced"][0] in cloud.ids_in(c)]
        assert str(forced[-1]["params"].get("Force", forced[-1]["params"].get("ForceStop"))).lower() == "true"


def _meddled_run(clouds, fleets, run_play, act):
    """The role on the fleet while, on each cloud, someone else does `act` to the victim once the
    role has stopped it; a stuck instance (force works) keeps the role in its wait meanwhile."""
    for cloud in clouds:
        f = fleets[cloud.name]
        f["victim"] = cloud.launch(1)
        f["slow"] = cloud.launch(1)
        cloud.stuck(f["slow"], "stopping", force_works=True)
    meddlers = [Meddler(cloud, fleets[cloud.name]["victim"][0], act) for cloud in clouds]
    for m in meddlers:
        m.start()
    run = run_role(run_play, role_vars(clouds, fleets, stop_then_release_stuck_timeout=6))
    for m in meddlers:
        m.join(10)
        assert m.done.is_set() and m.error is None, m.error
    return run


def test_an_instance_released_by_someone_else_mid_run_is_reported_already_gone(sandbox, clouds, run_play):
    fleets = launch_mixed(clouds, stopped=0, protected=0)
    run = _meddled_run(clouds, fleets, run_play, release_instance)
    assert run.rc == 0, run.output[-5000:]
    s = summary(run)
    for cloud in clouds:
        f = fleets[cloud.name]
        victim = f["victim"][0]
        assert victim in s["ids"]["already_gone"] and victim not in s["ids"]["failed"], s
        assert set(f["running"] + f["slow"]) <= set(s["ids"]["released"]), s
        # the role sent no release for it: someone else's (forced) release is the only one
        ours = [c for c in release_calls(cloud, cloud.calls()) if victim in cloud.ids_in(c)]
        assert len(ours) == 1, ours
        check_invariants(cloud, f, [run.output], secrets_of(sandbox.env()))


def test_an_instance_started_by_someone_else_between_stop_and_release_is_not_released(sandbox, clouds, run_play):
    fleets = launch_mixed(clouds, stopped=0, protected=0)
    run = _meddled_run(clouds, fleets, run_play, start_instance)
    assert run.rc == 0, run.output[-5000:]
    s = summary(run)
    for cloud in clouds:
        f = fleets[cloud.name]
        victim = f["victim"][0]
        states = check_invariants(cloud, f, [run.output], secrets_of(sandbox.env()))
        assert states[victim] in ("pending", "running"), states
        assert victim not in s["ids"]["released"], s
        assert victim in s["ids"]["unstoppable"], s
        assert all(victim not in cloud.ids_in(c) for c in cloud.calls(cloud.release_action))
        assert set(f["running"] + f["slow"]) <= set(s["ids"]["released"]), s


def test_protection_on_both_clouds(sandbox, clouds, run_play):
    fleets = launch_mixed(clouds, running=1, stopped=1, protected=2)
    extra = role_vars(clouds, fleets)
    run = run_role(run_play, extra)
    assert run.rc == 0, run.output[-5000:]
    s = summary(run)
    expect_done(clouds, fleets, s)
    assert s["counts"]["protected"] == 4 and s["counts"]["failed"] == 0, s
    secrets = secrets_of(sandbox.env())
    for cloud in clouds:
        check_invariants(cloud, fleets[cloud.name], [run.output], secrets)
    # one rule on both clouds: protected instances are not even stopped (EC2's protection is read first)
    for cloud in clouds:
        protected = fleets[cloud.name]["protected"]
        assert not [c for c in cloud.calls("StopInstances") if set(cloud.ids_in(c)) & set(protected)]
        assert set(cloud.states(protected).values()) == {"running"}
    second_run_changes_nothing(clouds, fleets, run_play, extra, secrets)


def test_a_rotated_secret_fails_clearly_without_printing_it_then_the_right_one_completes(sandbox, clouds, run_play):
    """Run 1: the ECS secret in the environment is an old (rotated) one: the first read fails with an
    auth error naming no secret, before any change on either cloud. Run 2, with the right secret, finishes."""
    fleets = launch_mixed(clouds)
    aws, ali = clouds
    wrong = "RotatedAway0123456789abcdefSECRETVALUE"
    secrets = secrets_of(sandbox.env()) | {wrong}
    extra = role_vars(clouds, fleets)
    mark = {c.name: len(c.calls()) for c in clouds}
    first = run_role(run_play, extra, env_overrides={"ALIBABA_CLOUD_ACCESS_KEY_SECRET": wrong}, verbosity=3)
    assert first.rc != 0, first.output[-5000:]
    assert "SignatureDoesNotMatch" in first.output and "Check the credentials" in first.output, first.output[-5000:]
    assert not has_summary(first)
    for cloud in clouds:
        check_invariants(cloud, fleets[cloud.name], [first.output], secrets)
        assert [c for c in cloud.calls()[mark[cloud.name]:] if not c["action"].startswith("Describe")] == []
    assert set(aws.states(fleets["aws"]["running"]).values()) == {"running"}

    second = run_role(run_play, extra, verbosity=3)
    assert second.rc == 0, second.output[-5000:]
    expect_done(clouds, fleets, summary(second))
    for cloud in clouds:
        check_invariants(cloud, fleets[cloud.name], [second.output], secrets)


def test_a_secret_rotated_halfway_fails_the_run_clearly(sandbox, clouds, run_play):
    """The secret is rotated halfway: the sandbox keeps its secret, so ECS refuses the signature from
    the stop on (an injected SignatureDoesNotMatch). EC2 is stopped; the run must fail naming the auth error."""
    fleets = launch_mixed(clouds, running=1, stopped=0, protected=0)
    aws, ali = clouds
    ali.faults(action="StopInstances", code="SignatureDoesNotMatch", http_status=400, count=50)
    run = run_role(run_play, role_vars(clouds, fleets))
    ali.clear_faults()
    for cloud in clouds:
        check_invariants(cloud, fleets[cloud.name], [run.output], secrets_of(sandbox.env()))
        assert release_calls(cloud, cloud.calls()) == [] or cloud.is_aws
    assert set(ali.states(fleets["alicloud"]["running"]).values()) == {"running"}
    assert run.rc != 0, "the auth error was swallowed: rc 0"
    assert "SignatureDoesNotMatch" in run.output


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _External:
    """A `python -m sandbox serve` subprocess, killable and restartable on the same ports."""

    def __init__(self, tmp_path, state_file=None):
        self.env_file = str(tmp_path / "external.env")
        self.ports = (_free_port(), _free_port())
        self.proc = None
        self.state_file = state_file

    def start(self):
        if os.path.exists(self.env_file):
            os.remove(self.env_file)
        extra = ["--state-file", self.state_file] if self.state_file else []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--env-file", self.env_file, "--ec2-port", str(self.ports[0]),
             "--ecs-port", str(self.ports[1]), "--seed", "11", "--transition-seconds", "0.3"] + extra,
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not os.path.exists(self.env_file):
            assert self.proc.poll() is None and time.monotonic() < deadline, "the sandbox did not start"
            time.sleep(0.1)
        self.values = read_env_file(self.env_file)
        return self

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    # what CloudUnderTest reads from a sandbox
    def env(self):
        return dict(self.values)

    @property
    def ec2_url(self):
        return self.values["AWS_ENDPOINT_URL"]

    @property
    def ecs_url(self):
        return self.values["ALIBABA_CLOUD_ECS_ENDPOINT"]

    ec2 = ecs = None


@pytest.mark.parametrize("keeps_state", [False, True], ids=["forgets", "state-file"])
def test_the_sandbox_killed_mid_run_fails_clearly_and_a_second_run_finishes(sandbox, run_play, tmp_path, keeps_state):
    """The cloud's endpoint dies (SIGKILL) while the role waits: the run fails with a connection error
    and no traceback.
    Without a state file the restarted sandbox no longer knows the instances: the second run must
    finish cleanly and report them not found, never released. With --state-file the fleet survives,
    as on a real cloud: the second run is the normal resume, and releases what the first one left."""
    box = _External(tmp_path, state_file=str(tmp_path / "fleet.state") if keeps_state else None).start()
    try:
        clouds = (CloudUnderTest("aws", box), CloudUnderTest("alicloud", box))
        fleets = launch_mixed(clouds, protected=0)
        for cloud in clouds:
            fleets[cloud.name]["slow"] = cloud.launch(1)
            cloud.stuck(fleets[cloud.name]["slow"], "stopping", force_works=True)
        extra = role_vars(clouds, fleets, stop_then_release_stuck_timeout=20)
        env = box.env()
        killer_done = []

        import threading

        def killer():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if clouds[0].calls("StopInstances"):
                        time.sleep(1.0)
                        box.kill()
                        killer_done.append(True)
                        return
                except OSError:
                    pass
                time.sleep(0.1)

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        first = run_role(run_play, extra, env_overrides=env)
        thread.join(5)
        assert killer_done, "the sandbox was never killed"
        assert first.rc != 0, first.output[-5000:]
        assert "Traceback" not in first.output, first.output[-5000:]
        assert not has_summary(first)
        assert "Could not connect" in first.output or "connect" in first.output.lower(), first.output[-5000:]
        secrets = secrets_of(env)
        assert not any(s in first.output for s in secrets)

        box.start()  # same ports, same seed: same credentials; the fleet only with the state file
        second = run_role(run_play, extra, env_overrides=box.env())
        assert second.rc == 0, second.output[-5000:]
        s = summary(second)
        everything = [i for c in clouds for i in all_ids(fleets[c.name])]
        assert s["counts"]["failed"] == 0, s
        if keeps_state:
            # the resume: the first run was killed while it waited on the stuck ones (20 s), before any
            # release, so the second one finds the whole fleet and releases it
            assert sorted(s["ids"]["released"]) == sorted(everything) and s["ids"]["not_found"] == [], s
            for cloud in clouds:
                states = cloud.states(all_ids(fleets[cloud.name]))
                assert set(states.values()) == {"terminated"}, states
        else:
            # the restarted sandbox does not know them: not found, never counted as released
            assert sorted(s["ids"]["not_found"]) == sorted(everything) and s["ids"]["already_gone"] == [], s
            assert s["counts"]["released"] == 0, s
            for cloud in clouds:
                assert not [c for c in cloud.calls() if c["action"] != "DescribeInstances"], cloud.calls()
        assert not any(secret in second.output for secret in secrets)
    finally:
        if box.proc and box.proc.poll() is None:
            box.proc.terminate()
            box.proc.wait(10)
