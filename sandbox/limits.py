"""Request-rate limits as the clouds enforce them: off unless `serve --rate-limits` (or
`Sandbox(rate_limits=...)`, or `POST /_sandbox/limits {"enabled": true}`) turns them on.

A call over its limit is answered with the cloud's own throttling error through the same path an
injected fault takes (`Emulator.faults.take`), so it is in each cloud's wire format and in the call
log with its error_code. Every limit is per cloud service, per region, per account (access key),
per API action, as both clouds document it.

Where the defaults come from:

- EC2 (`RequestLimitExceeded`, HTTP 503, "Request limit exceeded."): "Request throttling for the
  Amazon EC2 API", https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html - a
  token bucket per API action, per account and region, sized by the action's category (the tables
  "Request token bucket sizes and refill rates" and "Resource token bucket sizes and refill rates"):
  non-mutating 100 / 20 per s, unfiltered and unpaginated non-mutating 50 / 10, mutating 50 / 5,
  resource-intensive 50 / 5; uncategorized actions their own (RunInstances 5 / 2, StartInstances
  5 / 2, TerminateInstances 100 / 5, CreateTags 100 / 10, ...: the rows for the actions the
  sandbox serves, not the whole table). RunInstances, StartInstances, StopInstances and
  TerminateInstances also draw from a resource bucket, one token per instance (1000 / 2, 1000 / 2,
  1000 / 20, 1000 / 20). "Unfiltered" is a request without a Filter.N, MaxResults or NextToken
  (InstanceId.N is not a filter here: the stricter reading of the page, which does not say).
- SSM on the EC2 port (`ThrottlingException`, HTTP 400, "Rate exceeded"): AWS publishes no
  per-API Run Command rates (Service Quotas shows them per account). Stated defaults, EC2's shape:
  a token bucket per API, reads (Get*/List*/Describe*) 40 / 20 per s, writes 20 / 5 per s.
- ECS (`Throttling.User`, HTTP 400, "Request was denied due to user flow control."): Alibaba's
  "API throttling" page (https://www.alibabacloud.com/help/en/ecs/user-guide/api-throttling: each
  API counted on its own, per region and account; "If an API operation is throttled at minute T,
  the operation can continue to be called as of minute T+1") and its quota table
  (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-quota), which
  gives quotas as N per 60 s: fixed windows aligned to the clock. The table's rows for the actions
  the sandbox serves are not public ("go to Quota Center"); the stated default is the table's usual
  1000 per 60 s for every action.

A FILE given to `--rate-limits FILE` is JSON merged over these defaults, e.g.
`{"ec2": {"actions": {"DescribeInstances": {"bucket": 10, "refill": 1}}},
"ecs": {"classes": {"default": {"count": 100, "period": 60}}}}`. A rule is a token bucket
`{"bucket": CAPACITY, "refill": PER_SECOND}` or a fixed window `{"count": N, "period": SECONDS}`.
"""
import contextvars
import copy
import json
import math
import re
import threading
import time
from urllib.parse import parse_qsl

from sandbox.control import Fault

# The request being served on this thread, as `ControlledApp` read it (None outside an API call).
REQUEST = contextvars.ContextVar("sandbox_request", default=None)

NON_MUTATING_PREFIXES = ("Describe", "List", "Search", "Get")

