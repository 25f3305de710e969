"""Helpers the sandbox suites share (their fixtures are in conftest.py): control calls, the call log, ECS errors."""
import json
import urllib.error
import urllib.request

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException

from sandbox.control_client import control


def control_status(url, route, body):
    """A control call: (HTTP status, JSON answer), an error status included."""
    request = urllib.request.Request(f"{url}/_sandbox/{route}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def advance(box, seconds=1.0):
    """Move the sandbox clock past a transition (the suites run with 0.3 s transitions)."""
    control(box.ecs_url, "clock", {"advance_seconds": seconds})


def calls(box, action=None):
    """The ECS call log, or the calls of one action."""
    return [c for c in control(box.ecs_url, "calls") if action is None or c["action"] == action]


def error(fn, *args):
    """The ClientException an ECS SDK call raises."""
    with pytest.raises(ClientException) as info:
        fn(*args)
    return info.value
