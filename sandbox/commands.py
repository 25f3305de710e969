"""Cloud-neutral command execution: the sandbox really runs the scripts that run-command APIs send.

One `CommandRunner` per sandbox lives at `SandboxContext.commands` (`ctx.commands`); both
emulators use it (ECS Cloud Assistant RunCommand, EC2 SSM SendCommand)::

    execution = ctx.commands.start(instance_id, content, "sh", timeout=60, group=self.name,
                                   on_done=callback)

- `start(instance_id, content, shell, timeout, working_dir=None, env=None, max_output=24*1024,
  on_done=None, group=None) -> Execution`
- `reset(group=None)`: kill what runs, forget executions, delete scratch dirs; `group` limits it to
  the executions started with that group. `Emulator.reset()` calls `reset(group=emulator.name)`,
  so pass `group=self.name` from an emulator and `POST /_sandbox/reset` on one port leaves the
  other cloud's scripts alone.
- `close()`: reset everything and remove the scratch root (server shutdown).
- `cancel(execution)`: stop one execution (StopInvocation / CancelCommand): a pending one never
  runs, a running one has its process group killed; status "cancelled", `on_done` is called.

How a script runs (`shell="sh"`): its content is written to `script.sh` in a fresh scratch dir
`<root>/<instance_id>/<n>/` and run as `/bin/bash script.sh` in its own process group, stdin
from /dev/null, stdout and stderr interleaved into one file. Its environment is minimal (PATH,
LANG, HOME = the instance's scratch root `<root>/<instance_id>`, SANDBOX_INSTANCE_ID = the
instance id) plus the caller's `env`; never the sandbox process's own environment, which holds
the sandbox's credentials. `working_dir` is a path *on the instance*: it is mapped inside the
instance's scratch root (`/opt/app` -> `<root>/<instance_id>/opt/app`), created if missing; the
default is the scratch dir. When the script exits, anything it left running in its process
group is killed (a sandbox must not leak processes).

`shell="powershell"` or `"bat"` (Windows) is not run: the exit code is the N of a final
`exit N` / `exit /b N` line (any case), else 0, and the output is empty.

Statuses: pending (queued: at most `max_parallel` scripts run at once) -> running -> finished
(`exit_code` is the script's; negative -N when a signal killed it) | timeout (the whole process
group was killed with SIGKILL after `timeout` seconds; `exit_code` None) | cancelled (by
`cancel()`; `started_at` None if it never ran; `exit_code` None) | error (could not be started,
or dropped by reset/close; `exit_code` None, `output` says why).

`output` keeps the LAST `max_output` bytes (decoded as UTF-8, errors replaced); `dropped` is the
number of bytes cut. When an execution ends its fields are set first (`status` last of them, so
a reader that sees a final status sees its output and times too), then `on_done(execution)`
is called (so a caller can act "after the result is reported", e.g. stop on exit 193), then
`done` is set. Executions cancelled by reset/close get `done` set but no `on_done`.
"""
import collections
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import traceback

PENDING, RUNNING, FINISHED, TIMEOUT, ERROR = "pending", "running", "finished", "timeout", "error"
CANCELLED = "cancelled"
SHELLS = ("sh", "powershell", "bat")
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_WINDOWS_EXIT = re.compile(r"^\s*exit(?:\s+/b)?\s+(-?\d+)\s*$", re.IGNORECASE)


class Execution:
    """One script run on one instance."""

    def __init__(self, seq, instance_id, content, shell, timeout, working_dir, env, max_output, on_done, group):
        self.seq = seq
        self.instance_id = instance_id
        self.group = group
        self.status = PENDING
        self.exit_code = None
        self.output = ""
        self.dropped = 0  # output bytes cut to keep the last max_output
        self.started_at = None
        self.finished_at = None
        self.done = threading.Event()
        self._content, self._shell, self._timeout = content, shell, timeout
        self._working_dir, self._env, self._max_output = working_dir, env or {}, max_output
        self._on_done = on_done
        self._proc = None
        self._cancelled = False  # dropped by reset/close: no result, no on_done
        self._stopped = False  # cancel(): finishes as "cancelled"

    @property
    def finished(self):
        return self.done.is_set()

    def __repr__(self):
        return f"<Execution {self.seq} {self.instance_id} {self.status} exit={self.exit_code}>"


