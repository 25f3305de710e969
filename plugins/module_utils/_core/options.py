# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The doc fragments' argument specs, per-cloud connection resolution (options, then environment) and id checks.

Environment fallbacks are resolved here rather than with AnsibleModule's env_fallback because
which variable applies depends on `cloud`.
"""


import os
import re

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import unique
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError

CLOUDS = ("aws", "alicloud")

# Each spec below is what one doc fragment documents (plugins/doc_fragments/common.py): COMMON_ARGS
# `common`, BATCH_ARGS `common.batch`, NOT_FOUND_ARGS `common.not_found`; module_base adds them.
COMMON_ARGS = dict(
    cloud=dict(type="str", required=True, choices=list(CLOUDS)),
    region=dict(type="str"),
    access_key=dict(type="str", no_log=False),
    secret_key=dict(type="str", no_log=True),
    security_token=dict(type="str", no_log=True),
    profile=dict(type="str"),
    endpoint_url=dict(type="str"),
    retry_max_attempts=dict(type="int", default=8),
    retry_mode=dict(type="str", default="standard", choices=["standard", "adaptive"]),
)

BATCH_ARGS = dict(
    instance_ids=dict(type="list", elements="str", required=True),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=600),
)

NOT_FOUND_ARGS = dict(fail_on_not_found=dict(type="bool", default=False))

# Option -> environment variables, first set wins (AWS_REGION before AWS_DEFAULT_REGION, as botocore).
ENV_FALLBACKS = {
    "aws": {
        "access_key": ("AWS_ACCESS_KEY_ID",),
        "secret_key": ("AWS_SECRET_ACCESS_KEY",),
        "security_token": ("AWS_SESSION_TOKEN",),
        "profile": ("AWS_PROFILE",),
        "region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
        "endpoint_url": ("AWS_ENDPOINT_URL",),
    },
    "alicloud": {
        "access_key": ("ALIBABA_CLOUD_ACCESS_KEY_ID",),
        "secret_key": ("ALIBABA_CLOUD_ACCESS_KEY_SECRET",),
        "security_token": ("ALIBABA_CLOUD_SECURITY_TOKEN",),
        "profile": (),
        "region": ("ALIBABA_CLOUD_REGION_ID",),
        "endpoint_url": ("ALIBABA_CLOUD_ECS_ENDPOINT",),
    },
}

ID_PATTERNS = {
    "aws": re.compile(r"^i-[0-9a-f]{8}([0-9a-f]{9})?$"),
    "alicloud": re.compile(r"^i-[a-z0-9]{10,30}$"),
}
ID_SHAPES = {
    "aws": "i- followed by 8 or 17 lowercase hex digits",
    "alicloud": "i- followed by 10 to 30 lowercase letters or digits",
}


def resolve_connection(params, environ=None):
    """Connection settings for the chosen cloud: each option, else its environment variable."""
    environ = os.environ if environ is None else environ
    cloud = params["cloud"]
    if cloud not in CLOUDS:
        raise InputError("cloud must be one of %s, got %r" % (", ".join(CLOUDS), cloud))
    conn = {"cloud": cloud, "retry_max_attempts": params.get("retry_max_attempts") or 8,
            "retry_mode": params.get("retry_mode") or "standard"}
    for option, variables in ENV_FALLBACKS[cloud].items():
        value = params.get(option)
        if value in (None, ""):
            value = None
            for variable in variables:
                if environ.get(variable):
                    value = environ[variable]
                    break
        conn[option] = value
    if conn["retry_max_attempts"] < 1:
        raise InputError("retry_max_attempts must be at least 1")
    if cloud == "alicloud" and not conn["region"]:
        raise InputError("region is required for cloud=alicloud (option region or ALIBABA_CLOUD_REGION_ID)")
    if cloud == "alicloud" and params.get("profile"):
        raise InputError("profile is an AWS option; for cloud=alicloud give access_key/secret_key or ALIBABA_CLOUD_* variables")
    if conn["endpoint_url"] and not re.match(r"^https?://[^/\s]+/?$", conn["endpoint_url"]):
        raise InputError("endpoint_url must be a URL like http://127.0.0.1:5000 or https://ecs.cn-hangzhou.aliyuncs.com, got %r"
                         % (conn["endpoint_url"],))
    if bool(conn["access_key"]) != bool(conn["secret_key"]):
        raise InputError("access_key and secret_key go together: give both or neither")
    return conn


def validate_ids(cloud, ids, allow_empty=False):
    """The ids, de-duplicated, or InputError naming every malformed one."""
    if ids is None or len(ids) == 0:
        if allow_empty:
            return []
        raise InputError("instance_ids is empty: give at least one instance id")
    ids = [str(i).strip() for i in ids]
    bad = [i for i in ids if not ID_PATTERNS[cloud].match(i)]
    if bad:
        raise InputError("malformed instance id(s) for cloud=%s (expected %s): %s" % (cloud, ID_SHAPES[cloud], ", ".join(bad)))
    return unique(ids)
