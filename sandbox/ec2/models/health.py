"""DescribeInstanceStatus as EC2 reports it: scheduled events and impaired status checks.

moto reports every running instance as `ok` and never has events; the views here put the
sandbox's overrides (`/_sandbox/events`, `/_sandbox/health`) in front of moto's instances.
moto's serializer reads these views' attributes by the API's member names.

A running instance's checks read `initializing` until its status_ok_at time (see lifecycle), then
`ok`, as EC2 reports them for a while after a launch, start or reboot; a health override wins over both.
"""
import hashlib
from datetime import datetime, timezone

# The event codes EC2 uses for scheduled events.
EVENT_CODES = ("instance-reboot", "system-reboot", "system-maintenance", "instance-retirement", "instance-stop")


def _timestamp(text, fallback):
    if not text:
        return None
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        try:
            return datetime.fromtimestamp(float(text), timezone.utc)
        except ValueError:
            return fallback
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def event_id(instance_id, index):
    digest = hashlib.sha1(f"{instance_id}/{index}".encode()).hexdigest()
    return "instance-event-" + digest[:17]


def events_of(instance_id, overrides, now_dt):
    events = []
    for index, event in enumerate(overrides.events_for(instance_id)):
        record = {
            "InstanceEventId": event_id(instance_id, index),
            "Code": event["code"],
            "Description": event.get("description") or _default_description(event["code"]),
            "NotBefore": _timestamp(event["not_before"], now_dt),
        }
        not_after = _timestamp(event.get("not_after"), None)
        if not_after is not None:
            record["NotAfter"] = not_after
        events.append(record)
    return events


def _default_description(code):
    return {
        "instance-reboot": "The instance is scheduled for a reboot",
        "system-reboot": "The system is scheduled for a reboot",
        "system-maintenance": "The system is scheduled for maintenance",
        "instance-retirement": "The instance is running on degraded hardware",
        "instance-stop": "The instance is scheduled to be stopped",
    }.get(code, "Scheduled event")


def _check(status, since):
    if status == "ok":
        return {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]}
    if status == "impaired":
        return {"Status": "impaired",
                "Details": [{"Name": "reachability", "Status": "failed", "ImpairedSince": since}]}
    # insufficient-data, initializing, ...: EC2 reports the same word for the reachability check
    return {"Status": status, "Details": [{"Name": "reachability", "Status": status}]}


class StatusView:
    """One InstanceStatus item."""

    def __init__(self, instance, overrides, now_dt, initializing=False):
        self.instance_id = instance.id
        self.availability_zone = instance.availability_zone
        self.instance_state = instance.instance_state
        self.events = events_of(instance.id, overrides, now_dt)
        if instance.state_code != 16:
            self.instance_status = {"Status": "not-applicable"}
            self.system_status = {"Status": "not-applicable"}
        else:
            status = overrides.health_of(instance.id)
            if not status:
                # Source: DescribeInstanceStatus, InstanceStatusSummary.Status (ok | impaired |
                # insufficient-data | not-applicable | initializing) and InstanceStatusDetails.Status
                # (passed | failed | insufficient-data | initializing), botocore's service-2.json.
                status = "initializing" if initializing else "ok"
            self.instance_status = _check(status, now_dt)
            self.system_status = _check(status, now_dt)


def status_views(instances, overrides, now, ok_at=None):
    """`ok_at`: {instance id: sandbox time its checks read ok}; an instance not in it reads ok."""
    now_dt = datetime.fromtimestamp(now, timezone.utc).replace(microsecond=0)
    ok_at = ok_at or {}
    return [StatusView(instance, overrides, now_dt, ok_at.get(instance.id, now) > now) for instance in instances]