def windows_exit_code(content):
    """Exit code a Windows script would report: its final `exit N` / `exit /b N` line, else 0."""
    lines = [line for line in (content or "").splitlines() if line.strip()]
    if lines:
        match = _WINDOWS_EXIT.match(lines[-1])
        if match:
            return int(match.group(1))
    return 0


def _tail(path, limit):
    """(last `limit` bytes of the file decoded, bytes dropped)."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return "", 0
    with open(path, "rb") as handle:
        if size > limit:
            handle.seek(size - limit)
        data = handle.read(limit)
    return data.decode("utf-8", errors="replace"), max(0, size - limit)


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class CommandRunner:
    def __init__(self, root_dir, clock, max_parallel=8):
        """`root_dir` None: a private temp dir made on first use (removed by close())."""
        self._root = root_dir
        self._owns_root = root_dir is None
        self._now = clock.now if hasattr(clock, "now") else clock
        self.max_parallel = max(1, int(max_parallel))
        self._lock = threading.Lock()
        self._pending = collections.deque()
        self._executions = []  # every execution not yet forgotten by reset
        self._workers = 0
        self._seq = 0

    # ---- public ------------------------------------------------------------------------

    @property
    def root_dir(self):
        with self._lock:
            return self._root_locked()

    def start(self, instance_id, content, shell, timeout, working_dir=None, env=None, max_output=24 * 1024,
              on_done=None, group=None):
        if not isinstance(instance_id, str) or not _SAFE_ID.match(instance_id) or instance_id in (".", ".."):
            raise ValueError(f"not an instance id usable as a directory name: {instance_id!r}")
        if shell not in SHELLS:
            raise ValueError(f"shell must be one of {SHELLS}, not {shell!r}")
        if timeout is not None and not timeout > 0:
            raise ValueError("timeout must be positive seconds (or None for no limit)")
        env = {str(k): str(v) for k, v in (env or {}).items()}
        with self._lock:
            self._seq += 1
            execution = Execution(self._seq, instance_id, content or "", shell, timeout, working_dir, env,
                                  int(max_output), on_done, group)
            self._executions.append(execution)
            self._pending.append(execution)
            if self._workers < self.max_parallel:
                self._workers += 1
                threading.Thread(target=self._work, name="sandbox-command", daemon=True).start()
        return execution

    def executions(self, group=None):
        with self._lock:
            return [e for e in self._executions if group is None or e.group == group]

    def cancel(self, execution):
        """Stop one execution; True when it was still pending or running."""
        with self._lock:
            if execution._cancelled or execution._stopped or execution.status not in (PENDING, RUNNING):
                return False
            execution._stopped = True
            if execution.status == PENDING:
                try:
                    self._pending.remove(execution)
                except ValueError:  # a worker just took it; it sees _stopped before starting
                    pass
            proc = execution._proc
        if proc is not None:
            _kill_group(proc)  # the worker's wait() returns and finishes it as cancelled
        elif execution.status == PENDING:
            self._finish(execution, CANCELLED, None, "", 0)
        return True

    def reset(self, group=None):
        """Kill what runs, forget executions and delete their scratch dirs (all, or one group's)."""
        with self._lock:
            chosen = [e for e in self._executions if group is None or e.group == group]
            self._executions = [e for e in self._executions if e not in chosen]
            self._pending = collections.deque(e for e in self._pending if e not in chosen)
            procs = []
            for execution in chosen:
                execution._cancelled = True
                if execution._proc is not None:
                    procs.append(execution._proc)
                if not execution.done.is_set():
                    execution.exit_code, execution.output = None, "cancelled: the sandbox was reset"
                    execution.finished_at = self._now()
                    execution.status = ERROR
                    execution.done.set()
            instances = {e.instance_id for e in chosen}
            still_used = {e.instance_id for e in self._executions}
            root = self._root
        for proc in procs:
            _kill_group(proc)
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if root:
            for instance_id in instances - still_used:
                shutil.rmtree(os.path.join(root, instance_id), ignore_errors=True)

    def close(self):
        self.reset()
        with self._lock:
            root, self._root = self._root, (None if self._owns_root else self._root)
        if root and self._owns_root:
            shutil.rmtree(root, ignore_errors=True)

    # ---- workers -------------------------------------------------------------------------

    def _root_locked(self):
        if self._root is None:
            self._root = tempfile.mkdtemp(prefix="sandbox-commands-")
        return self._root

    def _work(self):
        while True:
            with self._lock:
                if not self._pending:
                    self._workers -= 1
                    return
                execution = self._pending.popleft()
                if execution._stopped:
                    stopped_before_start = True
                else:
                    stopped_before_start = False
                    execution.status, execution.started_at = RUNNING, self._now()
                root = self._root_locked()
            if stopped_before_start:
                self._finish(execution, CANCELLED, None, "", 0)
                continue
            try:
                self._run(execution, root)
            except Exception as exc:  # never lose a worker: the execution reports the error
                traceback.print_exc()
                self._finish(execution, ERROR, None, f"sandbox could not run the script: {exc}", 0)

    def _run(self, execution, root):
        if execution._shell != "sh":
            self._finish(execution, FINISHED, windows_exit_code(execution._content), "", 0)
            return
        instance_root = os.path.join(root, execution.instance_id)
        scratch = os.path.join(instance_root, str(execution.seq))
        os.makedirs(scratch, exist_ok=True)
        cwd = self._map_working_dir(instance_root, execution._working_dir) or scratch
        os.makedirs(cwd, exist_ok=True)
        script = os.path.join(scratch, "script.sh")
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(execution._content)
        env = {"PATH": BASE_PATH, "HOME": instance_root, "LANG": "C.UTF-8",
               "SANDBOX_INSTANCE_ID": execution.instance_id, **execution._env}
        output_path = os.path.join(scratch, "output")
        with open(output_path, "wb") as output:
            try:
                proc = subprocess.Popen(["/bin/bash", script], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                        stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
                                        close_fds=True)
            except OSError as exc:
                self._finish(execution, ERROR, None, f"could not start /bin/bash: {exc}", 0)
                return
        with self._lock:
            execution._proc = proc
            cancelled = execution._cancelled or execution._stopped
        if cancelled:  # reset or cancel() came between Popen and here
            _kill_group(proc)
            proc.wait()
            if execution._stopped:
                self._finish(execution, CANCELLED, None, _tail(output_path, execution._max_output)[0], 0)
            return
        try:
            code = proc.wait(timeout=execution._timeout)
            status = FINISHED
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.wait()
            code, status = None, TIMEOUT
        _kill_group(proc)  # whatever the script left running in the background
        if execution._cancelled:
            return
        if execution._stopped:
            status, code = CANCELLED, None
        text, dropped = _tail(output_path, execution._max_output)
        self._finish(execution, status, code, text, dropped)

    @staticmethod
    def _map_working_dir(instance_root, working_dir):
        """A path on the instance -> the same path under its scratch root (never a host path)."""
        if not working_dir:
            return None
        relative = os.path.normpath("/" + str(working_dir).replace("\\", "/")).lstrip("/")
        return os.path.join(instance_root, relative) if relative not in ("", ".") else instance_root

    def _finish(self, execution, status, exit_code, output, dropped):
        with self._lock:
            if execution._cancelled:
                return
            execution.exit_code, execution.output, execution.dropped = exit_code, output, dropped
            execution.finished_at = self._now()
            execution._proc = None
            execution.status = status  # last: a reader that sees the final status sees the rest too
        try:
            if execution._on_done is not None:
                execution._on_done(execution)
        except Exception:  # a failing callback must not hang waiters
            traceback.print_exc()
        finally:
            execution.done.set()
