"""`serve --state-file PATH`: the fleets of both clouds survive a restart of the sandbox.

At start, if PATH exists, it is read and put back into the new emulators before either port
answers; while serving, a saver thread writes it again after a change (at most every
SAVE_INTERVAL seconds, and at once when a transition or another timed change falls due, so that
what a client saw is what is written); the sandbox's stop (SIGTERM, SIGINT, Sandbox.stop) writes it
a last time. A SIGKILL loses what changed since the last write: at most about SAVE_INTERVAL.
`POST /_sandbox/reset` on a port clears that cloud's part at the next write.

Writing: JSON to a temp file in PATH's directory (mode 0600: it holds the secrets), flushed and
fsynced, then renamed over PATH, so a reader, or a sandbox started after a crash, sees the old file
or the new one, never half of one (a temp file a SIGKILL left behind is removed at the next start).
`PATH.lock` (flock) keeps a second sandbox off the same file.

The format (FORMAT, VERSION)::

    {"format": "cloudfleet-sandbox-state", "version": 1,
     "saved_at": <sandbox clock, epoch s>, "written": "<UTC, ISO 8601>",
     "sandbox": {"clock_offset": s, "durations_seed": "..."},
     "clouds": {"ec2": {"credentials": {"access_key_id", "access_key_secret"},
                        "overrides": {"stuck", "events", "health"},
                        "state": {"account_id", "moto_version", "image_failures",
                                  "regions": {REGION: {"backend": "<moto's region backend: pickle, zlib, Base64>",
                                                       "lifecycle": {"transitions": {id: seconds left},
                                                                     "hibernated", "reboots", "status_ok"}}}}},
                "ecs": {"credentials", "overrides",
                        "state": {"instances": [...], "disks", "snapshots", "images", "image_failures",
                                  "seq", "rng"}}}}

A time still ahead when the file was written (a transition, a status check's `ok`, an ECS snapshot
or image becoming ready) is kept as `{"in": seconds left}` and resumes with that much left on the
sandbox clock after the restart; other times (launch, auto-release, subscription expiry, events) are
kept as they are, `{"at": epoch}` or a plain number. The clock keeps its offset, so the sandbox
clock goes on with real time across the restart: auto-release times that passed meanwhile are
carried out at the first call.

Not kept: the call log, injected faults, request-rate limit state (the start's flags set them),
running Cloud Assistant / SSM scripts (a restart kills them) and their invocations.

A file of another format or version, one that cannot be read or parsed, or one that group or others
may write (its EC2 part is a pickle: only the sandbox's own, see sandbox.ec2.persist) is refused
with StateFileError; `serve` exits 2 with its message. Messages never carry the file's content.
"""
import fcntl
import json
import os
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

FORMAT = "cloudfleet-sandbox-state"
VERSION = 1
SAVE_INTERVAL = 0.5


class StateFileError(Exception):
    """A state file the sandbox cannot use (refused at start, before anything is served)."""


