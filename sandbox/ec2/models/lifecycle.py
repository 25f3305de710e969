"""Instance state machine on top of moto's models: timed transitions, protection, hibernation
and stuck states, for one region backend of one account.

moto flips an instance straight to running/stopped/terminated; here every transitional state
(pending, stopping, shutting-down) lasts `ctx.durations.seconds(...)` of sandbox-clock time (the fixed
`ctx.transition_seconds`, or a `--transition-profile` draw per instance and state), read
when the transition starts. Transitions are evaluated lazily: `process_due(now)` completes
those whose time has come, and the emulator calls it before every request and whenever the
clock is advanced. All methods run under the emulator's moto lock.

Status checks: EC2 reports `initializing` for a while after an instance reaches running (after a
launch, a start or a reboot), then `ok`; here that while is `ctx.status_check_seconds`, read when
the instance reaches running (or is rebooted), counted from that moment of sandbox time.
"""
import heapq
import itertools
from datetime import datetime, timezone

from moto.ec2.models.instances import StateReason

from sandbox.clock import restored_time, saved_time
from sandbox.ec2.models.errors import Ec2Error

STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}
NEXT_STATE = {"pending": "running", "stopping": "stopped", "shutting-down": "terminated"}

SHUTDOWN_REASON = ("Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown")
HIBERNATE_REASON = ("Client.UserInitiatedHibernate", "Client.UserInitiatedHibernate: User initiated hibernate")


def _hibernation_configured(instance):
    options = getattr(instance, "hibernation_options", None) or {}
    value = options.get("Configured") if isinstance(options, dict) else None
    return value is True or str(value).lower() == "true"


