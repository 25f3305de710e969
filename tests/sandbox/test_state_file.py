"""`serve --state-file PATH` / `Sandbox(state_file=PATH)`: both clouds' fleets survive a restart.

Everything is read back through the unmodified SDKs (boto3, alibabacloud_ecs20140526) over HTTP,
before the restart and after it, and must read the same.
"""
import base64
import json
import os
import pickle
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib

import pytest
from alibabacloud_ecs20140526 import models as m

from sandbox import fleet
from sandbox.control_client import control
from sandbox.server import Sandbox
from sandbox.state_file import FORMAT, VERSION, StateFileError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T = 0.2  # transition seconds of these sandboxes
HZ, BJ = "cn-hangzhou", "cn-beijing"
EC2_USER_DATA = "#!/bin/sh\necho state-file\n"
ECS_USER_DATA = base64.b64encode(b"#!/bin/sh\necho ecs-state-file\n").decode()
# Times a read answers with its own clock in them; they are not state.
_CLOCK_FIELDS = {"ResponseMetadata", "RequestId", "EventPublishTime", "ImpairedSince"}


def _scrub(value):
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in _CLOCK_FIELDS}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _wait(check, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _states_are(read, ids, wanted):
    states = read(ids)
    return all(states.get(i) == wanted.get(i, wanted.get("*")) for i in ids) and states


# --- the fleet ----------------------------------------------------------------------------------
def build_fleet(env):
    """Both clouds, as a run leaves them: running, stopped, protected, stuck, scheduled, imaged."""
    ec2_url, ecs_url = env["AWS_ENDPOINT_URL"], env["ALIBABA_CLOUD_ECS_ENDPOINT"]
    ec2 = fleet.ec2_client(env)
    f = {}
    f["ec2_running"] = fleet.launch_ec2(env, 2, tags={"team": "demo"})
    f["ec2_user_data"] = [ec2.run_instances(ImageId=fleet.EC2_IMAGE, InstanceType="t3.small", MinCount=1, MaxCount=1,
                                            UserData=EC2_USER_DATA)["Instances"][0]["InstanceId"]]
    f["ec2_stopped"] = fleet.launch_ec2(env, 1, tags={"team": "demo", "role": "batch"})
    f["ec2_protected"] = fleet.launch_ec2(env, 1, protected=True, tags={"role": "database"})
    f["ec2_stop_protected"] = fleet.launch_ec2(env, 1, stop_protected=True)
    f["ec2_hibernated"] = fleet.launch_ec2(env, 1, hibernation=True)
    f["ec2_stuck"] = fleet.launch_ec2(env, 1)
    f["ec2_zone_b"] = fleet.launch_ec2(env, 1, zone="us-east-1b")
    f["ec2_west"] = fleet.launch_ec2(env, 1, region="us-west-2")
    f["ecs_running"] = fleet.launch_ecs(env, 2, tags={"team": "demo"})
    f["ecs_stopped"] = fleet.launch_ecs(env, 1)
    f["ecs_protected"] = fleet.launch_ecs(env, 1, protected=True)
    f["ecs_auto_release"] = fleet.launch_ecs(env, 1)
    f["ecs_prepaid"] = fleet.launch_ecs(env, 1, prepaid=True)
    f["ecs_locked"] = fleet.launch_ecs(env, 1)
    f["ecs_stuck"] = fleet.launch_ecs(env, 1)
    ecs = fleet.ecs_client(env)
    f["ecs_user_data"] = list(ecs.run_instances(m.RunInstancesRequest(
        region_id=HZ, image_id=fleet.ECS_IMAGE, instance_type="ecs.c7.large", v_switch_id=fleet.ECS_VSWITCH,
        security_group_id=fleet.ECS_SECURITY_GROUP, user_data=ECS_USER_DATA)).body.instance_id_sets.instance_id_set)
    f["ecs_beijing"] = fleet.launch_ecs(env, 1, region=BJ)

    ec2_all = [i for k, v in f.items() if k.startswith("ec2_") and k != "ec2_west" for i in v]
    ecs_hz = [i for k, v in f.items() if k.startswith("ecs_") and k != "ecs_beijing" for i in v]
    fleet.wait_for(lambda ids: fleet.ec2_states(env, ids), ec2_all, {"running"})
    fleet.wait_for(lambda ids: fleet.ec2_states(env, ids, "us-west-2"), f["ec2_west"], {"running"})
    fleet.wait_for(lambda ids: fleet.ecs_states(env, ids), ecs_hz, {"Running"})
    fleet.wait_for(lambda ids: fleet.ecs_states(env, ids, BJ), f["ecs_beijing"], {"Running"})

    control(ec2_url, "stuck", {"instance_ids": f["ec2_stuck"], "state": "stopping"})
    control(ecs_url, "stuck", {"instance_ids": f["ecs_stuck"], "state": "stopping"})
    ec2.stop_instances(InstanceIds=f["ec2_stopped"] + f["ec2_stuck"])
    ec2.stop_instances(InstanceIds=f["ec2_hibernated"], Hibernate=True)
    ecs.stop_instances(m.StopInstancesRequest(region_id=HZ, instance_id=f["ecs_stopped"], stopped_mode="StopCharging"))
    ecs.stop_instances(m.StopInstancesRequest(region_id=HZ, instance_id=f["ecs_stuck"]))
    release_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2 * 3600))
    ecs.modify_instance_auto_release_time(m.ModifyInstanceAutoReleaseTimeRequest(
        region_id=HZ, instance_id=f["ecs_auto_release"][0], auto_release_time=release_at))
    control(ecs_url, "locks", {"instance_ids": f["ecs_locked"], "reason": "security"})
    for url, instance_id in ((ec2_url, f["ec2_running"][0]), (ecs_url, f["ecs_running"][0])):
        control(url, "events", {"instance_id": instance_id, "code": "system-reboot",
                                "not_before": "2031-01-01T00:00:00Z", "description": "host upgrade"})
        control(url, "health", {"instance_id": instance_id, "status": "impaired"})

    # ECS snapshots a disk only while its instance is Running or Stopped (CreateSnapshot, doc 25524)
    fleet.wait_for(lambda ids: fleet.ec2_states(env, ids), f["ec2_stopped"] + f["ec2_hibernated"], {"stopped"})
    fleet.wait_for(lambda ids: fleet.ecs_states(env, ids), f["ecs_stopped"], {"Stopped"})
    # an EC2 snapshot and image, an ECS snapshot and image, as snapshot_before_release leaves them
    volume = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": f["ec2_stopped"]}])
    f["ec2_snapshots"] = [ec2.create_snapshot(
        VolumeId=volume["Volumes"][0]["VolumeId"], Description="before release",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "made-by", "Value": "cloudfleet"}]}],
    )["SnapshotId"]]
    f["ec2_images"] = [ec2.create_image(InstanceId=f["ec2_running"][1], Name="golden-image")["ImageId"]]
    disk = ecs.describe_disks(m.DescribeDisksRequest(region_id=HZ, instance_id=f["ecs_stopped"][0])).body.disks.disk[0]
    f["ecs_snapshots"] = [ecs.create_snapshot(m.CreateSnapshotRequest(
        disk_id=disk.disk_id, snapshot_name="before-release",
        tag=[m.CreateSnapshotRequestTag(key="made-by", value="cloudfleet")])).body.snapshot_id]
    f["ecs_images"] = [ecs.create_image(m.CreateImageRequest(region_id=HZ, instance_id=f["ecs_running"][1],
                                                             image_name="golden")).body.image_id]
    control(ec2_url, "clock", {"advance_seconds": 7})  # the offset must survive too

    _wait(lambda: ec2_view(env, f)["volumes"] and ecs_settled(env, f), "snapshots and images to be ready")
    return f


