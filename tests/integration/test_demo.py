"""`make demo`'s script, as a user runs it: its own sandbox process, seeded fleet, real playbook."""
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_demo_stops_schedules_and_releases_all_but_the_protected():
    env = dict(os.environ, TRANSITION_SECONDS="0.2", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(REPO, "sandbox", "demo.sh")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    # 5 of 6 per cloud released (one was already stopped, one is protected), 10 stopped now.
    assert "stopped now: 10, already stopped: 2" in output
    assert "release scheduled: 12" in output
    assert "released: 10, refused as protected:" in output
    assert "failed=0" in output
    # the sandbox process was stopped by the script
    assert "sandbox: stopped" in open(os.path.join(REPO, ".cache", "demo", "sandbox.log")).read()
