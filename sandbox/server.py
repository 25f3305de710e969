"""Run both emulators on 127.0.0.1, each on its own port, in this process.

Used by `python -m sandbox serve` and, in-process, by the test fixtures.
"""
import os
import tempfile
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from sandbox.emulator import SandboxContext
from sandbox.wsgi import ControlledApp


class _QuietHandler(WSGIRequestHandler):
    """No per-request log: query strings carry access key ids and signatures."""

    def log_request(self, *args, **kwargs):
        pass


class Sandbox:
    def __init__(self, host="127.0.0.1", ec2_port=0, ecs_port=0, transition_seconds=1.0, seed=None,
                 clouds=("ec2", "ecs"), *, latency=None, rate_limits=None, transition_profile=None,
                 status_check_seconds=0.0, state_file=None):
        """Off by default, as the suites want them; `serve` turns them on from its flags:

        latency: each cloud API call is delayed (sandbox.timing.Latency, "MS", "MS:JITTER_MS" or MS).
        rate_limits: True (the documented defaults), a dict merged over them or a JSON file path
            (sandbox.limits); each port can also turn them on or off with POST /_sandbox/limits.
        transition_profile: per-instance state durations (sandbox.timing): "realistic", "fast",
            "NAME:SCALE", a JSON file path or a dict; `transition_seconds` stays the fixed case.
        state_file: a path; both clouds' fleets are restored from it if it exists, and written to it
            while serving and at stop (sandbox.state_file). A file that cannot be used raises
            sandbox.state_file.StateFileError here, before anything listens.
        """
        from sandbox.limits import resolve
        from sandbox.timing import Latency, load_profile

        self.host = host
        if latency is not None and not isinstance(latency, Latency):
            latency = Latency.parse(latency, seed)
        self.ctx = SandboxContext(transition_seconds=float(transition_seconds), seed=seed, latency=latency,
                                  status_check_seconds=float(status_check_seconds),
                                  rate_limits=resolve(rate_limits),
                                  transition_profile=load_profile(transition_profile))
        self.emulators = {}
        # Imported here so that `python -m sandbox --help` stays fast.
        if "ec2" in clouds:
            from sandbox.ec2 import Ec2Emulator

            self.emulators["ec2"] = Ec2Emulator(self.ctx)
        if "ecs" in clouds:
            from sandbox.ecs import EcsEmulator

            self.emulators["ecs"] = EcsEmulator(self.ctx)
        self._servers = {}
        self._threads = []
        self._ports = {"ec2": ec2_port, "ecs": ecs_port}
        self.state_file = None
        if state_file is not None:
            from sandbox.state_file import StateFile

            try:
                self.state_file = StateFile(state_file, self)
            except BaseException:
                self._close_emulators()
                raise

    @property
    def ec2(self):
        return self.emulators["ec2"]

    @property
    def ecs(self):
        return self.emulators["ecs"]

    def advance_clock(self, seconds):
        offset = self.ctx.clock.advance(seconds)
        for emulator in self.emulators.values():
            emulator.on_clock_advanced()
        return offset

    def start(self):
        for name, emulator in self.emulators.items():
            server = make_server(self.host, self._ports[name], ControlledApp(self, emulator), threaded=True,
                                 request_handler=_QuietHandler)
            server.daemon_threads = True
            self._servers[name] = server
            thread = threading.Thread(target=server.serve_forever, name=f"sandbox-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.state_file is not None:
            self.state_file.start()
        return self

    def url(self, name):
        return f"http://{self.host}:{self._servers[name].server_port}"

    @property
    def ec2_url(self):
        return self.url("ec2")

    @property
    def ecs_url(self):
        return self.url("ecs")

    def env(self):
        env = {}
        for name, emulator in self.emulators.items():
            env.update(emulator.env(self.url(name)))
        return env

    def write_env_file(self, path):
        """Write KEY=VALUE lines atomically: a reader never sees half a file."""
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".sandbox-env-")
        with os.fdopen(fd, "w") as handle:
            for key, value in self.env().items():
                handle.write(f"{key}={value}\n")
        os.chmod(tmp, 0o600)  # it holds the sandbox's secrets
        os.replace(tmp, path)

    def stop(self):
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()
        if self.state_file is not None:  # nothing is served any more: the last write is the last word
            self.state_file.close()
            self.state_file = None
        self.ctx.commands.close()  # kill running scripts, remove their scratch dirs
        self._close_emulators()

    def _close_emulators(self):
        for emulator in self.emulators.values():
            emulator.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