def ecs_settled(env, f):
    ecs = fleet.ecs_client(env)
    snaps = ecs.describe_snapshots(m.DescribeSnapshotsRequest(region_id=HZ,
                                                              snapshot_ids=json.dumps(f["ecs_snapshots"])))
    images = ecs.describe_images(m.DescribeImagesRequest(region_id=HZ, image_owner_alias="self"))
    return all(s.status == "accomplished" for s in snaps.body.snapshots.snapshot) and \
        len(images.body.images.image) == len(f["ecs_images"])


def ec2_ids(f):
    return [i for k, v in f.items() if k.startswith("ec2_") and k not in ("ec2_west", "ec2_snapshots", "ec2_images")
            for i in v]


def ecs_ids(f):
    return [i for k, v in f.items() if k.startswith("ecs_") and k not in ("ecs_beijing", "ecs_snapshots", "ecs_images")
            for i in v]


def ec2_view(env, f):
    ec2, west = fleet.ec2_client(env), fleet.ec2_client(env, "us-west-2")
    ids = ec2_ids(f)
    view = {
        "instances": ec2.describe_instances(InstanceIds=ids),
        "west": west.describe_instances(InstanceIds=f["ec2_west"]),
        "status": ec2.describe_instance_status(InstanceIds=ids, IncludeAllInstances=True),
        "volumes": ec2.describe_volumes(),
        "snapshots": ec2.describe_snapshots(SnapshotIds=f["ec2_snapshots"]),
        "own_snapshots": ec2.describe_snapshots(OwnerIds=["self"]),
        "images": ec2.describe_images(ImageIds=f["ec2_images"]),
        "own_images": ec2.describe_images(Owners=["self"]),
        "tags": ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": ids + f["ec2_snapshots"]}]),
        "attributes": {i: [ec2.describe_instance_attribute(InstanceId=i, Attribute=a)
                           for a in ("disableApiTermination", "disableApiStop", "userData")] for i in ids},
    }
    return _scrub(view)


