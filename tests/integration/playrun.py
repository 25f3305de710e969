"""One way to run a real `ansible-playbook` against the in-process sandbox.

Every integration test that runs a playbook goes through `run_playbook`: the sandbox's env, the
collection from the checkout, the `record_results` callback writing each task's result to a file,
and ansible's temp and home dirs inside the test's tmp_path.
"""
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(REPO, ".cache", "collections")
CALLBACKS = os.path.join(REPO, "tests", "integration", "callback_plugins")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
# The venv's python for localhost: interpreter discovery picks a broken pyenv shim here.
LOCALHOST = f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"


def run_playbook(sandbox, tmp_path, playbook, inventory=LOCALHOST, extra_vars=None, name="run", check=False,
                 env_overrides=None, verbosity=0):
    """ansible-playbook on `playbook` (a path) with `inventory` (INI text); (rc, output, records)."""
    inventory_path = tmp_path / f"{name}.ini"
    inventory_path.write_text(inventory)
    record = tmp_path / f"{name}.json"
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
    command = [ANSIBLE_PLAYBOOK, "-i", str(inventory_path), str(playbook)]
    if check:
        command.append("--check")
    if verbosity:
        command.append("-" + "v" * verbosity)
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    proc = subprocess.run(command, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=600)
    records = json.loads(record.read_text()) if record.exists() else []
    return proc.returncode, proc.stdout + proc.stderr, records
