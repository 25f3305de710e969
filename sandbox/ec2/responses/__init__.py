"""EC2's Query protocol on the wire: reading a request, writing EC2's XML.

Knows nothing of moto: it turns a WSGI environ into an `Ec2Request`, renders the XML bodies that
the sandbox writes itself (errors and the instance state-change answers) and holds the handlers of
the actions the sandbox answers itself (`HANDLERS`), which read the request's parameters and call
the region's state machine (sandbox/ec2/models/lifecycle.py) with plain arguments.
"""
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from sandbox.ec2.models.errors import Ec2Error

NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"

# Request parameters that are protocol plumbing rather than the call's own parameters.
_PLUMBING = {
    "Action", "Version", "AWSAccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
    "Timestamp", "Expires", "SecurityToken",
}
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]*/([^/]+)/")
_ERROR_CODE = re.compile(rb"<Code>([^<]*)</Code>")
_INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_INSTANCE_ID_PARAM = re.compile(r"^InstanceId(?:\.\d+)?$")


@dataclass
class Ec2Request:
    action: str
    params: dict  # flattened call parameters, without Action/Version/auth
    body: bytes  # the raw body, for handing on to moto
    region: str = "us-east-1"
    access_key: str = None
    raw_pairs: list = field(default_factory=list)

    def flag(self, name):
        return parse_bool(self.params.get(name))

    def instance_ids(self):
        """InstanceId.N values in N order (duplicates dropped, first kept)."""
        numbered = []
        for key, value in self.params.items():
            if key.startswith("InstanceId."):
                try:
                    numbered.append((int(key[len("InstanceId."):]), value))
                except ValueError:
                    raise Ec2Error("InvalidParameterValue", f"Invalid parameter name: {key}")
        seen, ids = set(), []
        for _, value in sorted(numbered):
            if value not in seen:
                seen.add(value)
                ids.append(value)
        return ids


def parse_bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true" if value is not None else False


def read_request(environ):
    """Parse the Query-protocol request; the body is read once and kept for moto."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Ec2Error("MalformedQueryString", "The Content-Length header is not a number.")
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    content_type = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    if body and content_type in ("", "application/x-www-form-urlencoded"):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Ec2Error("MalformedQueryString", "The request body is not valid UTF-8.")
        pairs += parse_qsl(text, keep_blank_values=True)
    params = {}
    action = None
    for key, value in pairs:
        if key == "Action":
            action = value
        elif key not in _PLUMBING and not key.startswith("X-Amz-"):
            params[key] = value
    region, access_key = "us-east-1", None
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        access_key, region = match.group(1), match.group(2)
    else:
        access_key = dict(pairs).get("AWSAccessKeyId") or dict(pairs).get("X-Amz-Credential", "").split("/")[0] or None
    return Ec2Request(action=action, params=params, body=body, region=region, access_key=access_key,
                      raw_pairs=pairs)


def check_instance_ids(request):
    """EC2 rejects an id that cannot be an instance id before it looks anything up."""
    for key, value in request.params.items():
        if _INSTANCE_ID_PARAM.match(key) and not _INSTANCE_ID.match(value):
            raise Ec2Error("InvalidInstanceID.Malformed", f'Invalid id: "{value}" (expecting "i-...")')


def request_id():
    return str(uuid.uuid4())


def error_body(code, message, req_id=None):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"</Error></Errors><RequestID>{req_id or request_id()}</RequestID></Response>"
    ).encode()


def insufficient_capacity_message(instance_type, zone, other_zones):
    """InsufficientInstanceCapacity's message as EC2 words it, with the instance's type and zone: the
    shape the EC2 Auto Scaling User Guide quotes ("We currently do not have sufficient <instance type>
    capacity in the Availability Zone you requested (<requested Availability Zone>). Our system will be
    working on provisioning additional capacity. You can currently get <instance type> capacity by not
    specifying an Availability Zone in your request or choosing <list of Availability Zones that currently
    supports the instance type>.", awsdocs/amazon-ec2-auto-scaling-user-guide, doc_source/ts-as-capacity.md)."""
    return (f"We currently do not have sufficient {instance_type} capacity in the Availability Zone you requested "
            f"({zone}). Our system will be working on provisioning additional capacity. You can currently get "
            f"{instance_type} capacity by not specifying an Availability Zone in your request or choosing "
            f"{', '.join(other_zones)}.")


def error_code_of(body):
    match = _ERROR_CODE.search(body or b"")
    return match.group(1).decode("utf-8", "replace") if match else None


def _state_xml(tag, state):
    name, code = state
    return f"<{tag}><code>{code}</code><name>{name}</name></{tag}>"


def state_change_body(action, changes, req_id=None):
    """StopInstances / StartInstances / TerminateInstances answer: [(id, (name, code), (name, code))]."""
    items = "".join(
        f"<item><instanceId>{escape(instance_id)}</instanceId>"
        f"{_state_xml('currentState', current)}{_state_xml('previousState', previous)}</item>"
        for instance_id, previous, current in changes
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<{action}Response xmlns="{NAMESPACE}"><requestId>{req_id or request_id()}</requestId>'
        f"<instancesSet>{items}</instancesSet></{action}Response>"
    ).encode()


def simple_body(action, req_id=None):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<{action}Response xmlns="{NAMESPACE}"><requestId>{req_id or request_id()}</requestId>'
        f"<return>true</return></{action}Response>"
    ).encode()


