"""The ECS model in the state file (sandbox.state_file): instances, disks, snapshots, own images."""
from sandbox.ecs.models.base import locked
from sandbox.ecs.models.disks import Disk
from sandbox.ecs.models.images import Image
from sandbox.ecs.models.instances import Instance
from sandbox.ecs.models.snapshots import Snapshot


def _record(obj):
    """A dataclass as a JSON-able dict (its lists and dicts copied: it is written outside the lock)."""
    record = {}
    for name in obj.__dataclass_fields__:
        value = getattr(obj, name)
        record[name] = list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value
    return record


def _from_record(cls, record, **override):
    """The dataclass back from _record's dict; keys it does not have are left out."""
    known = cls.__dataclass_fields__
    return cls(**{**{k: v for k, v in record.items() if k in known}, **override})


class Persist:
    @locked
    def export_state(self):
        """Every instance, disk, snapshot and self-made image, as JSON: times still ahead as what is
        left of them (a transition resumes with that much left), others as they are; with the earliest
        sandbox time the model changes by itself (or None)."""
        from sandbox.clock import saved_time

        now = self._now()
        ahead = []
        instances = []
        for inst in self.instances.values():
            self._settle(inst, now)
            record = _record(inst)
            record["until"] = None if inst.until is None else saved_time(inst.until, now)
            instances.append(record)
            ahead += [t for t in (inst.until, inst.auto_release_at,
                                  None if inst.expired else inst.expired_at) if t is not None and t > now]
        snapshots = []
        for snap in self.snapshots.values():
            record = _record(snap)
            record["disk"], record["ready_at"] = _record(snap.disk), saved_time(snap.ready_at, now)
            snapshots.append(record)
        images = []
        for image in self.images.values():
            if image.owner == "self":
                record = _record(image)
                record["ready_at"] = saved_time(image.ready_at, now)
                images.append(record)
        ahead += [t.ready_at for t in list(self.snapshots.values()) + list(self.images.values()) if t.ready_at > now]
        version, internal, gauss = self._rng.getstate()
        return {
            "instances": instances, "disks": [_record(d) for d in self.disks.values()], "snapshots": snapshots,
            "images": images, "image_failures": sorted(self.image_failures), "seq": self._seq,
            "rng": [version, list(internal), gauss],
        }, (min(ahead) if ahead else None)

    def import_state(self, state):
        """Into a new model (nothing served yet): what export_state gave, times resumed at the clock's now."""
        from sandbox.clock import restored_time

        with self.lock:
            self.reset()
            now = self._now()
            for record in state.get("instances", ()):
                inst = _from_record(Instance, record, until=restored_time(record.get("until"), now))
                self.instances[inst.id] = inst
                if inst.auto_release_at is not None:
                    self._release_at[inst.id] = inst.auto_release_at
            for record in state.get("disks", ()):
                disk = _from_record(Disk, record)
                self.disks[disk.id] = disk
            for record in state.get("snapshots", ()):
                disk = self.disks.get(record["disk"]["id"]) or _from_record(Disk, record["disk"])
                snap = _from_record(Snapshot, record, disk=disk, ready_at=restored_time(record["ready_at"], now))
                self.snapshots[snap.id] = snap
            for record in state.get("images", ()):
                image = _from_record(Image, record, ready_at=restored_time(record["ready_at"], now))
                self.images[image.id] = image
            self.image_failures = set(state.get("image_failures", ()))
            self._seq = max(self._seq, int(state.get("seq", 0)))
            if state.get("rng"):
                version, internal, gauss = state["rng"]
                self._rng.setstate((version, tuple(internal), gauss))
