"""Fixtures for the ECS emulator suites: the shared sandbox, its ECS env and an SDK client."""
import pytest

from sandbox.fleet import ecs_client


@pytest.fixture
def box(sandbox):
    return sandbox


@pytest.fixture
def env(box):
    return box.ecs.env(box.ecs_url)


@pytest.fixture
def ecs(env):
    return ecs_client(env)
