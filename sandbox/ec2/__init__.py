"""The EC2 half of the sandbox: moto's EC2 served in-process, with what moto lacks around it.

Laid out as the ECS half is (moto's skeleton): `models/` (`lifecycle`, the state machine on moto's
backend; `health`, DescribeInstanceStatus; `ssm`, Run Command; `errors`), `responses/` (EC2's Query
protocol: requests, XML, the handlers of the actions the sandbox answers itself; `responses.ssm`,
SSM's JSON protocol and its handlers); `moto_app`, `serializer` and `persist` wrap moto itself.

Request path (`Ec2Emulator.api`): parse the Query request (responses) -> call log + injected faults
-> under the moto lock: complete due transitions, then either the sandbox's own handler
(Stop/Start/TerminateInstances: responses.HANDLERS -> models.lifecycle) or moto's WSGI app with hooks installed on its
backend (RunInstances, DescribeInstances, DescribeInstanceStatus: models.health) -> EC2 XML out.

Systems Manager shares the port: a request with `X-Amz-Target: AmazonSSM.<Op>` (AWS JSON 1.1, as
boto3's `ssm` client sends it with the same endpoint_url) goes through the same pipeline (SigV4
against the sandbox secret, call log, faults by operation name) to its handler (responses.ssm.HANDLERS)
and the sandbox's own Run Command model (`models.ssm`), which runs scripts with the shared command engine;
JSON errors out.

Regions: moto keeps a backend per region (the request's SigV4 credential scope), and the sandbox a
state machine per region (`RegionLifecycle`); an id of another region is InvalidInstanceID.NotFound.
The control API names instances by id alone (ids are unique across regions) and reaches each one
in its own region; an image failure answers only in the instance's region.

State file (`serve --state-file`, sandbox/state_file.py): `export_state` pickles each changed
region's moto backend whole (sandbox.ec2.persist: moto keeps nothing on disk, and recreating
instances would give them new VPC, subnet, ENI, address, volume and reservation ids) next to the
state machine's own JSON; `import_state` puts them back under the saved account id. A call that is
not a Describe*/Get* marks its region changed after it is served (`_changed`), so that only
changed regions are pickled again.
"""
import functools
import re
import traceback

from sandbox.control import ControlError, named_ids
from sandbox.ec2 import moto_app, responses
from sandbox.ec2.models.errors import Ec2Error, SsmError
from sandbox.ec2.models.lifecycle import RegionLifecycle
from sandbox.ec2.models.ssm import SsmModel
from sandbox.ec2.responses import ssm as ssm_responses
from sandbox.emulator import Emulator, make_credentials

REGION = "us-east-1"

# Actions whose InstanceId parameters EC2 validates as ids before anything else.
_ID_ACTIONS = frozenset({
    "DescribeInstances", "DescribeInstanceStatus", "StopInstances", "StartInstances", "TerminateInstances",
    "RebootInstances", "ModifyInstanceAttribute", "DescribeInstanceAttribute", "MonitorInstances",
    "UnmonitorInstances", "DescribeInstanceCreditSpecifications",
})

# Actions that change nothing a state file keeps (anything else may: see Ec2Emulator._changed).
_READS = ("Describe", "Get")

_INTERNAL_ERROR = ("InternalError", "An internal error has occurred")
_REQUEST_ID = re.compile(rb"<(requestId|RequestID)>request-id</\1>")


def _with_request_id(body, req_id):
    """moto's first <requestId>request-id</requestId> (or <RequestID>) with the real id in it.

    The same as _REQUEST_ID.sub(..., count=1), without a regex pass over a large answer: the first
    `>request-id</` is part of any first match, so when it is one, it is the one."""
    at = body.find(b">request-id</")
    if at < 0:
        return body
    for tag in (b"requestId", b"RequestID"):
        start, end = at - len(tag) - 1, at + len(b">request-id</") + len(tag) + 1
        if start >= 0 and body[start:at] == b"<" + tag and body[end - len(tag) - 1:end] == tag + b">":
            return body[:start] + b"<%s>%s</%s>" % (tag, req_id.encode(), tag) + body[end:]
    return _REQUEST_ID.sub(f"<\\1>{req_id}</\\1>".encode(), body, count=1)


