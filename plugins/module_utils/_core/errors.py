# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The three ways a task can fail, each turned into a clean fail_json (never a traceback).

- InputError: the options are wrong; raised before any API call.
- CloudError: one cloud API answer (code, message, request id), whole call or one instance,
  with its `kind`: what it means, whichever cloud said it.
- TaskFailure: the operation ran but some ids did not get where they were asked to go.

The provider that made the call sets the kind (each provider owns its code -> kind table); the
core tests kinds, never a cloud's codes. `code` and `message` stay the cloud's own words: they are
what the task reports.
"""


import re

# The kinds of CloudError.
AUTH = "auth"                  # the credentials themselves were refused (unknown key, bad signature): check them
DENIED = "denied"              # authenticated, but refused: no permission, opt-in needed, expired token, blocked
THROTTLED = "throttled"        # too many requests, still so after the SDK's retries
SERVICE = "service"            # the cloud's own failure (5xx, internal error, unavailable), after the retries
CONNECTION = "connection"      # no answer from the endpoint
REGION = "region"              # the cloud does not know the region
INVALID = "invalid"            # the request itself is malformed (a parameter missing or wrong for every id)
NOT_FOUND = "not_found"        # the cloud does not know the resource (instance, image, ...)
WRONG_STATE = "wrong_state"    # the resource is not in a state that allows the call (it may have moved on its own)
INITIALIZING = "initializing"  # a new instance not ready yet for the call (it will be, on its own)
PROTECTED = "protected"        # deletion / termination protection refused the call
CAPACITY = "capacity"          # the cloud has no capacity for the instances named (a 5xx that concerns them, not the service)
OTHER = "other"                # anything else: attributed to the ids of the call

# Kinds that would be the same for every id of a batch: raised at once, never split per id.
FATAL_KINDS = frozenset([AUTH, DENIED, THROTTLED, SERVICE, CONNECTION, REGION, INVALID])


class InputError(Exception):
    """Bad options; the message says what to change."""

    def __init__(self, message):
        super(InputError, self).__init__(message)
        self.message = message


class CloudError(Exception):
    """A cloud API error, translated out of the SDK's own exception type."""

    def __init__(self, code, message, request_id=None, instance_id=None, http_status=None, kind=OTHER):
        super(CloudError, self).__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message
        self.request_id = request_id
        self.instance_id = instance_id
        self.http_status = http_status
        self.kind = kind

    def for_instance(self, instance_id, message=None):
        """The same answer attributed to one instance (a batch call failing for it), its message replaced if given."""
        return CloudError(self.code, self.message if message is None else message, self.request_id, instance_id,
                          self.http_status, self.kind)

    def to_dict(self):
        return {"code": self.code, "message": self.message, "request_id": self.request_id}

    def failure(self):
        return {"id": self.instance_id, "code": self.code, "message": self.message, "request_id": self.request_id}


def is_fatal(error):
    """True when the error would be the same for every id: a batch is never split over it."""
    return error.kind in FATAL_KINDS


class TaskFailure(Exception):
    """Some ids failed; carries the partial result so the operator sees what did happen."""

    def __init__(self, message, failures, result=None, error=None):
        super(TaskFailure, self).__init__(message)
        self.message = message
        self.failures = failures
        self.result = result or {}
        self.error = error


CONNECTION_ERROR = "ConnectionError"
_ERRNO_REASON = re.compile(r"\[Errno -?\d+\] ([^\"'()\]]+)")


def connection_reason(text):
    """The short reason inside an HTTP library's connection error text ('connection refused', 'timed out', ...)."""
    text = str(text or "")
    match = _ERRNO_REASON.search(text)
    if match:
        return match.group(1).strip().rstrip(".").lower()
    lowered = text.lower()
    for words in ("timed out", "name or service not known", "no route to host", "connection refused", "connection reset",
                  "certificate verify failed", "temporary failure in name resolution"):
        if words in lowered:
            return words
    return text.strip()[-200:] or "no answer"


def connection_error(endpoint, reason):
    """One CloudError for 'the endpoint did not answer', the same words on both clouds."""
    return CloudError(CONNECTION_ERROR, "could not connect to %s (%s)" % (endpoint, reason), kind=CONNECTION)


def failure(instance_id, code, message, request_id=None):
    """One per-id failure entry as it appears in `failures`."""
    return {"id": instance_id, "code": code, "message": message, "request_id": request_id}


def describe_failures(failures, ids_shown=10):
    """The failures grouped by code, for the task's msg: each code once, with its count, its message
    (the first one, when they differ) and at most `ids_shown` ids; the full list stays in `failures`.

    `DeletionProtection: 20 instances (deletion protection is on; ...): i-1, i-2, ... and 10 more`
    """
    groups = []
    by_code = {}
    for f in failures:
        code = f.get("code") or "Error"
        if code not in by_code:
            by_code[code] = {"code": code, "ids": [], "messages": []}
            groups.append(by_code[code])
        by_code[code]["ids"].append(str(f.get("id")))
        if f.get("message") not in by_code[code]["messages"]:
            by_code[code]["messages"].append(f.get("message"))
    parts = []
    for group in groups:
        ids = group["ids"]
        shown = ", ".join(ids[:ids_shown]) + (" and %d more" % (len(ids) - ids_shown) if len(ids) > ids_shown else "")
        message = group["messages"][0] or ""
        if len(group["messages"]) > 1:
            message = "e.g. " + message
        count = "%d instance%s" % (len(ids), "" if len(ids) == 1 else "s")
        parts.append("%s: %s (%s): %s" % (group["code"], count, message, shown) if message else
                     "%s: %s: %s" % (group["code"], count, shown))
    text = "; ".join(parts)
    if len(failures) > ids_shown:
        text += " (every instance and its message in failures)"
    return text


def scrub(value, secrets):
    """Replace every secret found anywhere in `value` (str, list, dict) by a mask."""
    secrets = [s for s in secrets if s and len(s) >= 4]
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "********")
        return value
    if isinstance(value, dict):
        return dict((k, scrub(v, secrets)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [scrub(v, secrets) for v in value]
    return value
