"""The sandbox as a subprocess (`python -m sandbox serve`), and its control API over HTTP."""
import os
import subprocess
import sys
import time

from sandbox.cli import read_env_file
from sandbox.control_client import control


class SandboxProcess:
    def __init__(self, repo, workdir, transition_seconds=1.0):
        self.repo = repo
        self.env_file = os.path.join(workdir, "sandbox.env")
        self.log = open(os.path.join(workdir, "sandbox.log"), "w")
        self.transition_seconds = transition_seconds
        self.proc = None
        self.env = {}

    def __enter__(self):
        if os.path.exists(self.env_file):
            os.unlink(self.env_file)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--env-file", self.env_file,
             "--transition-seconds", str(self.transition_seconds), "--seed", "7"],
            cwd=self.repo, stdout=self.log, stderr=subprocess.STDOUT)
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

    def calls(self):
        return {cloud: control(url, "calls") for cloud, url in self.urls.items()}

    def call_marks(self):
        return {cloud: len(log) for cloud, log in self.calls().items()}

    def calls_since(self, marks):
        """{cloud: {action: count}} of the calls logged since `marks`."""
        out = {}
        for cloud, log in self.calls().items():
            counts = {}
            for call in log[marks.get(cloud, 0):]:
                counts[call["action"]] = counts.get(call["action"], 0) + 1
            out[cloud] = counts
        return out
