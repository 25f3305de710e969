"""Emulator of the Alibaba Cloud ECS OpenAPI, version 2014-05-26 (RPC style, JSON).

Split like moto: `models/` is the state machine (one part per resource, composed into `EcsModel`),
`responses/` the wire format (the WSGI side, and one module of handlers per resource), `signature`
the two request signatures, `params`/`paging` the parameter conventions.

Pointing the unmodified SDK at it (http, with a port): give the endpoint as host:port and the
scheme separately; the SDK sends `Host: 127.0.0.1:PORT` and builds `http://127.0.0.1:PORT/?...`
(request.port stays 80, so no second port is appended)::

    from alibabacloud_ecs20140526.client import Client
    from alibabacloud_tea_openapi.utils_models import Config
    Client(Config(access_key_id=..., access_key_secret=..., region_id="cn-hangzhou",
                  endpoint="127.0.0.1:PORT", protocol="http"))

Cloud Assistant (RunCommand, DescribeInvocationResults, DescribeInvocations, StopInvocation)
really runs shell scripts in a scratch dir per instance: see `models.invocations` and sandbox/commands.py.

Control API, ECS only: `POST /_sandbox/locks {"instance_ids": [...], "reason": "security"}` puts an
OperationLocks lock on the instances (DescribeInstances shows OperationLocks.LockReason
[{"LockReason": "security", "LockMsg": ""}]); `"reason": null` lifts it. A reason is one of the
LockReason values DescribeInstances documents (financial, security, Recycling,
dedicatedhostfinancial, refunded); only "security" changes what the API allows: the instances are
then refused, InstanceLockedForSecurity (403), what a security lock refuses
(models/lifecycle.py, `Lifecycle._check_lock`).
Unknown ids (or a bad body) answer 400 and lock nothing.

Regions: one endpoint serves cn-hangzhou, cn-shanghai, cn-beijing and ap-southeast-1
(`models.regions.REGIONS`, listed by DescribeRegions); the env file's ALIBABA_CLOUD_REGION_ID stays
cn-hangzhou. A request's RegionId scopes it to that region (see the `models` docstring).

Every ECS action is `POST /` with the API parameters in the query string. With the default
Config the request is signed ACS3-HMAC-SHA256 (action/version in x-acs-* headers); with
`Config(signature_algorithm="v2")` it is the older HMAC-SHA1 query signature. Both are
accepted. Errors raise `alibabacloud_tea_openapi.exceptions.ClientException` (4xx) or
`ServerException` (5xx) with `.code` (e.g. "IncorrectInstanceStatus"), `.status_code`,
`.message` ("code: 403, <Message> request id: <id>"), `.request_id` and `.data` (the JSON body).
"""
from sandbox.control import ControlError
from sandbox.ecs.models import LOCK_REASONS, REGION, EcsError, EcsModel
from sandbox.ecs.responses import EcsApi
from sandbox.ecs.signature import Verifier
from sandbox.emulator import Emulator, make_credentials

__all__ = ["EcsEmulator", "EcsError"]


class EcsEmulator(Emulator):
    name = "ecs"

    def __init__(self, ctx):
        super().__init__(ctx, make_credentials("LTAI", ctx.seed))
        self.model = EcsModel(ctx, self.overrides)
        # a guest's own stop or reboot (Cloud Assistant exit codes); its scripts run through ctx.commands, group "ecs"
        self.model.changed = self.touch
        self.verifier = Verifier(self.credentials)
        self._api = EcsApi(self)

    def api(self, environ, start_response):
        return self._api(environ, start_response)

    def reset_state(self):
        # Emulator.reset() has already killed this cloud's scripts (ctx.commands group "ecs").
        self.model.reset()  # Cloud Assistant's invocations too

    def on_clock_advanced(self):
        self.model.settle_all()
        self.touch()

    def export_state(self):
        """The model (instances, disks, snapshots, own images). Cloud Assistant invocations are not
        kept: a restart kills their scripts, and a restarted sandbox does not know them."""
        return self.model.export_state()

    def import_state(self, state):
        self.model.import_state(state)

    def on_stuck(self, instance_ids, rule):
        known = set(self.model.known(instance_ids))
        unknown = [i for i in instance_ids if i not in known]
        if unknown:
            for instance_id in instance_ids:  # a rejected request leaves no rule behind
                self.overrides.release_stuck(instance_id)
            raise ControlError(f"unknown ECS instance ids: {', '.join(unknown)}")

    def set_locks(self, instance_ids, reason):
        """Control: locks. `reason` None lifts the locks; every id must exist (else ControlError, nothing set)."""
        if reason is not None and reason not in LOCK_REASONS:
            raise ControlError(f"'reason' must be null or one of {', '.join(LOCK_REASONS)}")
        unknown = self.model.set_locks(instance_ids, reason)
        if unknown:
            raise ControlError(f"unknown ECS instance ids: {', '.join(unknown)}")

    def fail_images(self, instance_ids):
        """From now on CreateImage for these instances fails (control: image_failures)."""
        self.model.fail_images(instance_ids)

    def env(self, endpoint_url):
        return {
            "ALIBABA_CLOUD_ECS_ENDPOINT": endpoint_url,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": self.credentials.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": self.credentials.access_key_secret,
            "ALIBABA_CLOUD_REGION_ID": REGION,  # the default region; the others are a RegionId away
        }
