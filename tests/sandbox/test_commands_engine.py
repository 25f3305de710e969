"""The sandbox's command engine (sandbox/commands.py), driven directly: real scripts, real exit codes."""
import os

import pytest

from sandbox.clock import SandboxClock
from sandbox.commands import CANCELLED, ERROR, FINISHED, PENDING, RUNNING, TIMEOUT, CommandRunner, windows_exit_code

WAIT = 30  # generous: the machine is shared; nothing here asserts how long anything took


@pytest.fixture
def runner(tmp_path):
    runner = CommandRunner(str(tmp_path / "scratch"), SandboxClock(), max_parallel=2)
    yield runner
    runner.close()


def finished(execution):
    assert execution.done.wait(WAIT), f"not done: {execution}"
    return execution


def test_exit_code_and_interleaved_output(runner):
    run = finished(runner.start("i-one", "echo out; echo err >&2; echo again; exit 3", "sh", 10))
    assert (run.status, run.exit_code) == (FINISHED, 3)
    assert run.output == "out\nerr\nagain\n"
    assert run.started_at is not None and run.finished_at >= run.started_at
    assert run.dropped == 0


def test_success_and_bash_features(runner):
    run = finished(runner.start("i-one", "set -euo pipefail\narr=(a b c)\necho ${#arr[@]}", "sh", 10))
    assert (run.status, run.exit_code, run.output) == (FINISHED, 0, "3\n")


def test_timeout_kills_the_whole_process_group(runner, tmp_path):
    marker = tmp_path / "survivor"
    script = f"(sleep 1; touch {marker}) &\nsleep 30"
    run = finished(runner.start("i-slow", script, "sh", 0.5))
    assert (run.status, run.exit_code) == (TIMEOUT, None)
    # the background child was in the group too: give it the time it would need, it must not act
    done = runner.start("i-other", "sleep 2", "sh", 10)
    finished(done)
    assert not marker.exists()


def test_working_dir_is_mapped_inside_the_instance_root(runner):
    run = finished(runner.start("i-wd", "pwd; touch here", "sh", 10, working_dir="/opt/app/../app"))
    root = os.path.join(runner.root_dir, "i-wd")
    assert run.output.strip() == os.path.join(root, "opt", "app")
    assert os.path.exists(os.path.join(root, "opt", "app", "here"))
    escape = finished(runner.start("i-wd", "pwd", "sh", 10, working_dir="../../../etc"))
    assert escape.output.strip() == os.path.join(root, "etc")


def test_default_cwd_is_a_fresh_scratch_dir_per_run(runner):
    first = finished(runner.start("i-cwd", "pwd", "sh", 10)).output.strip()
    second = finished(runner.start("i-cwd", "pwd", "sh", 10)).output.strip()
    assert first != second
    assert os.path.dirname(first) == os.path.dirname(second) == os.path.join(runner.root_dir, "i-cwd")