def ecs_view(env, f):
    ecs, beijing = fleet.ecs_client(env), fleet.ecs_client(env, BJ)
    ids = ecs_ids(f)

    def body(response):
        return _scrub(response.body.to_map())

    return {
        "instances": body(ecs.describe_instances(m.DescribeInstancesRequest(region_id=HZ, page_size=100))),
        "beijing": body(beijing.describe_instances(m.DescribeInstancesRequest(region_id=BJ, page_size=100))),
        "status": body(ecs.describe_instance_status(m.DescribeInstanceStatusRequest(region_id=HZ, page_size=50))),
        "full_status": body(ecs.describe_instances_full_status(
            m.DescribeInstancesFullStatusRequest(region_id=HZ, instance_id=ids))),
        "disks": body(ecs.describe_disks(m.DescribeDisksRequest(region_id=HZ, page_size=100))),
        "snapshots": body(ecs.describe_snapshots(m.DescribeSnapshotsRequest(region_id=HZ))),
        "images": body(ecs.describe_images(m.DescribeImagesRequest(region_id=HZ, image_owner_alias="self"))),
        "user_data": {i: body(ecs.describe_user_data(m.DescribeUserDataRequest(region_id=HZ, instance_id=i)))
                      for i in f["ecs_user_data"] + f["ecs_running"][:1]},
    }


def views(env, f):
    return {"ec2": ec2_view(env, f), "ecs": ecs_view(env, f)}


def assert_same(before, after):
    for cloud in before:
        for key in before[cloud]:
            assert after[cloud][key] == before[cloud][key], f"{cloud} {key} reads differently after the restart"


