# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one operation inside an AnsibleModule: result -> exit_json, every known error -> fail_json.

No traceback for input or API errors, and no secret in any output: values Ansible does not
mask itself (those read from the environment) are scrubbed here.
"""


from ansible.module_utils.basic import missing_required_lib

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.core import Runtime
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import (
    AUTH, CONNECTION, REGION, CloudError, InputError, TaskFailure, scrub,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.base import MissingLibrary, capabilities_for

SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN")


def secrets_of(params, environ):
    values = [params.get("secret_key"), params.get("security_token")]
    values.extend(environ.get(v) for v in SECRET_VARIABLES)
    return [v for v in values if v]


def cloud_error_message(cloud, error):
    can = capabilities_for(cloud)
    if error.kind == CONNECTION:
        return "%s: %s; check %s, region and the network" % (can.service, error.message, can.endpoint_setting)
    message = "%s API error %s: %s" % (can.service, error.code, error.message)
    if error.request_id:
        message += " (request id %s)" % error.request_id
    if error.kind == AUTH:
        message += ". Check the credentials: access_key/secret_key (or the cloud's environment variables) and security_token"
    if error.kind == REGION:
        message += ". Check region (option region or ALIBABA_CLOUD_REGION_ID)"
    return message


def run_module(module, operation, rt=None):
    rt = rt or Runtime()
    secrets = secrets_of(module.params, rt.environ)
    rt._warn = lambda message: module.warn(scrub(message, secrets))
    try:
        result = operation(module.params, module.check_mode, rt)
    except InputError as exc:
        module.fail_json(msg=scrub(exc.message, secrets))
    except MissingLibrary as exc:
        module.fail_json(msg=missing_required_lib(exc.library), exception=exc.import_error)
    except CloudError as exc:
        module.fail_json(msg=scrub(cloud_error_message(module.params["cloud"], exc), secrets),
                         error=scrub(exc.to_dict(), secrets), failures=[])
    except TaskFailure as exc:
        payload = scrub(dict(exc.result), secrets)
        payload.pop("failures", None)
        if not module._diff:
            payload.pop("diff", None)
        module.fail_json(msg=scrub(exc.message, secrets), failures=scrub(exc.failures, secrets),
                         error=scrub(exc.error, secrets), **payload)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**scrub(result, secrets))
