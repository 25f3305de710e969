"""AWS Systems Manager's wire protocol on the EC2 port: AWS JSON 1.1.

boto3's `ssm` client with `endpoint_url=AWS_ENDPOINT_URL` sends `POST /` with
`X-Amz-Target: AmazonSSM.<Operation>`, `Content-Type: application/x-amz-json-1.1`, a JSON body
and a SigV4 signature for service `ssm`. Errors are HTTP 4xx/5xx with a JSON body
`{"__type": "<Code>", "message": "..."}` (botocore reads the code from `__type`).

Knows nothing of commands or instances: it turns a WSGI environ into an `SsmRequest` and renders
JSON bodies.
"""
import json
import re
import uuid
from dataclasses import dataclass

from sandbox.ec2.errors import SsmError

TARGET_PREFIX = "AmazonSSM."
CONTENT_TYPE = "application/x-amz-json-1.1"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]*/([^/]+)/")

# What AWS answers for a key it does not know and for a signature made with the wrong secret,
# in the JSON protocols (botocore: UnrecognizedClientException / InvalidSignatureException).
UNRECOGNIZED_CLIENT = ("UnrecognizedClientException", "The security token included in the request is invalid.")
INVALID_SIGNATURE = ("InvalidSignatureException",
                     "The request signature we calculated does not match the signature you provided. Check your AWS "
                     "Secret Access Key and signing method. Consult the service documentation for details.")
INTERNAL_ERROR = ("InternalServerError", "An internal error occurred.")


@dataclass
class SsmRequest:
    action: str  # the operation name, from X-Amz-Target
    params: dict  # the JSON body
    body: bytes
    region: str = "us-east-1"
    access_key: str = None


def is_ssm(environ):
    return (environ.get("HTTP_X_AMZ_TARGET") or "").startswith(TARGET_PREFIX)


def read_request(environ):
    """Parse an SSM request. The operation is known before the body is parsed, so a malformed
    body is still logged under its operation."""
    target = environ.get("HTTP_X_AMZ_TARGET") or ""
    action = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else ""
    region, access_key = "us-east-1", None
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        access_key, region = match.group(1), match.group(2)
    request = SsmRequest(action=action, params={}, body=b"", region=region, access_key=access_key)
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    request.body = environ["wsgi.input"].read(length) if length > 0 else b""
    return request


def parse_body(request):
    """The JSON body as a dict (an empty body is `{}`); SerializationException otherwise."""
    if not request.body.strip():
        return {}
    try:
        params = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SsmError("SerializationException", "Start of structure or map found where not expected.")
    if not isinstance(params, dict):
        raise SsmError("SerializationException", "Start of list found where not expected.")
    return params


def request_id():
    return str(uuid.uuid4())


def headers(req_id):
    return [("Content-Type", CONTENT_TYPE), ("x-amzn-RequestId", req_id)]


def body(data):
    return json.dumps(data, separators=(",", ":")).encode()


def error_body(code, message):
    return body({"__type": code, "message": message})