def assert_the_stuck_rules_still_hold(env, f):
    """The control API finds the rules again: a normal stop and a force that does not work leave the
    instances stopping; the rule made to yield lets a force stop through."""
    ec2, ecs = fleet.ec2_client(env), fleet.ecs_client(env)
    ec2_url, ecs_url = env["AWS_ENDPOINT_URL"], env["ALIBABA_CLOUD_ECS_ENDPOINT"]
    ec2.stop_instances(InstanceIds=f["ec2_stuck"])
    ec2.stop_instances(InstanceIds=f["ec2_stuck"], Force=True)
    ecs.stop_instances(m.StopInstancesRequest(region_id=HZ, instance_id=f["ecs_stuck"], force_stop=True))
    time.sleep(3 * T)
    assert fleet.ec2_states(env, f["ec2_stuck"]) == {f["ec2_stuck"][0]: "stopping"}
    assert fleet.ecs_states(env, f["ecs_stuck"]) == {f["ecs_stuck"][0]: "Stopping"}
    control(ec2_url, "stuck", {"instance_ids": f["ec2_stuck"], "state": "stopping", "force_works": True})
    control(ecs_url, "stuck", {"instance_ids": f["ecs_stuck"], "state": "stopping", "force_works": True})
    ec2.stop_instances(InstanceIds=f["ec2_stuck"], Force=True)
    ecs.stop_instances(m.StopInstancesRequest(region_id=HZ, instance_id=f["ecs_stuck"], force_stop=True))
    fleet.wait_for(lambda ids: fleet.ec2_states(env, ids), f["ec2_stuck"], {"stopped"}, timeout=5)
    fleet.wait_for(lambda ids: fleet.ecs_states(env, ids), f["ecs_stuck"], {"Stopped"}, timeout=5)


def read_state(path):
    with open(path) as handle:
        return json.load(handle)


# --- in-process: Sandbox(state_file=...) ---------------------------------------------------------
def test_both_fleets_read_the_same_after_a_restart_and_carry_on(tmp_path):
    path = tmp_path / "state.json"
    box = Sandbox(transition_seconds=T, state_file=str(path)).start()
    try:
        env = box.env()
        f = build_fleet(env)
        before = views(env, f)
        offset = box.ctx.clock.offset
    finally:
        box.stop()
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.lock"]  # no temp file left
    document = read_state(path)
    assert (document["format"], document["version"]) == (FORMAT, VERSION)

    again = Sandbox(transition_seconds=T, state_file=str(path)).start()
    try:
        env2 = again.env()
        # without --seed the generated credentials come back from the file: the same keys work
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID",
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
            assert env2[key] == env[key]
        assert abs(again.ctx.clock.offset - offset) < 1e-6
        assert_same(before, views(env2, f))

        assert_the_stuck_rules_still_hold(env2, f)
        # an auto-release time is still carried out, two hours on
        control(env2["ALIBABA_CLOUD_ECS_ENDPOINT"], "clock", {"advance_seconds": 2 * 3600 + 60})
        assert fleet.ecs_states(env2, f["ecs_auto_release"]) == {f["ecs_auto_release"][0]: "Released"}
        # what the collection made is found by id and can be used: an instance from the saved image
        ec2 = fleet.ec2_client(env2)
        launched = ec2.run_instances(ImageId=f["ec2_images"][0], MinCount=1, MaxCount=1)["Instances"][0]
        assert launched["ImageId"] == f["ec2_images"][0]
        # and new ids do not repeat saved ones
        new_ecs = fleet.launch_ecs(env2, 3)
        assert not set(new_ecs) & set(ecs_ids(f))
    finally:
        again.stop()


