# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the inventory plugin cloudfleet.lifecycle.instances needs on top of the providers.

- check a `sources` entry and turn it into one connection per region (options, then the cloud's
  environment variables, exactly as the modules resolve them);
- list every instance of one region page by page with the API's own page token (EC2 NextToken
  through the boto3 paginator, ECS NextToken/MaxResults), `page_size` instances a call;
- the host variables: the normalized record (``instance_id`` instead of ``id``) plus the
  addresses and name an inventory needs (private/public ip, DNS names, zone: the provider's host_extras);
- pure helpers: which hostname an instance gets, its default group names.

The provider's own record builder is reused, so hosts carry exactly what the modules return.
"""


import math
import re

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import CLOUDS, resolve_connection
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops.state_info import matches, parse_filters
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.base import capabilities_for

SOURCE_KEYS = ("cloud", "regions", "filters", "access_key", "secret_key", "security_token", "profile", "endpoint_url")
SECRET_KEYS = ("secret_key", "security_token")
DEFAULT_HOSTNAMES = ("instance_id",)
# `name` in a hostnames list means the instance's name (EC2 tag Name, ECS InstanceName); the host
# variable is `instance_name` because `name` is a reserved (play keyword) variable name.
HOSTNAME_ALIASES = {"name": "instance_name", "id": "instance_id"}


def check_sources(sources):
    """The `sources` option, checked; InputError names the entry and the key that is wrong."""
    if not isinstance(sources, list) or not sources:
        raise InputError("sources must be a non-empty list of {cloud, regions, filters} entries")
    checked = []
    for number, source in enumerate(sources, 1):
        where = "sources[%d]" % number
        if not isinstance(source, dict):
            raise InputError("%s must be a dict with cloud, regions and filters, got %r" % (where, type(source).__name__))
        unknown = sorted(set(source) - set(SOURCE_KEYS))
        if unknown:
            raise InputError("%s: unknown key(s) %s; a source takes %s" % (where, ", ".join(map(str, unknown)), ", ".join(SOURCE_KEYS)))
        if source.get("cloud") not in CLOUDS:
            raise InputError("%s: cloud must be one of %s, got %r" % (where, ", ".join(CLOUDS), source.get("cloud")))
        regions = source.get("regions")
        if regions is None or regions == []:
            regions = [None]  # the cloud's environment variable (or the AWS profile) says which
        elif isinstance(regions, str):
            regions = [regions]
        elif not isinstance(regions, list) or not all(isinstance(r, str) and r for r in regions):
            raise InputError("%s: regions must be a list of region names" % where)
        try:
            states, tags = parse_filters(source.get("filters"))
        except InputError as exc:
            raise InputError("%s: %s" % (where, exc.message))
        entry = dict(source, regions=regions, states=states, tags=tags)
        checked.append(entry)
    return checked


def connection(source, region, environ, retry_max_attempts=8):
    """The connection for one region of a source: its options, else the environment."""
    params = dict((key, source.get(key)) for key in SOURCE_KEYS if key not in ("regions", "filters"))
    params.update(region=region, retry_max_attempts=retry_max_attempts, retry_mode="standard")
    return resolve_connection(params, environ)


def secrets_of(sources, environ):
    """Every secret a run could print by accident: the sources' and the environment's."""
    values = []
    for source in sources or []:
        if isinstance(source, dict):
            values += [source.get(key) for key in SECRET_KEYS]
    values += [environ.get(name) for name in (
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN")]
    return [str(v) for v in values if v]


def check_page_size(page_size, cloud):
    """page_size within the (lowest, highest) MaxResults the cloud's listing accepts."""
    low, high = capabilities_for(cloud).page_limits
    return max(low, min(high, int(page_size)))


def expected_calls(count, page_size):
    """How many describe calls listing `count` instances takes (one even for none)."""
    return max(1, int(math.ceil(count / float(page_size))))


def list_region(provider, states=None, tags=None, page_size=100):
    """Every instance of the provider's region matching states/tags, as host variables."""
    # the provider filters what its API can (EC2 states and tags, ECS tags); the rest is filtered here
    pages = provider.iter_instances(states, tags, check_page_size(page_size, provider.cloud))
    found = [host_vars(record, provider.host_extras(raw)) for record, raw in pages]
    return [hostvars for hostvars in found if matches(hostvars, states, tags or {})]


def host_vars(record, extras):
    """The record every module returns, with `instance_id` for `id`, plus addresses and name."""
    hostvars = dict(record)
    hostvars["instance_id"] = hostvars.pop("id")
    hostvars.update(extras)
    return hostvars


def choose_hostname(hostvars, preferences=None):
    """The first non-empty of the preferences (`instance_id`, `name`, `tag:KEY`, `private_ip`, any
    host variable); the instance id when none has a value."""
    for preference in preferences or DEFAULT_HOSTNAMES:
        if preference.startswith("tag:"):
            value = (hostvars.get("tags") or {}).get(preference[4:])
        else:
            value = hostvars.get(HOSTNAME_ALIASES.get(preference, preference))
        if value not in (None, "") and not isinstance(value, (dict, list, bool)):
            return str(value)
    return hostvars["instance_id"]


def safe_group_name(name):
    """A group name Ansible takes without a warning: letters, digits and underscores."""
    return re.sub(r"[^A-Za-z0-9_]", "_", str(name))


def default_group_names(hostvars):
    """cloud_aws, region_us_east_1, state_running."""
    names = ["cloud_%s" % hostvars["cloud"]]
    if hostvars.get("region"):
        names.append("region_%s" % hostvars["region"])
    names.append("state_%s" % hostvars["state"])
    return [safe_group_name(n) for n in names]
