# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The three ways a task can fail, each turned into a clean fail_json (never a traceback).

- InputError: the options are wrong; raised before any API call.
- CloudError: one cloud API answer (code, message, request id), whole call or one instance.
- TaskFailure: the operation ran but some ids did not get where they were asked to go.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class InputError(Exception):
    """Bad options; the message says what to change."""

    def __init__(self, message):
        super(InputError, self).__init__(message)
        self.message = message


class CloudError(Exception):
    """A cloud API error, translated out of the SDK's own exception type."""

    def __init__(self, code, message, request_id=None, instance_id=None, http_status=None):
        super(CloudError, self).__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message
        self.request_id = request_id
        self.instance_id = instance_id
        self.http_status = http_status

    def for_instance(self, instance_id):
        """The same answer attributed to one instance (a batch call failing for it)."""
        return CloudError(self.code, self.message, self.request_id, instance_id, self.http_status)

    def to_dict(self):
        return {"code": self.code, "message": self.message, "request_id": self.request_id}

    def failure(self):
        return {"id": self.instance_id, "code": self.code, "message": self.message, "request_id": self.request_id}


class TaskFailure(Exception):
    """Some ids failed; carries the partial result so the operator sees what did happen."""

    def __init__(self, message, failures, result=None, error=None):
        super(TaskFailure, self).__init__(message)
        self.message = message
        self.failures = failures
        self.result = result or {}
        self.error = error


def failure(instance_id, code, message, request_id=None):
    """One per-id failure entry as it appears in `failures`."""
    return {"id": instance_id, "code": code, "message": message, "request_id": request_id}


def describe_failures(failures, limit=20):
    """`id (code: message)` for the first `limit` failures, for the task's msg."""
    parts = ["%s (%s: %s)" % (f["id"], f["code"], f["message"]) for f in failures[:limit]]
    if len(failures) > limit:
        parts.append("... and %d more (see failures)" % (len(failures) - limit))
    return "; ".join(parts)


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
