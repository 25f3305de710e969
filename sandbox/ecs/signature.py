"""Verify the two signatures the Alibaba Cloud SDKs send, against the sandbox's one key pair.

Mirrors `alibabacloud_tea_openapi` 0.4.6 (`Client.do_request` / `do_rpcrequest` and
`utils.Utils.get_authorization` / `get_rpcsignature`):

* ACS3-HMAC-SHA256 (the default): action and version in the `x-acs-action`/`x-acs-version`
  headers, API parameters in the query string, and
  `Authorization: ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=h1;h2,Signature=hex`, where the
  signature is HMAC-SHA256(secret, "ACS3-HMAC-SHA256\\n" + hex(sha256(canonical request))) and
  the canonical request is METHOD, path, sorted query (keys raw, values quoted with only "~"
  safe), "name:value\\n" for every signed header (lowercased, trimmed, sorted), the signed
  header list, and hex(sha256(body)) as sent in `x-acs-content-sha256`.
* HMAC-SHA1 in the query (Config(signature_algorithm='v2')): Action, Version, Timestamp,
  SignatureNonce, SignatureMethod=HMAC-SHA1, SignatureVersion=1.0, AccessKeyId, Signature
  = base64(HMAC-SHA1(secret + "&", METHOD + "&%2F&" + quote_plus(canonical query))).

Timestamps are compared with real time (not the advanced sandbox clock): the SDK stamps
requests from the host clock. Nonces are remembered for the skew window.
"""
import base64
import calendar
import hashlib
import hmac
import threading
import time
from urllib.parse import quote, quote_plus

from sandbox.ecs.models import EcsError

MAX_SKEW = 15 * 60
ACS3 = "ACS3-HMAC-SHA256"


class AuthError(EcsError):
    pass


def _fail(code, status, message):
    return AuthError(code, status, message)


def _mismatch(string_to_sign):
    """The real service's message, which ends with the string it signed after a colon ("Specified
    signature is not matched with our calculation. server string to sign is:<string>": the prefix the
    Go SDK, aliyun/alibaba-cloud-sdk-go sdk/errors/signature_does_not_match_wrapper.go, matches). The
    legacy aliyun-python-sdk-core splits the message on ':' and compares the part after it with its
    own string to sign (client.py _get_server_exception): equal means only the secret is wrong, and it
    reports InvalidAccessKeySecret."""
    return _fail("SignatureDoesNotMatch", 400,
                 f"Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}")


def _check_time(text, name):
    try:
        stamp = calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))
    except (TypeError, ValueError):
        raise _fail("InvalidTimeStamp.Format", 400, f"Specified {name} is not valid (yyyy-MM-ddTHH:mm:ssZ, UTC).")
    if abs(time.time() - stamp) > MAX_SKEW:
        raise _fail("InvalidTimeStamp.Expired", 400,
                    f"Specified time stamp or date value is expired. ({name}={text})")


def header(environ, name):
    """A request header by its lowercase name, from a WSGI environ."""
    if name == "content-type":
        return environ.get("CONTENT_TYPE")
    if name == "content-length":
        return environ.get("CONTENT_LENGTH")
    return environ.get("HTTP_" + name.upper().replace("-", "_"))


class Verifier:
    def __init__(self, credentials):
        self.credentials = credentials
        self._nonces = {}  # nonce -> real time first seen
        self._lock = threading.Lock()

    def _secret_for(self, access_key_id):
        if access_key_id != self.credentials.access_key_id:
            raise _fail("InvalidAccessKeyId.NotFound", 404, "Specified access key is not found.")
        return self.credentials.access_key_secret

    def _use_nonce(self, nonce):
        if not nonce:
            raise _fail("MissingParameter", 400, "The input parameter SignatureNonce that is mandatory is not supplied.")
        now = time.time()
        with self._lock:
            if len(self._nonces) > 10000:  # forget nonces older than the skew window
                self._nonces = {n: t for n, t in self._nonces.items() if now - t <= MAX_SKEW}
            if nonce in self._nonces:
                raise _fail("SignatureNonceUsed", 400, "Specified signature nonce was used already.")
            self._nonces[nonce] = now

    def verify(self, environ, query, body, form):
        """Raise AuthError unless the request is signed by our key; return the scheme used."""
        authorization = header(environ, "authorization") or ""
        if authorization.startswith("ACS3-"):
            self._verify_acs3(environ, query, body, authorization)
            return "acs3"
        if "Signature" in query or "Signature" in form:
            self._verify_rpc(environ, {**query, **form})
            return "v2"
        raise _fail("MissingParameter", 400, "The request is not signed: no Authorization header and no Signature.")

    def _verify_acs3(self, environ, query, body, authorization):
        algorithm, _, rest = authorization.partition(" ")
        fields = {}
        for part in rest.split(","):
            key, _, value = part.strip().partition("=")
            fields[key] = value
        if algorithm != ACS3 or not all(fields.get(k) for k in ("Credential", "SignedHeaders", "Signature")):
            raise _fail("IncompleteSignature", 400, "The Authorization header is malformed.")
        secret = self._secret_for(fields["Credential"])
        date = header(environ, "x-acs-date")
        if not date:
            raise _fail("MissingParameter", 400, "The input header x-acs-date that is mandatory is not supplied.")
        _check_time(date, "x-acs-date")
        payload_hash = hashlib.sha256(body).hexdigest()
        signed = fields["SignedHeaders"].split(";")
        canonical_headers = "".join(f"{name}:{(header(environ, name) or '').strip()}\n" for name in signed)
        canonical_query = "&".join(f"{k}={quote(query[k], safe='~')}" for k in sorted(query))
        canonical = "\n".join([
            environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO") or "/", canonical_query,
            canonical_headers, fields["SignedHeaders"], payload_hash,
        ])
        to_sign = f"{ACS3}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        if (header(environ, "x-acs-content-sha256") or "") != payload_hash:
            raise _mismatch(to_sign)
        expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields["Signature"]):
            raise _mismatch(to_sign)
        self._use_nonce(header(environ, "x-acs-signature-nonce"))

    def _verify_rpc(self, environ, params):
        params = dict(params)
        signature = params.pop("Signature", "")
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            raise _fail("InvalidParameter", 400, "SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0.")
        secret = self._secret_for(params.get("AccessKeyId"))
        _check_time(params.get("Timestamp"), "Timestamp")
        canonical = "&".join(f"{quote(k, safe='~')}={quote(params[k], safe='~')}" for k in sorted(params))
        to_sign = f"{environ.get('REQUEST_METHOD', 'GET')}&%2F&{quote_plus(canonical, safe='~')}"
        digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
        if not hmac.compare_digest(base64.b64encode(digest).decode(), signature):
            raise _mismatch(to_sign)
        self._use_nonce(params.get("SignatureNonce"))
