"""HTTP front of one emulator: `/_sandbox/*` control routes, everything else to the cloud API.

A cloud API call waits out the sandbox's latency (sandbox.timing.Latency; none by default), half
before it reaches the emulator and half after, holding no lock meanwhile; and is made known to the
request-rate limits (sandbox.limits) as it is served. The control routes answer at once.

A crash anywhere becomes a JSON 500 and the server keeps serving.
"""
import json
import traceback
import uuid

from sandbox import limits
from sandbox.control import ControlError, parse_locks


def _json_response(start_response, status, body):
    payload = json.dumps(body).encode()
    start_response(
        f"{status} {'OK' if status < 400 else 'Error'}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def _read_json(environ):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length else b""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise ControlError("the body is not JSON")


class ControlledApp:
    """WSGI app for one port: one emulator, the shared sandbox around it."""

    def __init__(self, sandbox, emulator):
        self.sandbox = sandbox
        self.emulator = emulator

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        try:
            if path.startswith("/_sandbox/"):
                return self._control(environ, start_response, path[len("/_sandbox/"):])
            latency = self.sandbox.ctx.latency
            if latency is None:
                return self._api(environ, start_response)
            return latency.around(lambda: self._api(environ, start_response))
        except ControlError as exc:
            return _json_response(start_response, 400, {"error": str(exc)})
        except Exception:  # keep serving whatever a handler did
            request_id = str(uuid.uuid4()).upper()
            traceback.print_exc()
            return _json_response(
                start_response,
                500,
                {"RequestId": request_id, "Code": "InternalError",
                 "Message": "The request processing has failed due to some unknown error."},
            )

    def _api(self, environ, start_response):
        """The emulator's answer; with limits on, what the call is (service, region, account, params)
        is known to them while it is served (sandbox.limits.REQUEST, read by `faults.take`)."""
        if not self.emulator.limits.enabled:
            return self.emulator.api(environ, start_response)
        token = limits.REQUEST.set(limits.read_request(self.emulator.name, environ))
        try:
            return self.emulator.api(environ, start_response)
        finally:
            limits.REQUEST.reset(token)

    def _control(self, environ, start_response, route):
        method = environ.get("REQUEST_METHOD", "GET")
        emulator = self.emulator
        if route == "calls" and method == "GET":
            return _json_response(start_response, 200, emulator.calls.snapshot())
        if route == "limits" and method == "GET":
            return _json_response(start_response, 200, emulator.limits.describe())
        if method != "POST":
            return _json_response(start_response, 405, {"error": f"{method} /_sandbox/{route} is not a control call"})
        body = _read_json(environ)
        try:
            return self._control_post(start_response, route, body)
        finally:
            emulator.touch()  # stuck rules, events, health, locks, the clock: a state file keeps them

    def _control_post(self, start_response, route, body):
        emulator = self.emulator
        if route == "reset":
            emulator.reset()
            return _json_response(start_response, 200, {"reset": emulator.name})
        if route == "faults":
            fault = emulator.faults.add(body)
            return _json_response(start_response, 200, {"fault": fault.as_dict()})
        if route == "faults/clear":
            emulator.faults.clear()
            return _json_response(start_response, 200, {"faults": []})
        if route == "stuck":
            rule = emulator.overrides.set_stuck(body)
            emulator.on_stuck(body["instance_ids"], rule)
            return _json_response(start_response, 200, {"stuck": body["instance_ids"], "state": rule.state})
        if route == "image_failures":
            ids = body.get("instance_ids")
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
                raise ControlError("'instance_ids' must be a non-empty list of ids")
            emulator.fail_images(ids)
            return _json_response(start_response, 200, {"image_failures": ids})
        if route == "locks" and hasattr(emulator, "set_locks"):  # ECS: OperationLocks (sandbox/ecs/__init__.py)
            ids, reason = parse_locks(body)
            emulator.set_locks(ids, reason)
            return _json_response(start_response, 200, {"locks": ids, "reason": reason})
        if route == "clock":
            try:
                seconds = float(body.get("advance_seconds"))
            except (TypeError, ValueError):
                raise ControlError("'advance_seconds' must be a number")
            try:
                offset = self.sandbox.advance_clock(seconds)
            except ValueError as exc:
                raise ControlError(str(exc))
            return _json_response(start_response, 200, {"offset_seconds": offset, "now": self.sandbox.ctx.clock.now()})
        if route == "events":
            event = emulator.overrides.add_event(body)
            return _json_response(start_response, 200, {"event": event})
        if route == "health":
            emulator.overrides.set_health(body)
            return _json_response(start_response, 200, {"health": body})
        if route == "limits":
            # {"enabled": true|false, "limits": {...}}: this port's request-rate limits on or off, every
            # bucket full. On: the defaults with "limits" merged over them, or without "limits" the
            # table the sandbox started with (RateLimiter.configure). A reset restores the start's.
            enabled = body.get("enabled")
            if not isinstance(enabled, bool):
                raise ControlError("'enabled' must be true or false")
            try:
                emulator.limits.configure(enabled, body.get("limits"))
            except limits.LimitsError as exc:
                raise ControlError(str(exc))
            return _json_response(start_response, 200, emulator.limits.describe())
        return _json_response(start_response, 404, {"error": f"no control call /_sandbox/{route}"})