def test_env_is_minimal_with_instance_id_and_no_parent_secrets(runner, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "parent-secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "parent-secret-2")
    run = finished(runner.start("i-env", "env", "sh", 10, env={"EXTRA": "yes"}))
    env = dict(line.split("=", 1) for line in run.output.splitlines() if "=" in line)
    assert env["SANDBOX_INSTANCE_ID"] == "i-env"
    assert env["EXTRA"] == "yes"
    assert env["HOME"] == os.path.join(runner.root_dir, "i-env")
    assert "parent-secret" not in run.output
    assert "ALIBABA_CLOUD_ACCESS_KEY_SECRET" not in env and "AWS_SECRET_ACCESS_KEY" not in env


@pytest.mark.parametrize("content,code", [
    ("Write-Host hi\r\nexit 3010\r\n", 3010),
    ("echo off\nEXIT /B 7\n\n", 7),
    ("Exit 3009", 3009),
    ("exit 5\necho after", 0),
    ("Write-Host nothing", 0),
    ("", 0),
])
def test_windows_exit_code_parsing(content, code):
    assert windows_exit_code(content) == code


@pytest.mark.parametrize("shell", ["powershell", "bat"])
def test_windows_types_are_not_run(runner, tmp_path, shell):
    marker = tmp_path / "ran"
    run = finished(runner.start("i-win", f"touch {marker}\nexit 3010", shell, 10))
    assert (run.status, run.exit_code, run.output) == (FINISHED, 3010, "")
    assert not marker.exists()


def test_output_keeps_the_last_max_output_bytes(runner):
    script = "for i in $(seq 1 2000); do echo line-$i; done"
    run = finished(runner.start("i-big", script, "sh", 10, max_output=100))
    assert len(run.output.encode()) == 100
    assert run.output.endswith("line-2000\n")
    total = sum(len(f"line-{i}\n") for i in range(1, 2001))
    assert run.dropped == total - 100


def test_invalid_utf8_is_replaced(runner):
    run = finished(runner.start("i-bytes", r"printf 'a\377b\n'", "sh", 10))
    assert run.output == "a\ufffdb\n"


def test_on_done_sees_the_result_before_done_is_set(runner):
    seen = []

    def on_done(execution):
        seen.append((execution.status, execution.exit_code, execution.done.is_set()))

    finished(runner.start("i-cb", "exit 193", "sh", 10, on_done=on_done))
    assert seen == [(FINISHED, 193, False)]


def test_parallelism_is_bounded_and_the_rest_wait_pending(tmp_path):
    runner = CommandRunner(str(tmp_path / "s"), SandboxClock(), max_parallel=1)
    try:
        first = runner.start("i-a", "sleep 30", "sh", None)
        second = runner.start("i-b", "echo second", "sh", 10)
        assert second.status == PENDING
        assert runner.cancel(first)
        finished(first)
        assert first.status == CANCELLED
        assert finished(second).output == "second\n"
    finally:
        runner.close()


def test_cancel_a_pending_execution_never_runs_it(tmp_path):
    runner = CommandRunner(str(tmp_path / "s"), SandboxClock(), max_parallel=1)
    try:
        blocker = runner.start("i-a", "sleep 30", "sh", None)
        queued = runner.start("i-b", "echo never", "sh", 10)
        assert runner.cancel(queued)
        assert finished(queued).status == CANCELLED and queued.started_at is None
        assert queued.output == ""
        runner.cancel(blocker)
        finished(blocker)
        assert not runner.cancel(blocker)  # already over
    finally:
        runner.close()


def test_reset_kills_running_scripts_and_forgets_them(runner, tmp_path):
    marker = tmp_path / "late"
    running = runner.start("i-r", f"sleep 1; touch {marker}", "sh", None)
    for _ in range(200):
        if running.status == RUNNING and running._proc is not None:
            break
        running.done.wait(0.05)
    calls = []
    other = runner.start("i-keep", "sleep 30", "sh", None, group="ec2", on_done=calls.append)
    runner.reset(group="nobody")  # a group with no executions changes nothing
    assert running in runner.executions()
    runner.reset()
    assert running.done.is_set() and running.status == ERROR and other.status == ERROR
    assert runner.executions() == []
    assert not os.path.exists(os.path.join(runner.root_dir, "i-r"))
    assert calls == []  # reset is no result: on_done is not called
    finished(runner.start("i-after", "sleep 2", "sh", 10))
    assert not marker.exists()


def test_reset_of_one_group_leaves_the_other(runner):
    mine = runner.start("i-ecs", "sleep 30", "sh", None, group="ecs")
    theirs = runner.start("i-ec2", "echo kept", "sh", 10, group="ec2")
    runner.reset(group="ecs")
    assert mine.status == ERROR
    assert finished(theirs).output == "kept\n"
    assert runner.executions() == [theirs]


def test_start_rejects_bad_arguments(runner):
    with pytest.raises(ValueError):
        runner.start("../etc", "true", "sh", 10)
    with pytest.raises(ValueError):
        runner.start("i-x", "true", "zsh", 10)
    with pytest.raises(ValueError):
        runner.start("i-x", "true", "sh", 0)


def test_close_removes_a_private_root(tmp_path):
    runner = CommandRunner(None, SandboxClock())
    finished(runner.start("i-tmp", "true", "sh", 10))
    root = runner.root_dir
    assert os.path.isdir(root)
    runner.close()
    assert not os.path.exists(root)