DEFAULT_LIMITS = {
    "ec2": {
        "error": {"code": "RequestLimitExceeded", "http_status": 503, "message": "Request limit exceeded."},
        "classes": {
            "non_mutating": {"bucket": 100, "refill": 20},
            "unfiltered_non_mutating": {"bucket": 50, "refill": 10},
            "mutating": {"bucket": 50, "refill": 5},
            "resource_intensive": {"bucket": 50, "refill": 5},
        },
        "unfiltered_non_mutating": [
            "DescribeInstances", "DescribeInstanceStatus", "DescribeNetworkInterfaces", "DescribeSecurityGroups",
            "DescribeSnapshots", "DescribeSpotInstanceRequests", "DescribeVolumes",
        ],
        # what makes a request "filtered or paginated": a parameter named so, or starting "Filter."
        "filter_params": ["Filter.", "MaxResults", "NextToken"],
        "resource_intensive": [
            "AcceptVpcPeeringConnection", "AuthorizeSecurityGroupIngress", "CancelSpotInstanceRequests",
            "CreateKeyPair", "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection", "RevokeSecurityGroupIngress", "RequestSpotInstances",
        ],
        "actions": {  # the page's "Uncategorized actions" that the sandbox serves (moto)
            "AssignIpv6Addresses": {"bucket": 100, "refill": 5},
            "AssignPrivateIpAddresses": {"bucket": 100, "refill": 5},
            "AssociateIamInstanceProfile": {"bucket": 100, "refill": 5},
            "CopyImage": {"bucket": 100, "refill": 1},
            "CreateLaunchTemplateVersion": {"bucket": 100, "refill": 5},
            "CreateNetworkInterface": {"bucket": 100, "refill": 5},
            "CreateSnapshot": {"bucket": 100, "refill": 5},
            "CreateSnapshots": {"bucket": 100, "refill": 5},
            "CreateTags": {"bucket": 100, "refill": 10},
            "CreateVolume": {"bucket": 100, "refill": 5},
            "DeleteNetworkInterface": {"bucket": 100, "refill": 5},
            "DeleteSnapshot": {"bucket": 100, "refill": 5},
            "DeleteTags": {"bucket": 100, "refill": 10},
            "DeleteVolume": {"bucket": 100, "refill": 5},
            "DeregisterImage": {"bucket": 100, "refill": 5},
            "DisassociateIamInstanceProfile": {"bucket": 100, "refill": 5},
            "ModifyImageAttribute": {"bucket": 100, "refill": 5},
            "ModifyInstanceMetadataOptions": {"bucket": 100, "refill": 5},
            "ModifyLaunchTemplate": {"bucket": 100, "refill": 5},
            "ModifyNetworkInterfaceAttribute": {"bucket": 100, "refill": 5},
            "ModifySnapshotAttribute": {"bucket": 100, "refill": 5},
            "RunInstances": {"bucket": 5, "refill": 2},
            "StartInstances": {"bucket": 5, "refill": 2},
            "TerminateInstances": {"bucket": 100, "refill": 5},
            "UnassignPrivateIpAddresses": {"bucket": 100, "refill": 5},
        },
        "resources": {  # one token per instance the request names (RunInstances: MaxCount)
            "RunInstances": {"bucket": 1000, "refill": 2},
            "TerminateInstances": {"bucket": 1000, "refill": 20},
            "StartInstances": {"bucket": 1000, "refill": 2},
            "StopInstances": {"bucket": 1000, "refill": 20},
        },
    },
    "ssm": {
        "error": {"code": "ThrottlingException", "http_status": 400, "message": "Rate exceeded"},
        "classes": {
            "non_mutating": {"bucket": 40, "refill": 20},
            "mutating": {"bucket": 20, "refill": 5},
        },
        "actions": {},
    },
    "ecs": {
        "error": {"code": "Throttling.User", "http_status": 400,
                  "message": "Request was denied due to user flow control."},
        "classes": {"default": {"count": 1000, "period": 60}},
        "actions": {},
    },
}

SERVICES_OF = {"ec2": ("ec2", "ssm"), "ecs": ("ecs",)}  # the services each emulator's port serves
_SERVICE_KEYS = {"error", "classes", "actions", "resources", "unfiltered_non_mutating", "filter_params",
                 "resource_intensive"}
_RULE_KEYS = ({"bucket", "refill"}, {"count", "period"})


class LimitsError(ValueError):
    """A limits table (a --rate-limits FILE, or a control request) that cannot be used."""


# ---- the table: defaults, a FILE merged over them, checked ----------------------------------
def _merge(base, override):
    """`override` over `base`, service by service: a rule named in classes/actions/resources replaces
    the default rule of that name (it is not merged into it); any other key replaces the default."""
    out = copy.deepcopy(base)
    for service, spec in override.items():
        target = out.setdefault(service, {})
        for key, value in spec.items():
            if key in ("classes", "actions", "resources"):
                target.setdefault(key, {}).update(copy.deepcopy(value))
            elif key == "error":
                target.setdefault(key, {}).update(value)
            else:
                target[key] = copy.deepcopy(value)
    return out


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_rule(rule, where):
    if not isinstance(rule, dict) or set(rule) not in _RULE_KEYS:
        raise LimitsError(f"{where}: a rule is {{\"bucket\": CAPACITY, \"refill\": PER_SECOND}} (token bucket) "
                          f"or {{\"count\": N, \"period\": SECONDS}} (fixed window), not {json.dumps(rule)}")
    if "bucket" in rule:
        if not _number(rule["bucket"]) or rule["bucket"] < 1:
            raise LimitsError(f"{where}: 'bucket' must be a number >= 1")
        if not _number(rule["refill"]) or rule["refill"] < 0:
            raise LimitsError(f"{where}: 'refill' must be a number >= 0 (tokens per second)")
    else:
        if not isinstance(rule["count"], int) or isinstance(rule["count"], bool) or rule["count"] < 1:
            raise LimitsError(f"{where}: 'count' must be an integer >= 1")
        if not _number(rule["period"]) or rule["period"] <= 0:
            raise LimitsError(f"{where}: 'period' must be a number of seconds > 0")
    return rule


