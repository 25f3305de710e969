"""Run real `ansible-playbook` processes against the in-process sandbox.

`run_play(tasks, check=False, extra_vars=None)` writes a one-play playbook on localhost (the
venv's python as interpreter: discovery picks a broken pyenv shim here), runs it with the
sandbox's env, and returns a PlayRun with the exit code, the full output and every task's result
as recorded by the `record_results` test callback.
"""
from dataclasses import dataclass, field

import pytest
import yaml

from cloudtest import CloudUnderTest
from playrun import run_playbook


@dataclass
class PlayRun:
    rc: int
    output: str
    records: list = field(default_factory=list)

    def result(self, task_name):
        """The result of the one task of that name (fails the test if absent or repeated)."""
        matches = [r for r in self.records if r["task"] == task_name]
        assert len(matches) == 1, f"task {task_name!r}: {len(matches)} results; output:\n{self.output[-4000:]}"
        return matches[0]["result"]

    def status(self, task_name):
        return [r["status"] for r in self.records if r["task"] == task_name][0]


@pytest.fixture
def run_play(sandbox, tmp_path):
    counter = {"n": 0}

    def run(tasks, check=False, extra_vars=None, env_overrides=None, verbosity=0, play_vars=None, playbook=None):
        """Run `tasks` in a one-play playbook on localhost, or a shipped `playbook` file as it is."""
        counter["n"] += 1
        if playbook is None:
            playbook = tmp_path / f"play{counter['n']}.yml"
            play = {"name": "integration", "hosts": "localhost", "gather_facts": False, "tasks": tasks}
            if play_vars:
                play["vars"] = play_vars
            playbook.write_text(yaml.safe_dump([play], sort_keys=False))
        rc, output, records = run_playbook(sandbox, tmp_path, playbook, extra_vars=extra_vars, name=f"run{counter['n']}",
                                           check=check, env_overrides=env_overrides, verbosity=verbosity)
        return PlayRun(rc, output, records)

    return run


@pytest.fixture(params=["aws", "alicloud"])
def cloud(request, sandbox):
    return CloudUnderTest(request.param, sandbox)
