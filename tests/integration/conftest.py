"""Run real `ansible-playbook` processes against the in-process sandbox.

`run_play(tasks, check=False, extra_vars=None)` writes a one-play playbook on localhost (the
venv's python as interpreter: discovery picks a broken pyenv shim here), runs it with the
sandbox's env, and returns a PlayRun with the exit code, the full output and every task's result
as recorded by the `record_results` test callback.
"""
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field

import pytest
import yaml

from cloudtest import CloudUnderTest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(REPO, ".cache", "collections")
CALLBACKS = os.path.join(REPO, "tests", "integration", "callback_plugins")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


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


def _write_inventory(path):
    with open(path, "w") as handle:
        handle.write(
            "localhost ansible_connection=local "
            f"ansible_python_interpreter={sys.executable}\n"
        )


@pytest.fixture
def run_play(sandbox, tmp_path):
    inventory = tmp_path / "inventory.ini"
    _write_inventory(inventory)
    counter = {"n": 0}

    def run(tasks, check=False, extra_vars=None, env_overrides=None, verbosity=0, play_vars=None, playbook=None):
        """Run `tasks` in a one-play playbook on localhost, or a shipped `playbook` file as it is."""
        counter["n"] += 1
        record = tmp_path / f"record{counter['n']}.json"
        if playbook is None:
            playbook = tmp_path / f"play{counter['n']}.yml"
            play = {"name": "integration", "hosts": "localhost", "gather_facts": False, "tasks": tasks}
            if play_vars:
                play["vars"] = play_vars
            playbook.write_text(yaml.safe_dump([play], sort_keys=False))
        env = dict(os.environ)
        env.update(sandbox.env())
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "ANSIBLE_CALLBACK_PLUGINS": CALLBACKS,
            "ANSIBLE_CALLBACKS_ENABLED": "record_results",
            "CLOUDFLEET_RECORD_FILE": str(record),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
            "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        })
        env.update(env_overrides or {})
        command = [ANSIBLE_PLAYBOOK, "-i", str(inventory), str(playbook)]
        if check:
            command.append("--check")
        if verbosity:
            command.append("-" + "v" * verbosity)
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        proc = subprocess.run(command, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=600)
        records = json.loads(record.read_text()) if record.exists() else []
        return PlayRun(proc.returncode, proc.stdout + proc.stderr, records)

    return run


@pytest.fixture(params=["aws", "alicloud"])
def cloud(request, sandbox):
    return CloudUnderTest(request.param, sandbox)
