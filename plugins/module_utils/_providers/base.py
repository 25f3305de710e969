# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provider interface: what a provider can do (Capabilities), what it offers (CloudProvider), and picking one.

A provider makes API calls and nothing else (no idempotency decisions). It classifies every error it
raises (CloudError.kind, from its own code table) and declares what its cloud can do as data, so
that the core never branches on the cloud: it reads `provider.capabilities` (or, to check options
before any connection, `capabilities_for(cloud)`) and tests error kinds.
"""


from collections import namedtuple
from typing import Protocol

# What a cloud can do, as the core asks it (one frozen value per provider module: CAPABILITIES):
#   service           the API's name in messages ("EC2", "ECS")
#   endpoint_setting  where its endpoint is set, for a connection failure's message
#   dry_run_ops       the operations whose call takes DryRun (check mode dry-runs those, predicts the others):
#                     stop, start, reboot, terminate, protection, auto_release, snapshot, image, launch, delete_image
#   hibernate         instance_stop hibernate: is available
#   stopped_modes     instance_stop stopped_mode values it takes (empty: the option is refused)
#   command_types     instance_command command_type values it runs
#   command_username  instance_command username: is taken
#   command_then      how instance_command `then` is carried out: "agent" (the command's exit code makes the cloud's
#                     agent stop / reboot the instance) or "api" (the module calls StopInstances / RebootInstances)
#   reboot_evidence   how a reboot is seen: "accepted" (the call's acceptance is all there is) or
#                     "state_or_start_time" (the instance is seen not running, or with a new start time)
#   snapshot_states   the instance states the cloud snapshots its disks in (None: any); a refusal is explained
#   image_from_snapshots  instance_image source: snapshots (an image made from disk snapshots)
#   volume_swap       instance_clone source: snapshots (volumes from snapshots swapped into a clone)
#   page_limits       (lowest, highest) page size of its instance listing (the inventory's page_size)
Capabilities = namedtuple("Capabilities", [
    "service", "endpoint_setting", "dry_run_ops", "hibernate", "stopped_modes", "command_types", "command_username",
    "command_then", "reboot_evidence", "snapshot_states", "image_from_snapshots", "volume_swap", "page_limits",
])


class CloudProvider(Protocol):
    """Every provider method, as the core calls it (records: records.make_record's keys; failures: {id: CloudError}).

    Batch calls take <= 100 ids. A whole-call error (auth, throttling after retries, network) is raised as
    CloudError; a per-id refusal is in the returned failures. Methods a capability gates are marked so.
    """

    cloud = None  # type: str  # "aws" | "alicloud"
    region = None  # type: str
    capabilities = None  # type: Capabilities
    command_batch_size = None  # type: int  # the most ids one run_command takes (SSM 50, ECS 100)

    # instances
    def describe(self, ids):
        """{id: record} for the ids the cloud knows (<= 100 ids); the others are left out."""

    def list_instances(self, states=None, tags=None):
        """[record] of every instance matching the states and tags (all pages)."""

    def iter_instances(self, states=None, tags=None, page_size=100):
        """(record, raw API dict) pairs of every instance matching the filters, page by page."""

    def host_extras(self, raw):
        """The inventory's host variables beyond the record (name, addresses, zone, vpc) from a raw API dict."""

    def find_tagged(self, key, values, states=("pending", "running", "stopping", "stopped")):
        """[record] of the instances in `states` whose tag `key` has one of `values`."""

    def details(self, ids):
        """{id: {record, instance_type, image_id, subnet_id, security_group_ids, key_name, zone, root_device, tags, ...}}."""

    def health(self, ids):
        """{id: {instance_status, system_status, events}}."""

    def read_protection(self, ids):
        """{id: bool}: deletion / termination protection, for ids the describe left it unknown; unknown ids left out."""

    # instance changes: each returns the per-id failures
    def stop(self, ids, force=False, hibernate=False, stopped_mode=None, dry_run=False):
        """StopInstances; stopped_mode only where capabilities.stopped_modes has it."""

    def start(self, ids, dry_run=False):
        """StartInstances."""

    def reboot(self, ids, dry_run=False, force=False):
        """RebootInstances (force: ECS ForceReboot; EC2 hard-reboots on its own)."""

    def terminate(self, ids, force=False, dry_run=False):
        """TerminateInstances / DeleteInstances."""

    def set_deletion_protection(self, ids, enabled, dry_run=False):
        """Protection on / off (a dry run only where capabilities.dry_run_ops has protection)."""

    def set_auto_release_time(self, ids, value, dry_run=False):
        """The automatic release time, None to cancel (a dry run only where dry_run_ops has auto_release)."""

    # commands
    def run_command(self, ids, command):
        """Run one command on <= command_batch_size instances; the invocation id. A refusal is a CloudError."""

    def command_results(self, invocation_id, ids):
        """{id: {status, raw_status, exit_code, output, error_code, error_message, started_at?}}; status None while running."""

    # disks and snapshots
    def disks(self, ids):
        """{id: [{volume_id, device, root, disk_id?}]}."""

    def create_snapshots(self, instance_id, disks, whole, tags, dry_run=False):
        """Snapshot `disks` of one instance (tags(disk) gives each one's tags); [{snapshot_id, volume_id, device, state}]."""

    def find_snapshots(self, tags):
        """Our snapshots carrying every tag in `tags`."""

    def snapshot_states(self, snapshot_ids):
        """{snapshot id: {state}}."""

    def snapshot_refusal(self, record):
        """(code, why) when the cloud would refuse to snapshot this instance's disks now (its record), else None."""

    # images
    def find_images(self, names):
        """{name: {image_id, name, state, snapshot_ids}} of our images with these names."""

    def create_image(self, instance_id, name, tags, dry_run=False):
        """An image of one instance without a reboot; its id (None in a dry run)."""

    def image_refusal(self, record):
        """Why the cloud refuses to image this instance in its state (appended to its refusal), else None."""

    def create_image_from_snapshots(self, name, mapping, tags, client_token, dry_run=False):
        """An image from disk snapshots (capabilities.image_from_snapshots only); its id (None in a dry run)."""

    def image_states(self, image_ids):
        """{image id: {state}}, absent for the ones gone."""

    def delete_image(self, image, delete_snapshots=False, dry_run=False):
        """Delete one image (find_images' view), its snapshots too if asked."""

    # launches and volumes
    def launch(self, config, image_id, tags, client_token, dry_run=False):
        """One instance like `config` (details()) from `image_id`; its id (None in a dry run)."""

    def find_volumes(self, tags):
        """Volumes carrying every tag in `tags` (capabilities.volume_swap only)."""

    def volume_states(self, volume_ids):
        """{volume id: {volume_id, state, tags, attachments}} (volume_swap only)."""

    def create_volume(self, snapshot_id, zone, tags, dry_run=False):
        """A volume from a snapshot; its id (volume_swap only)."""

    def attach_volume(self, volume_id, instance_id, device):
        """Attach a volume at `device` (volume_swap only)."""

    def detach_volume(self, volume_id, instance_id, device):
        """Detach a volume (volume_swap only)."""

    def delete_volume(self, volume_id):
        """Delete a volume (volume_swap only)."""


class MissingLibrary(Exception):
    """The cloud's SDK is not installed on the host running the module."""

    def __init__(self, library, import_error):
        super(MissingLibrary, self).__init__(library)
        self.library = library
        self.import_error = import_error


def provider_module(cloud):
    """The provider module of a cloud, importing only that cloud's SDK (if it is installed)."""
    if cloud == "aws":
        from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers import aws as module
    else:
        from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers import alicloud as module
    return module


def capabilities_for(cloud):
    """What a cloud can do, without connecting (options are checked before any call)."""
    return provider_module(cloud).CAPABILITIES


def get_provider(conn):
    module = provider_module(conn["cloud"])
    if not module.HAS_SDK:
        raise MissingLibrary(module.SDK_NAME, module.IMPORT_ERROR)
    return module.Provider(conn)