def test_a_transition_in_progress_resumes_with_the_time_it_had_left(tmp_path):
    path = str(tmp_path / "state.json")
    seconds = 2.0
    box = Sandbox(transition_seconds=seconds, state_file=path).start()
    try:
        env = box.env()
        ec2_id = fleet.launch_ec2(env, 1)[0]
        ecs_id = fleet.launch_ecs(env, 1)[0]
        box.advance_clock(3 * seconds)  # running at once
        fleet.stop_ec2(env, [ec2_id])
        fleet.stop_ecs(env, [ecs_id])
        assert fleet.ec2_states(env, [ec2_id])[ec2_id] == "stopping"
        assert fleet.ecs_states(env, [ecs_id])[ecs_id] == "Stopping"
    finally:
        box.stop()
    time.sleep(seconds + 0.5)  # longer than the stop had left: a stopped sandbox's time does not count

    again = Sandbox(transition_seconds=seconds, state_file=path).start()
    try:
        started = time.monotonic()
        env = again.env()
        assert fleet.ec2_states(env, [ec2_id])[ec2_id] == "stopping"
        assert fleet.ecs_states(env, [ecs_id])[ecs_id] == "Stopping"
        fleet.wait_for(lambda ids: fleet.ec2_states(env, ids), [ec2_id], {"stopped"}, timeout=10)
        fleet.wait_for(lambda ids: fleet.ecs_states(env, ids), [ecs_id], {"Stopped"}, timeout=10)
        took = time.monotonic() - started
        assert 0.8 < took < seconds + 1.5, took
        # the first start after the restart takes its whole duration again
        fleet.ec2_client(env).start_instances(InstanceIds=[ec2_id])
        assert fleet.ec2_states(env, [ec2_id])[ec2_id] == "pending"
    finally:
        again.stop()


def test_a_reset_clears_that_clouds_part_only(tmp_path):
    path = tmp_path / "state.json"
    box = Sandbox(transition_seconds=T, state_file=str(path)).start()
    try:
        env = box.env()
        ec2_id = fleet.launch_ec2(env, 1)[0]
        ecs_id = fleet.launch_ecs(env, 1)[0]
        _wait(lambda: path.exists() and read_state(path)["clouds"]["ecs"]["state"]["instances"], "a save")
        control(env["ALIBABA_CLOUD_ECS_ENDPOINT"], "reset", {})
        saved = _wait(lambda: (lambda d: not d["clouds"]["ecs"]["state"]["instances"] and d)(read_state(path)),
                      "the reset to be saved", timeout=3)
        assert list(saved["clouds"]["ec2"]["state"]["regions"]) == ["us-east-1"]
    finally:
        box.stop()
    again = Sandbox(transition_seconds=T, state_file=str(path)).start()
    try:
        env = again.env()
        assert fleet.ec2_states(env, [ec2_id]) == {ec2_id: "running"}
        assert fleet.ecs_states(env, [ecs_id]) == {ecs_id: "Released"}
    finally:
        again.stop()


def test_a_second_sandbox_on_the_same_state_file_is_refused(tmp_path):
    path = str(tmp_path / "state.json")
    box = Sandbox(transition_seconds=T, state_file=path).start()
    try:
        with pytest.raises(StateFileError, match="another sandbox is using it"):
            Sandbox(transition_seconds=T, state_file=path)
    finally:
        box.stop()
    Sandbox(transition_seconds=T, state_file=path).start().stop()  # free again once the first stopped


def _saved_once(tmp_path):
    path = tmp_path / "state.json"
    box = Sandbox(transition_seconds=T, state_file=str(path)).start()
    try:
        fleet.launch_ec2(box.env(), 1)
    finally:
        box.stop()
    return path, read_state(path)


def _write(path, document, mode=0o600):
    path.write_text(json.dumps(document))
    os.chmod(path, mode)


