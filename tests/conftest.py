"""Fixtures shared by every suite: an in-process sandbox per test session (per xdist worker).

`sandbox` gives both clouds; each test starts from a reset sandbox. `sandbox_env` is the
env-file content as a dict (endpoints and credentials), for SDK clients and ansible-playbook.
"""
import pytest

from sandbox.server import Sandbox

# Fast transitions keep the suite quick; tests that measure a transition set their own.
TEST_TRANSITION_SECONDS = 0.3


@pytest.fixture(scope="session")
def _running_sandbox():
    box = Sandbox(transition_seconds=TEST_TRANSITION_SECONDS, seed=7).start()
    yield box
    box.stop()


@pytest.fixture
def sandbox(_running_sandbox):
    box = _running_sandbox
    box.ctx.transition_seconds = TEST_TRANSITION_SECONDS
    for emulator in box.emulators.values():
        emulator.reset()
    box.ctx.clock.rewind()  # a test that advanced the clock must not move the next test's times
    return box


@pytest.fixture
def sandbox_env(sandbox):
    return sandbox.env()
