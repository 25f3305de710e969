# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
name: instances
short_description: AWS EC2 and Alibaba Cloud ECS instances as inventory hosts, from one source file
version_added: 0.1.0
description:
  - Lists the instances of any number of clouds and regions, page by page with the APIs' own page
    tokens (EC2 C(NextToken) through the boto3 paginator, ECS C(NextToken)/C(MaxResults)), at most
    O(page_size) instances a call.
  - Each host carries the normalized record the modules return (C(instance_id), C(cloud), C(region),
    C(state), C(raw_state), C(state_code), C(auto_release_time), C(deletion_protection), C(instance_type),
    C(tags), C(os_type), C(start_time)) plus C(instance_name) (EC2 tag C(Name), ECS C(InstanceName)),
    C(private_ip), C(public_ip), C(private_dns_name), C(public_dns_name), C(zone) and C(vpc_id) when the API
    gives them, so the collection's roles can run over inventory hosts directly.
  - Hosts are grouped by cloud, region and state (C(cloud_aws), C(region_us_east_1), C(state_running))
    unless O(default_groups=false); O(compose), O(groups) and O(keyed_groups) work as in
    P(ansible.builtin.constructed#inventory).
  - The source file name must end in C(cloudfleet.yml), C(cloudfleet.yaml), C(instances.yml) or C(instances.yaml).
  - The connection of a host is left alone. The collection's fleet roles call cloud APIs from the
    controller and run once on C(localhost) (C(run_once)/C(delegate_to)); they read C(instance_id),
    C(cloud) and C(region) from the inventory hosts.
  - A bad source file or a refused credential fails the source with a clear message naming the source
    entry and the cloud's error code; no traceback, no secret.
author:
  - cloudfleet.lifecycle developers (@cloudfleet)
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - cloudfleet.lifecycle.common.plugins
options:
  plugin:
    description: The name of this plugin; the source file is for this plugin only when it says so.
    required: true
    type: str
    choices: [cloudfleet.lifecycle.instances]
  sources:
    description:
      - Where to look. Each entry is one cloud, with its regions, filters and, optionally, its own credentials
        and endpoint. Unset credentials and endpoint fall back to the cloud's environment variables, as in the
        modules.
    type: list
    elements: dict
    required: true
    suboptions:
      cloud:
        description: V(aws) (EC2) or V(alicloud) (ECS).
        type: str
        required: true
        choices: [aws, alicloud]
      regions:
        description:
          - The regions to list.
          - If not set, one region - E(AWS_REGION)/E(AWS_DEFAULT_REGION) or the profile's for V(aws),
            E(ALIBABA_CLOUD_REGION_ID) for V(alicloud).
        type: list
        elements: str
      filters:
        description:
          - The same filters as M(cloudfleet.lifecycle.instance_state_info) - C(state) (a normalized state or a
            list of them) and C(tags) (a dict; each tag must have that value).
        type: dict
      access_key:
        description: Access key id; else E(AWS_ACCESS_KEY_ID) or E(ALIBABA_CLOUD_ACCESS_KEY_ID).
        type: str
      secret_key:
        description: Secret access key; else E(AWS_SECRET_ACCESS_KEY) or E(ALIBABA_CLOUD_ACCESS_KEY_SECRET).
        type: str
      security_token:
        description: STS token; else E(AWS_SESSION_TOKEN) or E(ALIBABA_CLOUD_SECURITY_TOKEN).
        type: str
      profile:
        description: AWS profile (V(aws) only); else E(AWS_PROFILE).
        type: str
      endpoint_url:
        description:
          - The API endpoint as a URL, for example V(http://127.0.0.1:5000) against the sandbox.
          - Else E(AWS_ENDPOINT_URL) or E(ALIBABA_CLOUD_ECS_ENDPOINT); else the cloud's public regional endpoint.
        type: str
  hostnames:
    description:
      - Preference list for the inventory hostname; the first one with a value wins, and the instance id when
        none has one.
      - Each entry is V(instance_id), V(name) (the C(instance_name) host variable - EC2 tag C(Name),
        ECS C(InstanceName)), V(tag:KEY), V(private_ip), V(public_ip), V(private_dns_name), V(public_dns_name)
        or any other host variable.
      - Two instances that would get the same name keep their instance ids as hostnames instead, with a warning.
    type: list
    elements: str
    default: [instance_id]
  default_groups:
    description: Add the groups C(cloud_<cloud>), C(region_<region>) and C(state_<state>) (non-word characters become C(_)).
    type: bool
    default: true
  page_size:
    description:
      - Instances per describe call (C(MaxResults)). EC2 takes 5 to 1000, ECS 1 to 100; a value outside is
        brought to the nearest limit.
    type: int
    default: 100
"""

EXAMPLES = r"""
# prod.cloudfleet.yml - both clouds, credentials from the environment (AWX credentials inject them)
plugin: cloudfleet.lifecycle.instances
sources:
  - cloud: aws
    regions: [us-east-1, eu-west-1]
    filters:
      tags:
        team: web
  - cloud: alicloud
    regions: [cn-hangzhou]
    filters:
      state: [running, stopped]
hostnames:
  - tag:Name
  - instance_id
keyed_groups:
  - key: tags.team | default('none')
    prefix: team
  - key: instance_type
    prefix: type
groups:
  expiring: auto_release_time is not none
compose:
  fleet_label: cloud ~ '/' ~ region

---
# sandbox.instances.yml - against the local sandbox, with an inventory cache
plugin: cloudfleet.lifecycle.instances
sources:
  - cloud: aws
    regions: [us-east-1]
    endpoint_url: http://127.0.0.1:5000
  - cloud: alicloud
    regions: [cn-hangzhou]
    endpoint_url: http://127.0.0.1:5001
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /tmp/cloudfleet-inventory
cache_timeout: 600
"""

import os

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils import inventory_source
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import CloudError, InputError, scrub
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.base import MissingLibrary, get_provider

display = Display()

SUFFIXES = ("cloudfleet.yml", "cloudfleet.yaml", "instances.yml", "instances.yaml")


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "cloudfleet.lifecycle.instances"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(SUFFIXES)

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache=cache)
        raw_sources = None
        try:
            self._read_config_data(path)
            raw_sources = self.get_option("sources")
            hosts = self._hosts(path, cache)
        except AnsibleParserError:
            raise
        except (InputError, CloudError, MissingLibrary, AnsibleError, ValueError, TypeError) as exc:
            raise AnsibleParserError(scrub(self._message(path, exc), inventory_source.secrets_of(raw_sources, os.environ)))
        self._populate(hosts)

    @staticmethod
    def _message(path, exc):
        if isinstance(exc, MissingLibrary):
            return "%s: the Python library %s is needed on the controller (in the execution environment)" % (path, exc.library)
        if isinstance(exc, CloudError):
            parts = "%s: %s" % (exc.code, exc.message)
            if exc.request_id:
                parts += " (request id %s)" % exc.request_id
            return "%s: %s" % (path, parts)
        return "%s: %s" % (path, getattr(exc, "message", None) or exc)

    def _hosts(self, path, cache):
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache")
        if use_cache and cache:
            try:
                return self._cache[cache_key]
            except KeyError:
                pass
        hosts = self._fetch()
        if use_cache:
            self._cache[cache_key] = hosts
        return hosts

    def _fetch(self):
        sources = inventory_source.check_sources(self.get_option("sources"))
        page_size = self.get_option("page_size")
        if page_size is None or page_size < 1:
            raise InputError("page_size must be a positive number")
        hosts = []
        seen = set()
        for number, source in enumerate(sources, 1):
            for region in source["regions"]:
                try:
                    conn = inventory_source.connection(source, region, os.environ, self.get_option("retry_max_attempts"))
                    provider = get_provider(conn)
                    found = inventory_source.list_region(provider, source["states"], source["tags"], page_size)
                except (InputError, CloudError) as exc:
                    where = "sources[%d] (cloud=%s, region=%s)" % (number, source["cloud"], region or "from the environment")
                    if isinstance(exc, CloudError):
                        raise CloudError(exc.code, "%s: %s" % (where, exc.message), exc.request_id)
                    raise InputError("%s: %s" % (where, exc.message))
                for hostvars in found:
                    key = (hostvars["cloud"], hostvars["region"], hostvars["instance_id"])
                    if key not in seen:  # two sources that overlap list an instance once
                        seen.add(key)
                        hosts.append(hostvars)
        return hosts

    def _populate(self, hosts):
        strict = self.get_option("strict")
        preferences = self.get_option("hostnames") or list(inventory_source.DEFAULT_HOSTNAMES)
        named = {}
        for hostvars in hosts:
            name = inventory_source.choose_hostname(hostvars, preferences)
            if named.get(name, hostvars["instance_id"]) != hostvars["instance_id"]:
                display.warning("cloudfleet.lifecycle.instances: hostname %r is taken by %s; %s keeps its instance id"
                                % (name, named[name], hostvars["instance_id"]))
                name = hostvars["instance_id"]
            named[name] = hostvars["instance_id"]
            self.inventory.add_host(name)
            for key, value in hostvars.items():
                self.inventory.set_variable(name, key, value)
            if self.get_option("default_groups"):
                for group in inventory_source.default_group_names(hostvars):
                    self.inventory.add_group(group)
                    self.inventory.add_child(group, name)
            self._set_composite_vars(self.get_option("compose"), hostvars, name, strict=strict)
            all_vars = self.inventory.get_host(name).get_vars()
            self._add_host_to_composed_groups(self.get_option("groups"), all_vars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), all_vars, name, strict=strict)