class StateFile:
    """The state file of one Sandbox: the lock, the restore at start, the saver while serving."""

    def __init__(self, path, sandbox, interval=SAVE_INTERVAL):
        self.path = os.path.abspath(path)
        self.sandbox = sandbox
        self.interval = interval
        self.restored = None  # {cloud: instance count} restored, or None for a new file
        self._lock_fd = None
        self._kept = {}  # parts of clouds this sandbox does not serve, written back as they were read
        self._saved_generations = {}
        self._saved_offset = None
        self._next_change = None
        self._save_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self._last_error = None
        self._cost = 0.0  # seconds the last capture held the emulators
        self._acquire()
        try:
            document = self._read()
            if document is not None:
                self._restore(document)
        except BaseException:
            self._release()
            raise

    # --- start ------------------------------------------------------------------------------
    def _acquire(self):
        directory = os.path.dirname(self.path)
        if not os.path.isdir(directory):
            raise StateFileError(f"state file {self.path}: the directory {directory} does not exist")
        if os.path.isdir(self.path):
            raise StateFileError(f"state file {self.path}: is a directory")
        try:
            fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StateFileError(f"state file {self.path}: cannot create its lock file: {exc.strerror}")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StateFileError(f"state file {self.path}: another sandbox is using it (its lock file "
                                 f"{self.path}.lock is held)")
        self._lock_fd = fd
        # A write cut short by a SIGKILL leaves its temp file: with the lock held, it is this file's
        for name in os.listdir(directory):
            if name.startswith(self._temp_prefix()):
                try:
                    os.unlink(os.path.join(directory, name))
                except OSError:
                    pass

    def _temp_prefix(self):
        return f".{os.path.basename(self.path)}.tmp-"

    def _release(self):
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _read(self):
        """The document, or None when there is no file yet; StateFileError when it cannot be used."""
        where = f"state file {self.path}"
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateFileError(f"{where}: cannot be read: {exc.strerror}")
        if info.st_uid != os.getuid():
            raise StateFileError(f"{where}: belongs to another user; a sandbox reads only its own state files")
        if info.st_mode & 0o022:
            raise StateFileError(f"{where}: group or others may write it (mode {info.st_mode & 0o777:o}); a "
                                 "sandbox writes it 0600 and loads code-bearing data only from such a file: "
                                 "chmod 600 it if it is yours")
        try:
            with open(self.path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise StateFileError(f"{where}: cannot be read: {exc.strerror}")
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            # the position only: the content holds secrets
            raise StateFileError(f"{where}: is not a sandbox state file (not JSON: "
                                 f"{getattr(exc, 'msg', type(exc).__name__)} at byte "
                                 f"{getattr(exc, 'pos', getattr(exc, 'start', '?'))})")
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise StateFileError(f"{where}: is not a sandbox state file (no \"format\": \"{FORMAT}\")")
        version = document.get("version")
        if version != VERSION:
            raise StateFileError(f"{where}: format version {json.dumps(version)}, this sandbox reads version "
                                 f"{VERSION}; move it away (or start without --state-file)")
        if not isinstance(document.get("clouds"), dict) or not isinstance(document.get("sandbox"), dict):
            raise StateFileError(f"{where}: is incomplete (no \"clouds\" or \"sandbox\")")
        return document

    def _restore(self, document):
        from sandbox.ec2.persist import PersistError

        sandbox = self.sandbox
        ctx = sandbox.ctx
        where = f"state file {self.path}"
        clouds = document["clouds"]
        restored = {}
        try:
            shared = document["sandbox"]
            ctx.clock.restore(float(shared.get("clock_offset", 0.0)))
            if ctx.seed is None and shared.get("durations_seed"):
                ctx.durations.seed = shared["durations_seed"]
            for name, part in clouds.items():
                emulator = sandbox.emulators.get(name)
                if emulator is None:
                    self._kept[name] = part  # a cloud this sandbox does not serve: written back unchanged
                    continue
                if not isinstance(part, dict):
                    raise StateFileError(f"{where}: its {name} part is not an object")
                credentials = part.get("credentials")
                if ctx.seed is None and credentials:  # with --seed the seed's credentials, as always
                    emulator.credentials.access_key_id = str(credentials["access_key_id"])
                    emulator.credentials.access_key_secret = str(credentials["access_key_secret"])
                emulator.import_state(part.get("state") or {})
                emulator.overrides.restore(part.get("overrides") or {})
                restored[name] = _instance_count(name, part.get("state") or {})
        except StateFileError:
            raise
        except PersistError as exc:
            raise StateFileError(f"{where}: cannot be restored: {exc}")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateFileError(f"{where}: cannot be restored: {type(exc).__name__}: {exc}")
        self.restored = restored
        # What was read is what is on disk: no write until something changes.
        self._saved_generations = {name: e.generation for name, e in sandbox.emulators.items()}
        self._saved_offset = ctx.clock.offset
        self._next_change = ctx.clock.now()  # one write soon, which also learns when the next timed change is

    # --- saving -----------------------------------------------------------------------------
    def start(self):
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sandbox-state-file", daemon=True)
            self._thread.start()

    def _due(self):
        sandbox = self.sandbox
        if any(e.generation != self._saved_generations.get(name) for name, e in sandbox.emulators.items()):
            return True
        if sandbox.ctx.clock.offset != self._saved_offset:
            return True
        return self._next_change is not None and sandbox.ctx.clock.now() >= self._next_change

    def _run(self):
        while not self._stop.wait(max(self.interval, 2 * self._cost)):
            # A save holds each emulator while it copies its state (EC2: moto's lock, ~0.1 s for a
            # small fleet, ~1.3 s at 10,000 instances); the gap stretches so that it takes at most a
            # third of the time.
            if self._due():
                self.save()

    def save(self):
        """Write the file now (the saver does it when due; stop() does it last). False if it failed."""
        with self._save_lock:
            try:
                started = time.monotonic()
                document, generations, offset, next_change = self._capture()
                self._cost = time.monotonic() - started
                self._write(document)
            except Exception as exc:  # keep serving; say it, once per distinct failure
                message = f"sandbox: state file {self.path} not saved: {type(exc).__name__}: {exc}"
                if message != self._last_error:
                    print(message, file=sys.stderr, flush=True)
                    self._last_error = message
                return False
            self._last_error = None
            self._saved_generations, self._saved_offset, self._next_change = generations, offset, next_change
            return True

    def _capture(self):
        sandbox = self.sandbox
        ctx = sandbox.ctx
        clouds = dict(self._kept)
        generations, soonest = {}, None
        for name, emulator in sandbox.emulators.items():
            generations[name] = emulator.generation  # before the copy: a change meanwhile is written next time
            state, next_change = emulator.export_state()
            if next_change is not None and (soonest is None or next_change < soonest):
                soonest = next_change
            clouds[name] = {
                "credentials": {"access_key_id": emulator.credentials.access_key_id,
                                "access_key_secret": emulator.credentials.access_key_secret},
                "overrides": emulator.overrides.export(),
                "state": state,
            }
        offset = ctx.clock.offset
        document = {
            "format": FORMAT, "version": VERSION,
            "saved_at": ctx.clock.now(),
            "written": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "sandbox": {"clock_offset": offset, "durations_seed": ctx.durations.seed},
            "clouds": clouds,
        }
        return document, generations, offset, soonest

    def _write(self, document):
        directory = os.path.dirname(self.path)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=self._temp_prefix())  # created 0600
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(document, handle, separators=(",", ":"))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def close(self):
        """Stop the saver, write a last time, let go of the lock (Sandbox.stop)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self._lock_fd is not None:
            self.save()
        self._release()


def _instance_count(name, state):
    if name == "ecs":
        return len(state.get("instances") or ())
    return None  # EC2's instances are inside moto's pickled backends; the sandbox counts them after the restore


def summary(sandbox):
    """One line about what a state file restored, for `serve` (no secret in it)."""
    state = sandbox.state_file
    if state is None:
        return ""
    if state.restored is None:
        return f"state file {state.path} (new)"
    parts = []
    if "ec2" in sandbox.emulators:
        count = sum(len(lc.index) for lc in sandbox.ec2._lifecycles.values())
        parts.append(f"{count} EC2")
    if "ecs" in sandbox.emulators:
        parts.append(f"{len(sandbox.ecs.model.instances)} ECS")
    return f"state file {state.path}: restored {' and '.join(parts)} instances"
