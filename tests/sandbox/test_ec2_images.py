"""EC2 images and snapshots on the sandbox, and the image-failure switch (control: image_failures)."""
import pytest
from botocore.exceptions import ClientError

from sandbox.control_client import control
from ec2_harness import Ec2Harness


@pytest.fixture
def ec2(sandbox):
    return Ec2Harness(sandbox)


def test_create_image_no_reboot_is_logged_and_available(sandbox, ec2):
    instance_id = ec2.launch(1)[0]
    client = ec2.client()
    image_id = client.create_image(InstanceId=instance_id, Name="img-a", NoReboot=True)["ImageId"]
    image = client.describe_images(ImageIds=[image_id])["Images"][0]
    assert image["State"] == "available" and image["Name"] == "img-a"
    call = [c for c in sandbox.ec2.calls.snapshot() if c["action"] == "CreateImage"][0]
    assert call["params"]["NoReboot"] == "true"


def test_image_failure_switch_fails_create_image_for_those_instances_only(sandbox, ec2):
    failing, fine = ec2.launch(2)
    assert control(sandbox.ec2_url, "image_failures", {"instance_ids": [failing]}) == {"image_failures": [failing]}
    client = ec2.client()
    with pytest.raises(ClientError) as err:
        client.create_image(InstanceId=failing, Name="img-b", NoReboot=True)
    assert err.value.response["Error"]["Code"] == "IncorrectInstanceState"
    assert failing in err.value.response["Error"]["Message"]
    assert client.create_image(InstanceId=fine, Name="img-c", NoReboot=True)["ImageId"].startswith("ami-")
    sandbox.ec2.reset()
    assert sandbox.ec2.image_failures == set()


def test_image_failure_route_rejects_a_bad_body(sandbox):
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as err:
        control(sandbox.ec2_url, "image_failures", {"instance_ids": "i-1"})
    assert err.value.code == 400


def test_create_snapshots_per_instance_with_tags(ec2):
    instance_id = ec2.launch(1)[0]
    client = ec2.client()
    made = client.create_snapshots(InstanceSpecification={"InstanceId": instance_id},
                                   TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "k", "Value": "v"}]}])
    assert len(made["Snapshots"]) == 1
    found = client.describe_snapshots(Filters=[{"Name": "tag:k", "Values": ["v"]}])["Snapshots"]
    assert [s["SnapshotId"] for s in found] == [made["Snapshots"][0]["SnapshotId"]]


def test_create_image_tags_its_snapshot_too(ec2):
    instance_id = ec2.launch(1)[0]
    client = ec2.client()
    image_id = client.create_image(InstanceId=instance_id, Name="img-t", NoReboot=True, TagSpecifications=[
        {"ResourceType": "image", "Tags": [{"Key": "k", "Value": "image"}]},
        {"ResourceType": "snapshot", "Tags": [{"Key": "k", "Value": "snap"}]}])["ImageId"]
    image = client.describe_images(ImageIds=[image_id])["Images"][0]
    assert {t["Key"]: t["Value"] for t in image["Tags"]} == {"k": "image"}
    snapshot_id = image["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    snapshot = client.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]
    assert {t["Key"]: t["Value"] for t in snapshot["Tags"]} == {"k": "snap"}
