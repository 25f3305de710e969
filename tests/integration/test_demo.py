"""`make demo`'s script, as a user runs it: its own sandbox process, seeded fleet, real playbook."""
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_demo_stops_schedules_and_releases_all_but_the_protected_which_it_leaves_alone():
    env = dict(os.environ, TRANSITION_SECONDS="0.2", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(REPO, "sandbox", "demo.sh")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    # per cloud: 4 running stopped and released; the one stopped before is kept and started back at the end;
    # the protected one is left running
    assert "stopped now: 8, already stopped: 2" in output
    # the protected instances get no release time (ECS would release them at that time, protection or not)
    assert "release scheduled: 8" in output
    assert "released: 8, protected, left running for a human:" in output
    started = [line for line in output.splitlines() if "started back: " in line]
    assert len(started) == 1 and len(started[0].split("started back: ")[1].split(", ")) == 2, started
    protected_lines = [line for line in output.splitlines() if "protected=True" in line]
    assert len(protected_lines) == 4, output[-5000:]  # before and after, one per cloud
    assert all(" running " in line and "release_at=None" in line for line in protected_lines), protected_lines
    assert "failed=0" in output
    # the sandbox process was stopped by the script
    assert "sandbox: stopped" in open(os.path.join(REPO, ".cache", "demo", "sandbox.log")).read()
