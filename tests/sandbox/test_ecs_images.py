"""ECS: the image-failure switch (control: image_failures)."""
import urllib.error

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException

from sandbox.control_client import control
from sandbox.fleet import launch_ecs

R = "cn-hangzhou"


def test_image_failure_switch(box, env, ecs):
    failing, fine = launch_ecs(env, 2)
    control(box.ecs_url, "image_failures", {"instance_ids": [failing]})
    with pytest.raises(ClientException) as err:
        ecs.create_image(m.CreateImageRequest(region_id=R, instance_id=failing, image_name="img-a"))
    assert err.value.code == "IncorrectInstanceStatus"
    assert ecs.create_image(m.CreateImageRequest(region_id=R, instance_id=fine, image_name="img-b")).body.image_id
    box.ecs.reset()
    assert box.ecs.model.image_failures == set()


def test_image_failure_route_rejects_an_empty_list(box):
    with pytest.raises(urllib.error.HTTPError) as err:
        control(box.ecs_url, "image_failures", {"instance_ids": []})
    assert err.value.code == 400