def check_table(table, where="rate limits"):
    if not isinstance(table, dict):
        raise LimitsError(f"{where}: must be a JSON object keyed by service (ec2, ssm, ecs)")
    for service, spec in table.items():
        if service not in DEFAULT_LIMITS:
            raise LimitsError(f"{where}: unknown service {service!r} (known: {', '.join(DEFAULT_LIMITS)})")
        if not isinstance(spec, dict):
            raise LimitsError(f"{where}: {service} must be a JSON object")
        unknown = set(spec) - _SERVICE_KEYS
        if unknown:
            raise LimitsError(f"{where}: {service}: unknown key(s) {', '.join(sorted(unknown))} "
                              f"(known: {', '.join(sorted(_SERVICE_KEYS))})")
        for group in ("classes", "actions", "resources"):
            rules = spec.get(group, {})
            if not isinstance(rules, dict):
                raise LimitsError(f"{where}: {service}.{group} must be a JSON object")
            for name, rule in rules.items():
                check_rule(rule, f"{where}: {service}.{group}.{name}")
        for group in ("unfiltered_non_mutating", "filter_params", "resource_intensive"):
            names = spec.get(group, [])
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise LimitsError(f"{where}: {service}.{group} must be a list of names")
        error = spec.get("error", {})
        if not isinstance(error, dict) or set(error) - {"code", "http_status", "message"}:
            raise LimitsError(f"{where}: {service}.error has 'code', 'http_status' and 'message'")
        status = error.get("http_status", 400)
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise LimitsError(f"{where}: {service}.error.http_status must be 4xx or 5xx")
    return table


def build_table(overrides=None, where="rate limits"):
    """The defaults with `overrides` (a dict) merged over them, checked."""
    table = copy.deepcopy(DEFAULT_LIMITS)
    if overrides:
        check_table(overrides, where)
        table = _merge(table, overrides)
    return check_table(table, where)


def load_file(path):
    """The table of a --rate-limits FILE: JSON merged over the defaults; LimitsError says what is wrong."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except OSError as exc:
        raise LimitsError(f"rate limits file {path}: {exc.strerror or exc}")
    except ValueError as exc:
        raise LimitsError(f"rate limits file {path}: not JSON: {exc}")
    return build_table(data, where=f"rate limits file {path}")


def resolve(spec):
    """`Sandbox(rate_limits=...)`: None/False (off), True (defaults), a dict (overrides) or a FILE path."""
    if spec is None or spec is False:
        return None
    if spec is True:
        return build_table()
    if isinstance(spec, dict):
        return build_table(spec)
    if isinstance(spec, str):
        return load_file(spec)
    raise LimitsError(f"rate limits: expected True, a dict or a file path, not {type(spec).__name__}")


# ---- what a request is, read from its environ (the body is buffered and put back) -----------
_AWS_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]*/([^/]+)/")
_ACS_CREDENTIAL = re.compile(r"Credential=([^,\s]+)")


def _buffer_body(environ):
    import io

    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return b""
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def read_request(cloud, environ):
    """{"service", "region", "account", "params"} of an API request on `cloud`'s port."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if cloud == "ec2":
        if (environ.get("HTTP_X_AMZ_TARGET") or "").startswith("AmazonSSM."):
            match = _AWS_CREDENTIAL.search(auth)
            return {"service": "ssm", "region": match.group(2) if match else "us-east-1",
                    "account": match.group(1) if match else "", "params": {}}
        body = _buffer_body(environ)
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        content_type = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if body and content_type in ("", "application/x-www-form-urlencoded"):
            pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        params = dict(pairs)
        match = _AWS_CREDENTIAL.search(auth)
        account = match.group(1) if match else params.get("AWSAccessKeyId", "")
        return {"service": "ec2", "region": match.group(2) if match else "us-east-1", "account": account,
                "params": params}
    body = _buffer_body(environ)
    params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    if body and "application/x-www-form-urlencoded" in (environ.get("CONTENT_TYPE") or ""):
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    match = _ACS_CREDENTIAL.search(auth) if auth.startswith("ACS3-") else None
    account = match.group(1) if match else params.get("AccessKeyId", "")
    return {"service": cloud, "region": params.get("RegionId", ""), "account": account, "params": params}


# ---- the buckets -----------------------------------------------------------------------------
class TokenBucket:
    """EC2's algorithm: starts full, refills continuously at `refill` tokens per second."""

    def __init__(self, capacity, refill, now):
        self.capacity, self.refill = float(capacity), float(refill)
        self.tokens, self.updated = self.capacity, now

    def _update(self, now):
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.refill)
        self.updated = max(self.updated, now)

    def can_take(self, n, now):
        self._update(now)
        return self.tokens >= n

    def take(self, n, now):
        self._update(now)
        self.tokens -= n