_AUTH = re.compile(r"^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$")


def _environ_header(environ, name):
    if name == "content-type":
        return environ.get("CONTENT_TYPE", "")
    if name == "content-length":
        return environ.get("CONTENT_LENGTH", "")
    return environ.get("HTTP_" + name.upper().replace("-", "_"), "")


def sigv4_valid(environ, body, secret):
    """Whether the request's AWS Signature Version 4 (Authorization header) was made with `secret`.

    A request with no Authorization header is not checked here (hand-made test requests)."""
    import hashlib
    import hmac
    from urllib.parse import quote

    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header:
        return True
    match = _AUTH.match(header.strip())
    if not match:
        return False
    credential, signed_headers, signature = match.groups()
    try:
        _key, date, region, service, terminator = credential.split("/")
    except ValueError:
        return False
    amz_date = environ.get("HTTP_X_AMZ_DATE", "")
    payload_hash = environ.get("HTTP_X_AMZ_CONTENT_SHA256") or hashlib.sha256(body).hexdigest()
    query = sorted(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query)
    names = signed_headers.split(";")
    canonical_headers = "".join(f"{n}:{' '.join(_environ_header(environ, n).split())}\n" for n in names)
    canonical_request = "\n".join([
        environ.get("REQUEST_METHOD", "POST"), quote(environ.get("PATH_INFO", "/") or "/", safe="/~"),
        canonical_query, canonical_headers, signed_headers, payload_hash,
    ])
    scope = f"{date}/{region}/{service}/{terminator}"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


# ---- handlers: the actions the sandbox answers itself (the others go to moto) ----------------
# A handler reads the request's parameters and calls the region's state machine (lifecycle.RegionLifecycle)
# with plain arguments; its answer, [(id, (name, code), (name, code))], is rendered by state_change_body.

def _instance_ids(request):
    ids = request.instance_ids()
    if not ids:
        raise Ec2Error("MissingParameter", "The request must contain the parameter InstanceId")
    return ids


def stop_instances(lifecycle, request):
    return lifecycle.stop(_instance_ids(request), hibernate=request.flag("Hibernate"),
                          force=request.flag("Force"), dry_run=request.flag("DryRun"))


def start_instances(lifecycle, request):
    return lifecycle.start(_instance_ids(request), dry_run=request.flag("DryRun"))


def terminate_instances(lifecycle, request):
    return lifecycle.terminate(_instance_ids(request), dry_run=request.flag("DryRun"))


HANDLERS = {
    "StopInstances": stop_instances,
    "StartInstances": start_instances,
    "TerminateInstances": terminate_instances,
}