class RegionLifecycle:
    # What _install puts on the backend object: closures, left out of a saved backend (sandbox.ec2.persist).
    HOOKS = ("get_instance", "get_multi_instances_by_id", "describe_volumes", "describe_images", "describe_tags",
             "create_image", "run_instances", "get_reservations_by_instance_ids", "describe_instance_status",
             "reboot_instances", "_sandbox_lifecycle")

    def __init__(self, backend, ctx, overrides):
        self.backend = backend
        self.ctx = ctx
        self.overrides = overrides
        self.index = {}  # instance id -> moto Instance
        self.hibernated = set()  # ids whose current stop is a hibernation
        self.reboots = {}  # instance id -> RebootInstances accepted for it (EC2 keeps it running)
        self.status_ok_at = {}  # instance id -> sandbox time its status checks read ok (initializing before)
        self.reservation_of = {}  # instance id -> (launch order, reservation id, place in it): reservations_for
        self._launches = itertools.count()
        self._due = {}  # instance id -> sequence number of its live heap entry
        self._heap = []  # (due time, seq, instance id)
        self._seq = itertools.count()
        self.current_params = None  # the request being served (set by the emulator)
        self._install()

    # --- moto hooks -------------------------------------------------------------------------
    def _install(self):
        backend = self.backend
        cls = type(backend)
        original_run = cls.run_instances.__get__(backend)
        original_status = cls.describe_instance_status.__get__(backend)

        def run_instances(*args, **kwargs):
            reservation = original_run(*args, **kwargs)
            order = next(self._launches)
            for position, instance in enumerate(reservation.instances):
                self.reservation_of[instance.id] = (order, reservation.id, position)
            self._launched(reservation.instances)
            return reservation

        def get_reservations_by_instance_ids(instance_ids, filters=None):
            return self.reservations_for(instance_ids, filters)

        def describe_instance_status(instance_ids, include_all_instances, filters):
            from sandbox.ec2.models.health import status_views

            instances = original_status(instance_ids, include_all_instances, filters)
            return status_views(instances, self.overrides, self.ctx.clock.now(), self.status_ok_at)

        def reboot_instances(instance_ids):
            instances = self.lookup(instance_ids)
            for instance in instances:
                if instance._state.name not in ("running", "pending"):
                    raise Ec2Error("IncorrectInstanceState",
                                   f"The instance '{instance.id}' is not in a state from which it can be rebooted.")
            # A reboot keeps the instance `running` (as on EC2), so the count is what there is to see.
            # Scripts running on it through SSM are not killed.
            now = self.ctx.clock.now()
            for instance in instances:
                self.reboots[instance.id] = self.reboots.get(instance.id, 0) + 1
                if instance._state.name == "running":  # its checks start over (a pending one's start later)
                    self._checks_start(instance.id, now)
            return instances

        # moto scans every instance / volume / AMI for one id; at 3000 instances a launch of 100
        # spent most of its time there. Same answers, dict lookups first.
        original_get_instance = cls.get_instance.__get__(backend)
        original_volumes = cls.describe_volumes.__get__(backend)
        original_images = cls.describe_images.__get__(backend)

        def get_instance(instance_id):
            instance = self.index.get(instance_id)
            if instance is not None:
                return instance
            for reservation in reversed(backend.reservations.values()):  # a launch looks up its own
                for instance in reservation.instances:
                    if instance.id == instance_id:
                        return instance
            return original_get_instance(instance_id)  # raises InvalidInstanceID.NotFound

        def describe_volumes(volume_ids=None, filters=None):
            volumes = backend.volumes
            if volume_ids and not filters and all(v in volumes for v in volume_ids):
                return [volumes[v] for v in dict.fromkeys(volume_ids)]
            return original_volumes(volume_ids=volume_ids, filters=filters)

        def describe_images(ami_ids=None, filters=None, exec_users=None, owners=None):
            if not ami_ids and not exec_users and not owners and isinstance(filters, dict) \
                    and list(filters) == ["image-id"] and isinstance(filters["image-id"], str) \
                    and filters["image-id"] in backend.amis and not set("*?[") & set(filters["image-id"]):
                return [backend.amis[filters["image-id"]]]
            return original_images(ami_ids=ami_ids, filters=filters, exec_users=exec_users, owners=owners)

        original_create_image = cls.create_image.__get__(backend)

        def create_image(instance_id, name, description, tag_specifications):
            # moto 5.2.5 raises NotImplementedError for snapshot TagSpecifications; EC2 tags the image's snapshots
            specs = tag_specifications or []
            snapshot_tags = dict((t["Key"], t.get("Value", "")) for spec in specs
                                 if spec.get("ResourceType") == "snapshot" for t in spec.get("Tags") or [])
            ami = original_create_image(instance_id, name, description,
                                        tag_specifications=[s for s in specs if s.get("ResourceType") != "snapshot"])
            snapshot = getattr(ami, "ebs_snapshot", None)
            if snapshot is not None and snapshot_tags:
                backend.create_tags([snapshot.id], snapshot_tags)
            return ami

        original_tags = cls.describe_tags.__get__(backend)

        def describe_tags(filters=None):
            # Every tagged moto resource reads its own tags as describe_tags(filters={"resource-id": [id]}),
            # which matches the id's pattern against every tagged resource of the region: a DescribeInstances
            # of 100 tagged instances among 10,000 was 1,000,000 matches. An id with no wildcard matches
            # itself only (simple_aws_filter_to_re is fnmatch's, anchored): the same list, one dict look-up.
            if isinstance(filters, dict) and list(filters) == ["resource-id"] \
                    and isinstance(filters["resource-id"], list) and len(filters["resource-id"]) == 1:
                [resource_id] = filters["resource-id"]
                if isinstance(resource_id, str) and not set("*?[]\\") & set(resource_id):
                    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

                    tags = backend.tags.get(resource_id) or {}
                    kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), "") if tags else ""
                    return [{"resource_id": resource_id, "key": key, "value": value, "resource_type": kind}
                            for key, value in list(tags.items())]
            return original_tags(filters=filters)

        def get_multi_instances_by_id(instance_ids, filters=None):
            instances = self.lookup(list(dict.fromkeys(instance_ids)))
            return [i for i in instances if i.applies(filters)]

        backend.get_instance = get_instance
        backend.get_multi_instances_by_id = get_multi_instances_by_id
        backend.describe_volumes = describe_volumes
        backend.describe_images = describe_images
        backend.describe_tags = describe_tags
        backend.create_image = create_image
        backend.run_instances = run_instances
        backend.get_reservations_by_instance_ids = get_reservations_by_instance_ids
        backend.describe_instance_status = describe_instance_status
        backend.reboot_instances = reboot_instances
        backend.__dict__["_sandbox_lifecycle"] = self

    def is_installed(self):
        return self.backend.__dict__.get("_sandbox_lifecycle") is self

    # --- lookups ----------------------------------------------------------------------------
    def lookup(self, instance_ids):
        """Instances by id, in the order given; InvalidInstanceID.NotFound names the missing."""
        missing = [i for i in instance_ids if i not in self.index]
        if missing:  # made some other way (fleets, autoscaling): index them once
            for instance in self.backend.all_instances():
                self.index.setdefault(instance.id, instance)
            missing = [i for i in instance_ids if i not in self.index]
        if missing:
            if len(missing) > 1:
                message = f"The instance IDs '{', '.join(missing)}' do not exist"
            else:
                message = f"The instance ID '{missing[0]}' does not exist"
            raise Ec2Error("InvalidInstanceID.NotFound", message)
        return [self.index[i] for i in instance_ids]

    def reservations_for(self, instance_ids, filters=None):
        """moto's get_reservations_by_instance_ids with set lookups (it is O(ids x instances))."""
        import copy

        from moto.ec2.utils import filter_reservations

        self.lookup(list(dict.fromkeys(instance_ids)))  # NotFound for any unknown id
        wanted = set(instance_ids)
        known = self.backend.reservations
        grouped = {}  # (launch order, reservation id) -> [place, ...]
        for instance_id in wanted:
            place = self.reservation_of.get(instance_id)
            reservation = known.get(place[1]) if place is not None else None
            if reservation is None or place[2] >= len(reservation.instances) \
                    or reservation.instances[place[2]].id != instance_id:
                grouped = None  # launched some other way, or moto moved it: scan as moto does
                break
            grouped.setdefault(place[:2], []).append(place[2])
        reservations = []
        if grouped is not None:
            # the wanted ids' reservations only, in moto's order (launch order), members in its order
            for (_, reservation_id), places in sorted(grouped.items()):
                reservation = known[reservation_id]
                clone = copy.copy(reservation)
                clone.instances = [reservation.instances[p] for p in sorted(places)]
                reservations.append(clone)
        else:
            for reservation in known.values():
                members = [i for i in reservation.instances if i.id in wanted]
                if members:
                    clone = copy.copy(reservation)
                    clone.instances = members
                    reservations.append(clone)
        if filters is not None:
            reservations = filter_reservations(reservations, filters)
        return reservations

    # --- the clock --------------------------------------------------------------------------
    def _schedule(self, instance_id, due):
        seq = next(self._seq)
        self._due[instance_id] = seq
        heapq.heappush(self._heap, (due, seq, instance_id))

    def _unschedule(self, instance_id):
        self._due.pop(instance_id, None)

    def scheduled(self, instance_id):
        return instance_id in self._due

    def process_due(self, now):
        """Complete the transitions due by `now`; how many did."""
        heap = self._heap
        completed = 0
        while heap and heap[0][0] <= now:
            due, seq, instance_id = heapq.heappop(heap)
            if self._due.get(instance_id) != seq:
                continue  # superseded or cancelled
            del self._due[instance_id]
            instance = self.index.get(instance_id)
            if instance is not None:
                self._complete(instance, now, due)
                completed += 1
        return completed

    def _live_due(self):
        """{instance id: due time} of the scheduled transitions."""
        return {instance_id: due for due, seq, instance_id in self._heap if self._due.get(instance_id) == seq}

    # --- the state file ---------------------------------------------------------------------
    def export_state(self, now):
        """What this state machine keeps beside moto's objects, as JSON (after process_due(now)), and
        the earliest sandbox time it changes by itself (a transition or a status check due), or None."""
        due = self._live_due()
        ahead = [at for at in list(due.values()) + list(self.status_ok_at.values()) if at > now]
        return {
            "transitions": {instance_id: max(0.0, at - now) for instance_id, at in due.items()},
            "hibernated": sorted(self.hibernated),
            "reboots": dict(self.reboots),
            "status_ok": {instance_id: saved_time(at, now) for instance_id, at in self.status_ok_at.items()},
        }, (min(ahead) if ahead else None)

    def import_state(self, state, now):
        """After the backend was restored: index its instances in launch order, then resume each
        transition with the time it had left."""
        for order, reservation in enumerate(self.backend.reservations.values()):
            for position, instance in enumerate(reservation.instances):
                self.index[instance.id] = instance
                self.reservation_of[instance.id] = (order, reservation.id, position)
        self._launches = itertools.count(len(self.backend.reservations))
        self.hibernated = set(state.get("hibernated", ()))
        self.reboots = {k: int(v) for k, v in state.get("reboots", {}).items()}
        self.status_ok_at = {k: restored_time(v, now) for k, v in state.get("status_ok", {}).items()}
        for instance_id, left in state.get("transitions", {}).items():
            if instance_id in self.index:
                self._schedule(instance_id, now + float(left))

    def _checks_start(self, instance_id, since):
        """Status checks read initializing from `since` for ctx.status_check_seconds, then ok.
        Source: DescribeInstanceStatus (InstanceStatusSummary.Status: ok | impaired | insufficient-data
        | not-applicable | initializing); botocore's instance_status_ok waiter polls until ok."""
        seconds = max(0.0, float(getattr(self.ctx, "status_check_seconds", 0.0) or 0.0))
        self.status_ok_at[instance_id] = since + seconds

    def _enter(self, instance, state, now):
        """Put the instance in `state`; a transitional state is scheduled to move on unless stuck."""
        instance._state.name = state
        instance._state.code = STATE_CODES[state]
        if state == "pending":  # as EC2 reports a launch or start under way
            instance.state_reason = StateReason("pending", "pending")
        elif state == "running":  # EC2 has no StateReason for a running instance
            instance.state_reason = None
        if state != "running":
            self.status_ok_at.pop(instance.id, None)  # not-applicable until it runs again
        self._unschedule(instance.id)
        if state in NEXT_STATE:
            rule = self.overrides.stuck_rule(instance.id)
            if rule is None or rule.state != state:
                self._schedule(instance.id, now + self.ctx.durations.seconds("ec2", instance.id, state))

    def _complete(self, instance, now, due=None):
        state = NEXT_STATE.get(instance._state.name)
        if state == "running":
            for nic in instance.nics.values():
                nic.start()
            self._enter(instance, "running", now)
            self._checks_start(instance.id, now if due is None else min(due, now))  # when it got there
        elif state == "stopped":
            for nic in instance.nics.values():
                nic.stop()
            self._enter(instance, "stopped", now)
        elif state == "terminated":
            reason, state_reason = instance._reason, instance.state_reason
            instance.terminate()  # moto's teardown: NICs, volumes, profile associations
            instance._reason, instance.state_reason = reason, state_reason
            self.hibernated.discard(instance.id)
            self._enter(instance, "terminated", now)

    def on_stuck(self, instance_ids, rule):
        """A rule for the state an instance is in already holds it there from now on."""
        for instance in self.lookup(instance_ids):
            if instance._state.name == rule.state:
                self._unschedule(instance.id)

    # --- launching --------------------------------------------------------------------------
    def _launched(self, instances):
        params = self.current_params or {}
        now = self.ctx.clock.now()
        protect = "DisableApiTermination" in params
        for instance in instances:
            self.index[instance.id] = instance
            # EC2 reports Platform "windows" for Windows and nothing otherwise; moto 5.2.5 copies the
            # AMI's "Linux/UNIX" (the run-command model reads the platform from here too).
            if str(instance.platform or "").lower() != "windows":
                instance.platform = None
            if protect:  # moto 5.2.5 drops DisableApiTermination at launch
                instance.disable_api_termination = _bool(params["DisableApiTermination"])
            self._enter(instance, "pending", now)

    # --- state changes ----------------------------------------------------------------------
    def _user_initiated(self, now):
        return "User initiated ({} GMT)".format(
            datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%d %H:%M:%S"))

    @staticmethod
    def _state_of(instance):
        return instance._state.name, instance._state.code

    def stop(self, instance_ids, hibernate=False, force=False, dry_run=False):
        instances = self.lookup(instance_ids)
        if dry_run:
            raise Ec2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)
        for instance in instances:
            if instance.disable_api_stop is True:
                raise Ec2Error("OperationNotPermitted",
                               f"The instance '{instance.id}' may not be stopped. Modify its 'disableApiStop' "
                               "instance attribute and try again.")
            if instance._state.name in ("pending", "shutting-down", "terminated"):
                raise Ec2Error("IncorrectInstanceState",
                               f"This instance '{instance.id}' is not in a state from which it can be stopped.")
            if hibernate and not _hibernation_configured(instance):
                # EC2's words, the id last, as a real StopInstances answered it (quoted in the log of
                # aws-solutions/instance-scheduler-on-aws issue #510)
                raise Ec2Error("UnsupportedHibernationConfiguration",
                               "The instance can't be hibernated because it was not configured at launch for "
                               f"hibernation: {instance.id}")
        now = self.ctx.clock.now()
        changes = []
        for instance in instances:
            previous = self._state_of(instance)
            state = instance._state.name
            if state == "running":
                code, message = HIBERNATE_REASON if hibernate else SHUTDOWN_REASON
                instance._reason = self._user_initiated(now)
                instance.state_reason = StateReason(message, code)
                (self.hibernated.add if hibernate else self.hibernated.discard)(instance.id)
                self._enter(instance, "stopping", now)
            elif state == "stopping" and force and not self.scheduled(instance.id):
                rule = self.overrides.stuck_rule(instance.id)
                if rule is None or rule.state != "stopping" or rule.force_works:
                    self.overrides.release_stuck(instance.id)
                    self._schedule(instance.id, now + self.ctx.durations.seconds("ec2", instance.id, state))
            changes.append((instance.id, previous, self._state_of(instance)))
        return changes

    def start(self, instance_ids, dry_run=False):
        instances = self.lookup(instance_ids)
        if dry_run:
            raise Ec2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)
        for instance in instances:
            if instance._state.name in ("stopping", "shutting-down", "terminated"):
                raise Ec2Error("IncorrectInstanceState",
                               f"The instance '{instance.id}' is not in a state from which it can be started.")
        now = self.ctx.clock.now()
        changes = []
        for instance in instances:
            previous = self._state_of(instance)
            if instance._state.name == "stopped":
                instance._reason = ""
                instance.state_reason = StateReason()
                self.hibernated.discard(instance.id)
                self._enter(instance, "pending", now)
            changes.append((instance.id, previous, self._state_of(instance)))
        return changes

    def terminate(self, instance_ids, dry_run=False):
        """TerminateInstances as the EC2 API reference describes it: an unknown id fails the whole call
        and terminates nothing; termination protection blocks the Availability Zone it is in.

        Source (TerminateInstances, API reference and botocore's service-2.json documentation): "If you
        terminate multiple instances across multiple Availability Zones, and one or more of the specified
        instances are enabled for termination protection, the request fails with the following results:
        The specified instances that are in the same Availability Zone as the protected instance are not
        terminated. The specified instances that are in different Availability Zones, where no other
        specified instances are protected, are successfully terminated." So the call answers
        OperationNotPermitted, and the instances of the other zones go shutting-down all the same."""
        if not instance_ids:
            raise Ec2Error("MissingParameter", "The request must contain the parameter InstanceId")
        instances = self.lookup(instance_ids)  # "because of a single incorrect instance ID ... none"
        if dry_run:
            raise Ec2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)
        protected = [i for i in instances
                     if i.disable_api_termination is True and i._state.name != "terminated"]
        blocked_zones = {i.availability_zone for i in protected}
        now = self.ctx.clock.now()
        changes = []
        for instance in instances:
            if instance.availability_zone in blocked_zones:
                continue
            previous = self._state_of(instance)
            if instance._state.name not in ("shutting-down", "terminated"):
                instance._reason = self._user_initiated(now)
                instance.state_reason = StateReason(*reversed(SHUTDOWN_REASON))
                self._enter(instance, "shutting-down", now)
            changes.append((instance.id, previous, self._state_of(instance)))
        if protected:
            raise Ec2Error("OperationNotPermitted", _protection_message([i.id for i in protected]))
        return changes


def _protection_message(instance_ids):
    """EC2's OperationNotPermitted message for one protected instance (as real TerminateInstances calls
    answer it, e.g. in rebuy-de/aws-nuke issue #279). For several, no answer of EC2's is on record:
    the sandbox names them all in the same sentence, 'disableApiTermination' kept (clients look for it)."""
    if len(instance_ids) == 1:
        return (f"The instance '{instance_ids[0]}' may not be terminated. Modify its 'disableApiTermination' "
                "instance attribute and try again.")
    named = ", ".join(f"'{i}'" for i in instance_ids)
    return (f"The instances {named} may not be terminated. Modify their 'disableApiTermination' "
            "instance attribute and try again.")


def _bool(value):
    return value is True or str(value).strip().lower() == "true"
