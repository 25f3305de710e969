"""What ships: the tarball `ansible-galaxy collection build` makes, installed into an empty
collections path, runs the demo playbook against the sandbox; and an execution environment build
context (ansible-builder create) that installs it and gets its Python requirements.
"""
import json
import os
import subprocess
import sys
import tarfile

import pytest
import yaml

from sandbox import cli, fleet

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
VERSION = yaml.safe_load(open(os.path.join(REPO, "galaxy.yml")))["version"]
TARBALL = f"cloudfleet-lifecycle-{VERSION}.tar.gz"
NEVER_SHIPPED = ("sandbox/", ".venv/", ".cache/", ".git/", ".ci/", ".pytest_cache/", "tests/integration/",
                 "tests/sandbox/", "bench/", "build/")


def run(command, **kwargs):
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)
    assert proc.returncode == 0, f"{command}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("built")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out), REPO])
    return out / TARBALL


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    """The tarball installed into an empty collections path (nothing else in it)."""
    path = tmp_path_factory.mktemp("collections")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(path))
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--force", "--offline", "-p", str(path), str(built)],
        env=env)
    return path


def test_tarball_ships_the_collection_without_sandbox_caches_or_venv(built):
    with tarfile.open(built) as tar:
        names = [m.name for m in tar.getmembers()]
    for name in names:
        assert not any(name == p.rstrip("/") or name.startswith(p) for p in NEVER_SHIPPED), name
        assert "__pycache__" not in name and not name.endswith((".pyc", ".tar.gz")), name
    for needed in ("MANIFEST.json", "FILES.json", "README.md", "requirements.txt", "bindep.txt", "meta/runtime.yml",
                   "meta/execution-environment.yml", "plugins/inventory/instances.py",
                   "plugins/plugin_utils/inventory_source.py", "plugins/modules/instance_stop.py", "playbooks/demo.yml"):
        assert needed in names, needed
    manifest = json.loads(tarfile.open(built).extractfile("MANIFEST.json").read())
    assert manifest["collection_info"]["namespace"] == "cloudfleet" and manifest["collection_info"]["name"] == "lifecycle"


def installed_env(sandbox, installed, tmp_path):
    env = dict(os.environ)
    env.update(sandbox.env())
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(installed),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
    })
    return env


def test_installed_collection_is_the_one_ansible_loads(sandbox, installed, tmp_path):
    out = run([os.path.join(BIN, "ansible-doc"), "-t", "inventory", "cloudfleet.lifecycle.instances"],
              env=installed_env(sandbox, installed, tmp_path), cwd=str(tmp_path))
    assert str(installed) in out.splitlines()[0]


def test_demo_playbook_from_the_installed_tarball(sandbox, installed, tmp_path):
    env_file = tmp_path / "sandbox.env"
    sandbox.write_env_file(str(env_file))
    fleet_file = tmp_path / "fleet.json"
    assert cli.main(["seed", "--env-file", str(env_file), "--out", str(fleet_file), "--running", "2"]) == 0
    seeded = json.loads(fleet_file.read_text())["fleets"]
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    playbook = installed / "ansible_collections" / "cloudfleet" / "lifecycle" / "playbooks" / "demo.yml"
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(inventory), str(playbook), "-e", f"@{fleet_file}"],
                          env=installed_env(sandbox, installed, tmp_path), cwd=str(tmp_path), capture_output=True,
                          text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "failed=0" in output
    env = sandbox.env()
    ec2, ecs = seeded[0]["instance_ids"], seeded[1]["instance_ids"]
    ec2_states = fleet.ec2_states(env, ec2)
    ecs_states = fleet.ecs_states(env, ecs)
    # the seed launches running ones, then one stopped, then one protected: the running ones are released,
    # the stopped one is kept and started back, the protected one is left running
    assert [ec2_states[i] for i in ec2[:-2]] == ["terminated"] * (len(ec2) - 2)
    assert [ecs_states[i] for i in ecs[:-2]] == ["Released"] * (len(ecs) - 2)
    assert [ec2_states[i] for i in ec2[-2:]] == ["running", "running"]
    assert [ecs_states[i] for i in ecs[-2:]] == ["Running", "Running"]


EE_DEFINITION = {
    "version": 3,
    "images": {"base_image": {"name": "quay.io/ansible/awx-ee:24.6.1"}},
    "dependencies": {
        "ansible_core": {"package_pip": "ansible-core==2.19.14"},
        "ansible_runner": {"package_pip": "ansible-runner==2.4.3"},
        "galaxy": {"collections": [{"name": f"collections/{TARBALL}", "type": "file"}]},
    },
    "additional_build_files": [{"src": TARBALL, "dest": "collections"}],
}


def test_ansible_builder_context_installs_the_collection_and_its_requirements(built, installed, tmp_path):
    ee_dir = tmp_path / "ee"
    ee_dir.mkdir()
    (ee_dir / TARBALL).write_bytes(built.read_bytes())
    (ee_dir / "execution-environment.yml").write_text(yaml.safe_dump(EE_DEFINITION, sort_keys=False))
    context = tmp_path / "context"
    run([os.path.join(BIN, "ansible-builder"), "create", "--file", str(ee_dir / "execution-environment.yml"),
         "--context", str(context), "--output-filename", "Containerfile"], cwd=str(ee_dir))
    build = context / "_build"
    assert (build / "collections" / TARBALL).read_bytes() == built.read_bytes()
    assert yaml.safe_load((build / "requirements.yml").read_text()) == {
        "collections": [{"name": f"collections/{TARBALL}", "type": "file"}]}
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile and "introspect.py introspect" in containerfile
    # The image build runs the context's introspect.py over the installed collections to collect
    # their requirements (meta/execution-environment.yml); run the same script over ours.
    out = run([sys.executable, str(build / "scripts" / "introspect.py"), "introspect", str(installed),
               "--write-pip", str(tmp_path / "pip.txt"), "--write-bindep", str(tmp_path / "bindep.txt")])
    found = yaml.safe_load(out.split("---", 1)[1])
    ours = [line for line in open(os.path.join(REPO, "requirements.txt")) if line.strip() and not line.startswith("#")]
    expected = [f"{line.strip()}  # from collection cloudfleet.lifecycle" for line in ours]
    assert found["python"] == expected
    assert (tmp_path / "pip.txt").read_text().splitlines() == expected
    assert found["system"] == []  # bindep.txt: no system packages


def test_collection_ee_metadata_points_at_shipped_files(built):
    with tarfile.open(built) as tar:
        meta = yaml.safe_load(tar.extractfile("meta/execution-environment.yml").read())
        names = tar.getnames()
    assert meta["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    assert all(path in names for path in meta["dependencies"].values())
