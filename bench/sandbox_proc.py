"""The sandbox as a subprocess (`python -m sandbox serve`), and its control API over HTTP."""
import os
import subprocess
import sys
import time

from sandbox.cli import read_env_file
from sandbox.control_client import control


# The throttling error codes of each cloud (sandbox/limits.py): EC2, SSM, ECS.
THROTTLED = {"RequestLimitExceeded", "ThrottlingException", "Throttling.User"}


class SandboxProcess:
    """`latency_ms`: "MS" or "MS:JITTER_MS" for --latency-ms (None: none). `rate_limits`: True for
    --rate-limits (the clouds' documented limits), a FILE path for --rate-limits FILE, None: none."""

    def __init__(self, repo, workdir, transition_seconds=1.0, latency_ms=None, rate_limits=None):
        self.repo = repo
        self.env_file = os.path.join(workdir, "sandbox.env")
        self.log = open(os.path.join(workdir, "sandbox.log"), "w")
        self.transition_seconds = transition_seconds
        self.latency_ms = latency_ms
        self.rate_limits = rate_limits
        self.proc = None
        self.env = {}

    def command(self):
        command = [sys.executable, "-m", "sandbox", "serve", "--env-file", self.env_file,
                   "--transition-seconds", str(self.transition_seconds), "--seed", "7"]
        if self.latency_ms:
            command += ["--latency-ms", str(self.latency_ms)]
        if self.rate_limits:
            command += ["--rate-limits"] + ([] if self.rate_limits is True else [str(self.rate_limits)])
        return command

    def __enter__(self):
        if os.path.exists(self.env_file):
            os.unlink(self.env_file)
        self.proc = subprocess.Popen(self.command(), cwd=self.repo, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not os.path.exists(self.env_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sandbox did not start; see {self.log.name}")
            time.sleep(0.1)
        self.env = read_env_file(self.env_file)
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    @property
    def urls(self):
        return {"aws": self.env["AWS_ENDPOINT_URL"], "alicloud": self.env["ALIBABA_CLOUD_ECS_ENDPOINT"]}

    def reset(self):
        for url in self.urls.values():
            control(url, "reset", {})

    def limits(self, enabled):
        """Turn both ports' rate limits off (while seeding a fleet) or on again (the start's table)."""
        if self.rate_limits:
            for url in self.urls.values():
                control(url, "limits", {"enabled": enabled})

    def calls(self):
        return {cloud: control(url, "calls") for cloud, url in self.urls.items()}

    def call_marks(self):
        return {cloud: len(log) for cloud, log in self.calls().items()}

    def calls_since(self, marks, throttled=None):
        """{cloud: {action: count}} of the calls logged since `marks`; with a dict `throttled`, also
        {cloud: calls answered with the cloud's throttling error} into it."""
        out = {}
        for cloud, log in self.calls().items():
            counts = {}
            for call in log[marks.get(cloud, 0):]:
                counts[call["action"]] = counts.get(call["action"], 0) + 1
                if throttled is not None and call.get("error_code") in THROTTLED:
                    throttled[cloud] = throttled.get(cloud, 0) + 1
            out[cloud] = counts
        return out