@functools.lru_cache(maxsize=1)
def _operations():
    return moto_app.known_operations()


@functools.lru_cache(maxsize=1)
def _ssm_operations():
    return moto_app.known_operations("ssm")


class Ec2Emulator(Emulator):
    name = "ec2"

    def __init__(self, ctx):
        super().__init__(ctx, make_credentials("AKIA", ctx.seed))
        self.account_id = moto_app.new_account_id()
        self._moto = moto_app.moto_ec2_app()  # ~1 s the first time: pay it at start, not on a call
        _operations()
        _ssm_operations()
        self._lifecycles = {}  # region -> RegionLifecycle
        self._region_generation = {}  # region -> count of changes to its moto objects (state file)
        self._saved_backends = {}  # region -> (generation, pickled backend) last saved (state file)
        self.image_failures = set()  # instance ids whose CreateImage fails (control: image_failures)
        self.ssm = SsmModel(ctx, self.account_id, self._ssm_instances)  # Run Command (SSM) on this port
        with moto_app.MOTO_LOCK:  # moto builds a region's backend (default VPC, AMIs) on first use
            self._lifecycle(REGION)

    # --- Emulator interface -----------------------------------------------------------------
    def env(self, endpoint_url):
        return {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": self.credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.credentials.access_key_secret,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }

    def reset_state(self):
        with moto_app.MOTO_LOCK:
            moto_app.reset_account(self.account_id)
            self._lifecycles.clear()
            self._region_generation.clear()
            self._saved_backends.clear()
            self._lifecycle(REGION)
        self.image_failures.clear()
        self.ssm.reset()  # Emulator.reset() has already killed this cloud's scripts (engine group "ec2")

    def on_clock_advanced(self):
        with moto_app.MOTO_LOCK:
            self._advance()

    def on_stuck(self, instance_ids, rule):
        """A rule names instances by id, each in whatever region it is; an id that no region has
        is refused and leaves no rule behind."""
        with moto_app.MOTO_LOCK:
            self._advance()
            by_region, unknown = {}, []
            for instance_id in dict.fromkeys(instance_ids):
                region = self._region_of(instance_id)
                if region is None:
                    unknown.append(instance_id)
                else:
                    by_region.setdefault(region, []).append(instance_id)
            if unknown:
                for instance_id in unknown:
                    self.overrides.release_stuck(instance_id)
                try:
                    self._lifecycle(REGION).lookup(unknown)  # EC2's own words for the unknown ids
                except Ec2Error as exc:
                    raise ControlError(exc.message)
            for region, ids in by_region.items():
                self._lifecycles[region].on_stuck(ids, rule)

    def _region_of(self, instance_id):
        """The region whose state machine holds `instance_id`, or None (under MOTO_LOCK)."""
        for region, lifecycle in self._lifecycles.items():
            if instance_id in lifecycle.index:
                return region
        for region, lifecycle in self._lifecycles.items():  # made some other way: lookup() indexes it
            try:
                lifecycle.lookup([instance_id])
                return region
            except Ec2Error:
                continue
        return None

    def fail_images(self, instance_ids):
        """From now on CreateImage for these instances fails (as when EC2 cannot image a stuck instance)."""
        self.image_failures.update(instance_ids)

    def lifecycle(self, region=REGION):
        """The state machine of one region (for tests and tools in this process)."""
        with moto_app.MOTO_LOCK:
            return self._lifecycle(region)

    # --- the API ----------------------------------------------------------------------------
    def api(self, environ, start_response):
        if ssm_responses.is_ssm(environ):
            return self._ssm_api(environ, start_response)
        action, params, request = None, {}, None
        try:
            request = responses.read_request(environ)
            action, params = request.action, request.params
            status, headers, body = self._serve(request, environ)
        except Ec2Error as exc:
            status, headers, body = self._error(exc)
        except Exception:  # a crash in a handler: EC2's own 500, and keep serving
            traceback.print_exc()
            status, headers, body = self._error(Ec2Error(*_INTERNAL_ERROR, status=500))
        finally:
            if action and not action.startswith(_READS):  # a failed call may have changed things too
                self._changed(request.region)
        error_code = responses.error_code_of(body) if status >= 400 else None
        self.calls.record(action, params, status, error_code)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {'OK' if status < 400 else 'Error'}", headers)
        return [body]

    # --- Systems Manager (AWS JSON 1.1) on the same port -------------------------------------
    def _ssm_api(self, environ, start_response):
        action, params = None, {}
        req_id = ssm_responses.request_id()
        try:
            request = ssm_responses.read_request(environ)
            action = request.action or None
            request.params = params = ssm_responses.parse_body(request)
            status, body = 200, ssm_responses.body(self._serve_ssm(request, environ))
            error_code = None
        except SsmError as exc:
            status, body, error_code = exc.status, ssm_responses.error_body(exc.code, exc.message), exc.code
        except Exception:  # a crash in a handler: SSM's own 500, and keep serving
            traceback.print_exc()
            code, message = ssm_responses.INTERNAL_ERROR
            status, body, error_code = 500, ssm_responses.error_body(code, message), code
        self.calls.record(action, params, status, error_code)
        headers = ssm_responses.headers(req_id) + [("Content-Length", str(len(body)))]
        start_response(f"{status} {'OK' if status < 400 else 'Error'}", headers)
        return [body]

    def _serve_ssm(self, request, environ):
        """Same order as EC2: operation, credentials, injected fault, then the operation."""
        action = request.action
        if action not in _ssm_operations():
            raise SsmError("UnknownOperationException", f"Unknown operation {action or '(no X-Amz-Target)'}.")
        if action not in ssm_responses.HANDLERS:
            raise SsmError("UnknownOperationException", f"The sandbox does not implement SSM {action}.")
        if request.access_key and request.access_key != self.credentials.access_key_id:
            raise SsmError(*ssm_responses.UNRECOGNIZED_CLIENT)
        if not responses.sigv4_valid(environ, request.body, self.credentials.access_key_secret):
            raise SsmError(*ssm_responses.INVALID_SIGNATURE)
        fault = self.faults.take(action, named_ids(request.params))
        if fault is not None:
            raise SsmError(fault.code, fault.message, fault.http_status)
        return ssm_responses.HANDLERS[action](self.ssm, request)

    def _ssm_instances(self, region, instance_ids):
        """{id: (EC2 state name, "linux" | "windows")} for the ids EC2 knows in that region."""
        found = {}
        with moto_app.MOTO_LOCK:
            self._advance()
            lifecycle = self._lifecycle(region)
            for instance_id in instance_ids:
                try:
                    [instance] = lifecycle.lookup([instance_id])
                except Ec2Error:
                    continue
                platform = "windows" if str(instance.platform or "").lower() == "windows" else "linux"
                found[instance_id] = (instance._state.name, platform)
        return found

    @staticmethod
    def _error(exc):
        req_id = responses.request_id()
        return exc.status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", req_id)], \
            responses.error_body(exc.code, exc.message, req_id)

    def _serve(self, request, environ):
        action = request.action
        if not action:
            raise Ec2Error("MissingAction", "The request must contain the parameter Action.")
        if action not in _operations():
            raise Ec2Error("InvalidAction", f"The action {action} is not valid for this web service.")
        if (request.access_key and request.access_key != self.credentials.access_key_id) \
                or not responses.sigv4_valid(environ, request.body, self.credentials.access_key_secret):
            raise Ec2Error("AuthFailure", "AWS was not able to validate the provided access credentials", 401)
        fault = self.faults.take(action, named_ids(request.params))
        if fault is not None:
            raise self._fault_error(fault, request)
        if action in _ID_ACTIONS:
            responses.check_instance_ids(request)
        with moto_app.MOTO_LOCK:
            self._advance()
            lifecycle = self._lifecycle(request.region)
            failing = request.params.get("InstanceId") if action == "CreateImage" else None
            if failing in self.image_failures:
                lifecycle.lookup([failing])  # another region's instance is not found there, failing or not
                raise Ec2Error("IncorrectInstanceState",
                               f"The instance '{failing}' cannot be imaged: its host does not "
                               "answer (sandbox image failure).")
            handler = responses.HANDLERS.get(action)  # what the sandbox answers itself, not moto
            if handler is not None:
                req_id = responses.request_id()
                changes = handler(lifecycle, request)
                return 200, [("Content-Type", "text/xml;charset=UTF-8"), ("x-amzn-RequestId", req_id)], \
                    responses.state_change_body(action, changes, req_id)
            self._check_before_moto(lifecycle, request)
            lifecycle.current_params = request.params
            try:
                return self._call_moto(environ, request)
            finally:
                lifecycle.current_params = None

    def _fault_error(self, fault, request):
        """An injected fault as EC2 answers it: the whole call fails, in EC2's XML error format, with the
        fault's code and HTTP status, and nothing is done; a fault with instance_ids reaches here only for
        a call that names one of them (control.Fault), and a call naming none is served normally.

        EC2 answers a call it cannot serve for some of the instances it names as a whole, not per
        instance: StartInstances' answer has no per-instance error (botocore's StartInstancesResult is
        the state changes alone), and InsufficientInstanceCapacity is what a start gets when "AWS does not
        currently have enough available On-Demand capacity" ("You get the InsufficientInstanceCapacity
        error when you try to launch a new instance or restart a stopped instance", EC2 User Guide,
        Troubleshooting instance launch issues). The EC2 API reference's error codes list it among the
        server error codes (5xx): give it a 5xx "http_status", e.g. 500. Such a fault without a
        message of its own is worded as EC2 words it for the first of its instances the call names (its
        type and zone, the region's other zones: responses.insufficient_capacity_message)."""
        message = fault.message
        if fault.instance_ids is not None and not fault.message_given and fault.code == "InsufficientInstanceCapacity":
            message = self._capacity_message(fault.instance_ids, request) or message
        return Ec2Error(fault.code, message, fault.http_status)

    def _capacity_message(self, fault_ids, request):
        """InsufficientInstanceCapacity's words for the first instance of `fault_ids` the request names,
        or None when the request's region has no such instance."""
        wanted = set(fault_ids)
        named = next((value for key, value in request.raw_pairs if value in wanted), None)
        if named is None:
            return None
        with moto_app.MOTO_LOCK:
            lifecycle = self._lifecycle(request.region)
            try:
                [instance] = lifecycle.lookup([named])
            except Ec2Error:
                return None
            zone = instance.placement.zone
            others = [z.name for z in lifecycle.backend.describe_availability_zones() if z.name != zone]
            return responses.insufficient_capacity_message(instance.instance_type, zone, others)

    @staticmethod
    def _check_before_moto(lifecycle, request):
        """What EC2 checks and moto 5.2.5 does not."""
        action = request.action
        if action in ("CreateTags", "DeleteTags"):
            # moto tags any well-formed id; EC2 answers InvalidInstanceID.NotFound for an unknown instance
            instance_ids = [v for k, v in sorted(request.params.items())
                            if k.startswith("ResourceId.") and v.startswith("i-")]
            if instance_ids:
                lifecycle.lookup(list(dict.fromkeys(instance_ids)))
        if action == "DescribeInstanceStatus" and request.flag("DryRun"):
            raise Ec2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)

    def _call_moto(self, environ, request):
        import io

        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(request.body)
        env["CONTENT_LENGTH"] = str(len(request.body))
        env["HTTP_X_MOTO_ACCOUNT_ID"] = self.account_id
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        try:
            chunks = self._moto(env, start_response)
            body = b"".join(chunks)
            if hasattr(chunks, "close"):
                chunks.close()
        except Ec2Error:
            raise  # raised by a sandbox hook inside moto
        except Exception as exc:
            code = getattr(exc, "code", None)
            if isinstance(code, str) and getattr(exc, "message", None):  # a moto ServiceException
                raise Ec2Error(code, exc.message, 400)
            raise
        status = int(captured["status"].split()[0])
        req_id = responses.request_id()
        # moto 5.2.5 answers every request with the literal request id "request-id"
        body = _with_request_id(body, req_id)
        headers = [(k, v) for k, v in captured["headers"]
                   if k.lower() not in ("server", "date", "x-amzn-requestid")] + [("x-amzn-RequestId", req_id)]
        if status >= 500 or (status >= 400 and responses.error_code_of(body) is None):
            raise Ec2Error(*_INTERNAL_ERROR, status=500) if status >= 500 else \
                Ec2Error("InvalidRequest", "The request received was invalid.", status)
        return status, headers, body

    # --- state machine plumbing (under MOTO_LOCK) --------------------------------------------
    def _lifecycle(self, region):
        lifecycle = self._lifecycles.get(region)
        if lifecycle is None or not lifecycle.is_installed():
            backend = moto_app.ec2_backend(self.account_id, region)
            lifecycle = RegionLifecycle(backend, self.ctx, self.overrides)
            self._lifecycles[region] = lifecycle
        return lifecycle

    def _advance(self):
        now = self.ctx.clock.now()
        for region, lifecycle in self._lifecycles.items():
            if lifecycle.process_due(now):
                self._changed(region)

    def _changed(self, region):
        """moto's objects of `region` may have changed: its saved copy is out of date."""
        self._region_generation[region] = self._region_generation.get(region, 0) + 1
        self.touch()

    # --- the state file (sandbox.state_file) ---------------------------------------------------
    def export_state(self):
        """Each region's moto backend (sandbox.ec2.persist, pickled again only when the region
        changed) and state machine, the account id and the image failures; under moto's lock."""
        from sandbox.ec2 import persist

        with moto_app.MOTO_LOCK:
            self._advance()
            now = self.ctx.clock.now()
            regions, soonest = {}, None
            for region, lifecycle in self._lifecycles.items():
                if not lifecycle.is_installed():
                    continue
                generation = self._region_generation.get(region, 0)
                if not generation:
                    continue  # nothing made or changed there: nothing to keep
                cached = self._saved_backends.get(region)
                if cached is None or cached[0] != generation:
                    cached = (generation, persist.dump_backend(lifecycle.backend, RegionLifecycle.HOOKS))
                    self._saved_backends[region] = cached
                machine, next_change = lifecycle.export_state(now)
                if next_change is not None and (soonest is None or next_change < soonest):
                    soonest = next_change
                regions[region] = {"backend": cached[1], "lifecycle": machine}
            return {"account_id": self.account_id, "moto_version": persist.moto_version(), "regions": regions,
                    "image_failures": sorted(self.image_failures)}, soonest

    def import_state(self, state):
        """Into this new emulator (no call served yet): its account becomes the saved one, each
        saved region's backend is restored and its state machine resumed. PersistError: refused."""
        from sandbox.ec2 import persist

        if state.get("moto_version") != persist.moto_version():
            raise persist.PersistError(f"its EC2 part was written with moto {state.get('moto_version')}, this "
                                       f"sandbox has moto {persist.moto_version()}")
        account_id = str(state["account_id"])
        regions = state.get("regions") or {}
        with moto_app.MOTO_LOCK:
            if account_id != self.account_id:
                if not moto_app.claim_account_id(account_id):
                    raise persist.PersistError(f"its EC2 account {account_id} belongs to another sandbox running in "
                                               "this process")
                moto_app.drop_account(self.account_id)
                moto_app.release_account_id(self.account_id)
                self.account_id = self.ssm.account_id = account_id
            moto_app.drop_account(account_id)  # a stopped sandbox of this process may have left it behind

            def backend_for(account, region):
                if account != account_id:
                    raise persist.PersistError(f"its EC2 state refers to another account ({account})")
                if region in regions:
                    return moto_app.blank_backend(account, region)
                return moto_app.ec2_backend(account, region)

            self._lifecycles.clear()
            self._saved_backends.clear()
            now = self.ctx.clock.now()
            for region, part in regions.items():
                backend = persist.load_backend(part["backend"], account_id, region, backend_for)
                lifecycle = RegionLifecycle(backend, self.ctx, self.overrides)
                lifecycle.import_state(part.get("lifecycle") or {}, now)
                self._lifecycles[region] = lifecycle
                self._region_generation[region] = 1  # kept by the next save, from the bytes just loaded
                self._saved_backends[region] = (1, part["backend"])
            self._lifecycle(REGION)
        self.image_failures = set(state.get("image_failures") or ())

    def close(self):
        moto_app.release_account_id(self.account_id)
