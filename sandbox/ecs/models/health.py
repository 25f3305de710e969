"""DescribeInstancesFullStatus: statuses with their codes, health (control: health) and scheduled
events (control: events)."""
import random

from sandbox.ecs.models.base import PENDING, RUNNING, STARTING, STOPPED, STOPPING, iso_second, locked

# Codes DescribeInstancesFullStatus reports next to the names (ECS reports both).
STATUS_CODES = {PENDING: 0, RUNNING: 1, STARTING: 2, STOPPING: 3, STOPPED: 4}
HEALTH_CODES = {"Ok": 0, "Impaired": 1, "Initializing": 2, "InsufficientData": 3, "Maintaining": 128}


class Health:
    @locked
    def describe_full_status(self, page, instance_ids=None, status=None, health=None, region=None):
        found = self._select(instance_ids=instance_ids, status=status, region=region)
        rows = []
        for inst in found:
            word = self._health_word(inst)
            if health and word != health:
                continue
            rows.append((inst, word))
        items, paging = page.apply(rows, key=lambda row: row[0].seq)
        out = []
        for inst, word in items:
            out.append({
                "InstanceId": inst.id,
                "Status": {"Name": inst.status, "Code": STATUS_CODES[inst.status]},
                "HealthStatus": {"Name": word, "Code": HEALTH_CODES.get(word, 1)},
                "ScheduledSystemEventSet": {"ScheduledSystemEventType": self._events(inst.id)},
            })
        return out, paging

    def _health_word(self, inst):
        override = self.overrides.health_of(inst.id)
        if override:
            word = {"ok": "Ok", "impaired": "Impaired", "initializing": "Initializing",
                    "insufficient-data": "InsufficientData", "insufficientdata": "InsufficientData",
                    "maintaining": "Maintaining"}.get(override.lower(), override)
            return word
        return "Initializing" if inst.status in (PENDING, STARTING) else "Ok"

    def _events(self, instance_id):
        events = []
        for index, event in enumerate(self.overrides.events_for(instance_id)):
            digest = random.Random(f"{instance_id}:{index}:{event['code']}")
            events.append({
                "EventId": "e-bp1" + "".join(digest.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(17)),
                "EventCycleStatus": {"Name": "Scheduled", "Code": 24},
                "EventType": {"Name": event["code"], "Code": 0},
                "EventPublishTime": iso_second(self._now()),
                "NotBefore": event["not_before"],
                "Reason": event["description"],
                "ExtendedAttribute": {"Device": "", "DiskId": ""},
            })
        return events