def test_a_state_file_that_may_not_be_trusted_is_refused(tmp_path):
    path, document = _saved_once(tmp_path)
    os.chmod(path, 0o664)
    with pytest.raises(StateFileError, match="group or others may write it"):
        Sandbox(transition_seconds=T, state_file=str(path))

    # its EC2 part is a pickle: one that names anything but moto's EC2 models is refused, unrun
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    region = document["clouds"]["ec2"]["state"]["regions"]["us-east-1"]
    region["backend"] = base64.b64encode(zlib.compress(pickle.dumps({"region_name": Evil()}))).decode()
    _write(path, document)
    with pytest.raises(StateFileError, match="which a sandbox state never holds"):
        Sandbox(transition_seconds=T, state_file=str(path))
    assert not marker.exists()

    document["clouds"]["ec2"]["state"]["moto_version"] = "0.0.1"
    _write(path, document)
    with pytest.raises(StateFileError, match="written with moto 0.0.1"):
        Sandbox(transition_seconds=T, state_file=str(path))


# --- `python -m sandbox serve --state-file` as a process ----------------------------------------
def _serve(tmp_path, state_file, *extra):
    env_file = tmp_path / "sandbox.env"
    if env_file.exists():
        env_file.unlink()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--ec2-port", "0", "--ecs-port", "0", "--env-file", str(env_file),
         "--transition-seconds", str(T), "--state-file", str(state_file), *extra],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, env_file


def _env_of(process, env_file):
    deadline = time.monotonic() + 60
    while not env_file.exists():
        if process.poll() is not None:
            pytest.fail(f"serve exited {process.returncode}: {process.stderr.read()}")
        assert time.monotonic() < deadline, "no env file after 60 s"
        time.sleep(0.05)
    return fleet_env(env_file)


def fleet_env(env_file):
    from sandbox.cli import read_env_file

    return read_env_file(str(env_file))


def test_a_sandbox_killed_with_sigkill_comes_back_with_its_fleet(tmp_path):
    state_file = tmp_path / "state.json"
    process, env_file = _serve(tmp_path, state_file)
    try:
        env = _env_of(process, env_file)
        f = build_fleet(env)
        before = views(env, f)
        time.sleep(1.0)  # the last change was written by now (at most ~0.5 s after it)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        first_out, first_err = process.stdout.read(), process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    assert oct(state_file.stat().st_mode & 0o777) == oct(0o600)

    process, env_file = _serve(tmp_path, state_file)
    try:
        env2 = _env_of(process, env_file)
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID",
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
            assert env2[key] == env[key], f"the env file has a new {key}"
        assert oct(env_file.stat().st_mode & 0o777) == oct(0o600)
        assert_same(before, views(env2, f))
        assert_the_stuck_rules_still_hold(env2, f)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "restored 10 EC2 and 10 ECS instances" in out, out
    for text in (first_out, first_err, out, err):  # the secrets are in the state file, never printed
        assert env["AWS_SECRET_ACCESS_KEY"] not in text and env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] not in text


@pytest.mark.parametrize("content, message", [
    ({"format": FORMAT, "version": 99, "sandbox": {}, "clouds": {}},
     "format version 99, this sandbox reads version 1"),
    ("AWS_SECRET_ACCESS_KEY=hunter2-not-for-printing\n{", "is not a sandbox state file (not JSON"),
    ({"format": "something-else", "version": 1}, "is not a sandbox state file"),
    (None, "is a directory"),
], ids=["other-version", "not-json", "not-ours", "unreadable"])
def test_serve_refuses_a_bad_state_file_with_exit_2_and_a_message(tmp_path, content, message):
    state_file = tmp_path / "state.json"
    if content is None:
        state_file.mkdir()
    else:
        state_file.write_text(content if isinstance(content, str) else json.dumps(content))
        os.chmod(state_file, 0o600)
    before = None if content is None else state_file.read_bytes()
    process, env_file = _serve(tmp_path, state_file)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2, (out, err)
    assert message in err and str(state_file) in err, err
    assert "hunter2" not in err + out
    assert not env_file.exists()  # nothing served
    if before is not None:
        assert state_file.read_bytes() == before  # refused, not overwritten


def test_a_state_file_in_a_directory_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(StateFileError, match="does not exist"):
        Sandbox(transition_seconds=T, state_file=str(tmp_path / "nowhere" / "state.json"))
