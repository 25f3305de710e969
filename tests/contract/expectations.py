"""Where the providers legitimately differ, as data the contract tests read.

BEHAVIOUR is what a cloud does (as the sandbox emulates it, after the clouds' API references); the
fake plays EC2 by default, and every one of its answers must be one of the two clouds' answers
(test_expectations.py holds it to that), so a fake that drifts from both fails the suite.
CALLS is how many API calls one batch costs: the fake has no API, it logs one call per provider
call, so its row is not compared with the clouds'.
"""

BEHAVIOUR = {
    "aws": {
        # DescribeInstances does not report DisableApiTermination: a record's deletion_protection is None
        "protection_in_describe": False,
        "not_found_code": "InvalidInstanceID.NotFound",
        "wrong_state_code": "IncorrectInstanceState",
        "stop_of_stopped_fails": False,  # EC2 answers a stop of a stopped instance as done
        "start_of_running_fails": False,
        "terminate_needs_stopped": False,  # EC2 terminates from any state
        "released_reads": "terminated",  # EC2 keeps a terminated instance for about an hour
        "running_just_after_reboot": "running",  # EC2 stays running through a reboot
        "reboot_evidence": "accepted",
        "dry_run_checks_state": False,  # EC2's DryRun checks permissions only
        "state_code_of_running": 16,
        "dry_run_supported": {"stop": True, "terminate": True, "protection": True, "auto_release": True},
    },
    "alicloud": {
        "protection_in_describe": True,
        "not_found_code": "InvalidInstanceId.NotFound",
        "wrong_state_code": "IncorrectInstanceStatus",
        "stop_of_stopped_fails": True,
        "start_of_running_fails": True,
        "terminate_needs_stopped": True,  # DeleteInstances without Force: Stopped only
        "released_reads": None,  # ECS forgets a released instance at once: absent from describe
        "running_just_after_reboot": "pending",  # Starting
        "reboot_evidence": "state_or_start_time",
        "dry_run_checks_state": True,  # an AllTogether dry run checks every instance's status
        "state_code_of_running": None,
        # ModifyInstanceAttribute and ModifyInstanceAutoReleaseTime take no DryRun
        "dry_run_supported": {"stop": True, "terminate": True, "protection": False, "auto_release": False},
    },
    "fake": {
        "protection_in_describe": True,  # FakeProvider(protection_in_describe=True), the unit tests' default
        "not_found_code": "InvalidInstanceID.NotFound",
        "wrong_state_code": "IncorrectInstanceState",
        "stop_of_stopped_fails": False,
        "start_of_running_fails": False,
        "terminate_needs_stopped": False,
        "released_reads": "terminated",
        "running_just_after_reboot": "running",
        "reboot_evidence": "accepted",
        "dry_run_checks_state": False,
        "state_code_of_running": None,
        "dry_run_supported": {"stop": True, "terminate": True, "protection": True, "auto_release": True},
    },
}

# Calls per batch of ids: "one" call for the whole batch, or one "per_id".
CALLS = {
    "aws": {"describe": "one", "stop": "one", "start": "one", "reboot": "one", "terminate": "one", "health": "one",
            "protection": "per_id",  # ModifyInstanceAttribute takes one InstanceId
            "auto_release": "one"},  # CreateTags takes many resources
    "alicloud": {"describe": "one", "stop": "one", "start": "one", "reboot": "one", "terminate": "one", "health": "one",
                 "protection": "per_id",  # ModifyInstanceAttribute takes one InstanceId
                 "auto_release": "per_id"},  # ModifyInstanceAutoReleaseTime takes one InstanceId
    "fake": {"describe": "one", "stop": "one", "start": "one", "reboot": "one", "terminate": "one", "health": "one",
             "protection": "one", "auto_release": "one"},
}

EXPECT = dict((name, dict(BEHAVIOUR[name], calls=CALLS[name])) for name in BEHAVIOUR)
