# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each module's argument_spec, next to each other so the shared parts stay the same."""


from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import BATCH_ARGS, COMMON_ARGS, NOT_FOUND_ARGS, merged_spec


def instance_stop():
    return merged_spec(
        COMMON_ARGS, BATCH_ARGS,
        hibernate=dict(type="bool", default=False),
        stopped_mode=dict(type="str", choices=["keep_charging", "stop_charging"]),
    )


def instance_start():
    return merged_spec(COMMON_ARGS, _batch_without_force(), wait_for_health=dict(type="bool", default=False))


def instance_restart():
    return merged_spec(COMMON_ARGS, BATCH_ARGS, wait_for_health=dict(type="bool", default=False))


def instance_release():
    return merged_spec(COMMON_ARGS, BATCH_ARGS, disable_protection=dict(type="bool", default=False))


def auto_release_time():
    spec = merged_spec(
        COMMON_ARGS, NOT_FOUND_ARGS,
        instance_ids=dict(BATCH_ARGS["instance_ids"]),
        release_at=dict(type="str"),
        release_in=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        disable_protection=dict(type="bool", default=False),
    )
    return spec


def instance_state_info():
    return merged_spec(
        COMMON_ARGS, NOT_FOUND_ARGS,
        instance_ids=dict(type="list", elements="str"),
        filters=dict(type="dict"),
        include_health=dict(type="bool", default=False),
        include_protection=dict(type="bool", default=False),
    )


def _batch_without_force():
    return dict((k, dict(v)) for k, v in BATCH_ARGS.items() if k != "force")


def instance_snapshot():
    return merged_spec(
        COMMON_ARGS, _batch_without_force(),
        snapshot_tag=dict(type="str", required=True, aliases=["name"]),
        tags=dict(type="dict"),
    )


def instance_image():
    return merged_spec(
        COMMON_ARGS, _batch_without_force(),
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        source=dict(type="str", default="instance", choices=["instance", "snapshots"]),
        snapshot_tag=dict(type="str"),
        tags=dict(type="dict"),
        delete_snapshots=dict(type="bool", default=False),
    )


def instance_clone():
    return merged_spec(
        COMMON_ARGS, _batch_without_force(),
        source=dict(type="str", default="image", choices=["image", "snapshots"]),
        image_ids=dict(type="dict"),
        snapshot_tag=dict(type="str"),
        tags=dict(type="dict"),
    )


def instance_command():
    return merged_spec(
        COMMON_ARGS, NOT_FOUND_ARGS,
        instance_ids=dict(BATCH_ARGS["instance_ids"]),
        content=dict(type="str", required=True),
        command_type=dict(type="str", default="RunShellScript", choices=["RunShellScript", "RunPowerShellScript", "RunBatScript"]),
        timeout=dict(type="int", default=60),
        working_dir=dict(type="str"),
        username=dict(type="str"),
        then=dict(type="str", default="none", choices=["none", "stop", "restart"]),
        concurrency=dict(type="str", default="10"),
        max_errors=dict(type="str", default="0"),
        wait_timeout=dict(type="int", default=600),
    )
