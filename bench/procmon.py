"""Run a command in its own process group; wall time and the peak summed RSS of the group."""
import os
import subprocess
import threading
import time


def _group_rss_kb(pgid):
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                stat = handle.read()
            # fields after the ")" of comm: state ppid pgrp ...
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            with open(f"/proc/{name}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except (OSError, IndexError, ValueError):
            continue
    return total


def run_measured(command, env, cwd, timeout=3600, interval=0.05):
    """(rc, output, wall seconds, peak RSS MiB of the process tree)."""
    peak = [0]
    done = threading.Event()
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)

    def poll():
        while not done.is_set():
            peak[0] = max(peak[0], _group_rss_kb(proc.pid))
            done.wait(interval)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        output, _ = proc.communicate()
        output += f"\n[bench] killed after {timeout}s"
    wall = time.monotonic() - started
    done.set()
    watcher.join()
    return proc.returncode, output, wall, peak[0] / 1024.0
