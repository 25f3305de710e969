# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pick the provider for a cloud, importing only that cloud's SDK.

A provider makes API calls and nothing else (no idempotency decisions). Every provider offers:

  cloud, region
  describe(ids)                         -> {id: record} for the ids the cloud knows (<= 100 ids)
  list_instances(states, tags)          -> [record]                      (all pages)
  iter_instances(states, tags, page_size) -> (record, raw API dict) pairs  (all pages; the inventory needs raw)
  stop(ids, force, hibernate, stopped_mode, dry_run)   -> {id: CloudError}   (per-id failures)
  terminate(ids, force, dry_run)        -> {id: CloudError}
  set_deletion_protection(ids, enabled, dry_run)       -> {id: CloudError}
  set_auto_release_time(ids, value, dry_run)           -> {id: CloudError}   (value None = cancel)
  health(ids)                           -> {id: {instance_status, system_status, events}}
  dry_run_supported(operation)          -> bool  (ECS modify calls have no DryRun)
  reboot(ids, dry_run)                  -> {id: CloudError}   (EC2 / ECS RebootInstances)

Commands (instance_command; EC2 through a second, lazily made SSM client):

  command_batch_size                    the most ids one run_command takes (ECS RunCommand 100, SSM SendCommand 50)
  run_command(ids, command)             -> invocation id (ECS InvokeId, SSM CommandId); a refusal is a CloudError
  command_results(invocation_id, ids)   -> {id: {status, raw_status, exit_code, output, error_code, error_message}}
                                           (paged listing of one invocation; status None while still on its way)

Records carry os_type ('linux' | 'windows') and start_time as well (see records.make_record).

A whole-call error (auth, throttling after retries, network) is raised as CloudError. Every CloudError
carries its kind (errors.AUTH, WRONG_STATE, PROTECTED, ...), set by the provider from its own code table.
"""


class MissingLibrary(Exception):
    """The cloud's SDK is not installed on the host running the module."""

    def __init__(self, library, import_error):
        super(MissingLibrary, self).__init__(library)
        self.library = library
        self.import_error = import_error


def get_provider(conn):
    if conn["cloud"] == "aws":
        from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers import aws as module
    else:
        from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers import alicloud as module
    if not module.HAS_SDK:
        raise MissingLibrary(module.SDK_NAME, module.IMPORT_ERROR)
    return module.Provider(conn)