class FixedWindow:
    """Alibaba's quota "N/60(s)": at most `count` calls per window; windows are aligned to the clock
    (multiples of `period` since the epoch), so a call throttled in minute T passes in minute T+1."""

    def __init__(self, count, period, now):
        self.count, self.period = int(count), float(period)
        self.window, self.used = math.floor(now / self.period), 0

    def _update(self, now):
        window = math.floor(now / self.period)
        if window != self.window:
            self.window, self.used = window, 0

    def can_take(self, n, now):
        self._update(now)
        return self.used + n <= self.count

    def take(self, n, now):
        self._update(now)
        self.used += n


def make_bucket(rule, now):
    if "bucket" in rule:
        return TokenBucket(rule["bucket"], rule["refill"], now)
    return FixedWindow(rule["count"], rule["period"], now)


class RateLimiter:
    """The limits of one emulator's port (EC2 + SSM, or ECS): which bucket a call draws from, and
    whether it passes. Thread-safe; `clock` is injectable for tests."""

    def __init__(self, cloud, table=None, clock=time.time):
        self.cloud = cloud
        self._clock = clock
        self._lock = threading.Lock()
        self._configured = table  # what reset() returns to: None = off
        self._table = table
        self._buckets = {}

    @property
    def enabled(self):
        return self._table is not None

    def reset(self):
        """Back to the start configuration, every bucket full."""
        with self._lock:
            self._table = self._configured
            self._buckets.clear()

    def configure(self, enabled, overrides=None):
        """Turn the limits on or off, every bucket full. On with `overrides`: the defaults with them
        merged over; on without: the table the sandbox started with (`--rate-limits FILE`), or the
        defaults if it started without limits."""
        if not enabled:
            table = None
        elif overrides is None and self._configured is not None:
            table = self._configured
        else:
            table = build_table(overrides, where="POST /_sandbox/limits")
        with self._lock:
            self._table = table
            self._buckets.clear()

    def describe(self):
        with self._lock:
            table = self._table
        return {"enabled": table is not None,
                "limits": {s: table[s] for s in SERVICES_OF.get(self.cloud, ())} if table else None}

    # -- the decision --
    def _rule(self, spec, action, params):
        """(bucket name, rule) of the request-rate limit `action` draws from."""
        classes = spec.get("classes", {})
        if action in spec.get("actions", {}):
            return action, spec["actions"][action]
        if action in spec.get("resource_intensive", ()) and "resource_intensive" in classes:
            return action, classes["resource_intensive"]
        non_mutating = action.startswith(NON_MUTATING_PREFIXES)
        if non_mutating and action in spec.get("unfiltered_non_mutating", ()) \
                and "unfiltered_non_mutating" in classes:
            marks = spec.get("filter_params", ())
            filtered = any(key == mark or (mark.endswith(".") and key.startswith(mark))
                           for key in params for mark in marks)
            if not filtered:
                return action + "#unfiltered", classes["unfiltered_non_mutating"]
        name = "non_mutating" if non_mutating else "mutating"
        rule = classes.get(name) or classes.get("default")
        return (action, rule) if rule else (None, None)

    @staticmethod
    def _resource_count(action, params):
        if action == "RunInstances":
            try:
                return max(1, int(params.get("MaxCount") or 1))
            except ValueError:
                return 1
        return sum(1 for key in params if re.match(r"^InstanceId\.\d+$", key)) or 1

    def check(self, action, request):
        """The throttling answer (a Fault) for this call, or None; a call that passes takes its tokens."""
        if request is None or not action:
            return None
        with self._lock:
            table = self._table
            if table is None:
                return None
            service = request["service"]
            spec = table.get(service)
            if spec is None:
                return None
            params = request.get("params") or {}
            scope = (service, request.get("region") or "", request.get("account") or "")
            now = self._clock()
            wanted = []
            name, rule = self._rule(spec, action, params)
            if rule is not None:
                wanted.append((("request", name), rule, 1))
            resource = spec.get("resources", {}).get(action)
            if resource is not None:
                wanted.append((("resource", action), resource, self._resource_count(action, params)))
            buckets = []
            for key, rule, n in wanted:
                full_key = scope + key
                bucket = self._buckets.get(full_key)
                if bucket is None:
                    bucket = self._buckets[full_key] = make_bucket(rule, now)
                buckets.append((bucket, n))
            if all(bucket.can_take(n, now) for bucket, n in buckets):
                for bucket, n in buckets:
                    bucket.take(n, now)
                return None
            error = spec.get("error", {})
            return Fault(action=action, code=error.get("code", "Throttling"),
                         http_status=int(error.get("http_status", 400)), count=1,
                         message=error.get("message", "Rate exceeded"))
