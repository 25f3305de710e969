"""The instance state machine: timed transitions on the sandbox clock, stuck rules, locks, and
StopInstance(s) / StartInstance(s) / RebootInstance(s) with their batch and dry-run rules."""
from sandbox.ecs.models.base import PENDING, RUNNING, STARTING, STOPPED, STOPPING, locked
from sandbox.ecs.models.billing import PREPAID
from sandbox.ecs.models.errors import (EcsError, dry_run_passed, dry_run_success, incorrect_status,
                                       locked_for_security)


class Lifecycle:
    def _held(self, inst, status):
        """True when a stuck rule keeps `inst` in `status` (a force that works releases it)."""
        rule = self.overrides.stuck_rule(inst.id)
        if rule is None or rule.state.lower() != status.lower():
            return False
        return not (inst.forced and rule.force_works)

    def _settle(self, inst, now=None):
        """Complete the transitions whose time has come; return the current status.

        A launch is two steps: Pending, then Starting (which begins when Pending ends, not when it is
        read), then Running (doc 25380, "Instance lifecycle")."""
        now = now or self._now()
        while inst.until is not None and now >= inst.until and not self._held(inst, inst.status):
            reached_at = inst.until
            came_from = inst.status
            inst.status, inst.until, inst.forced = inst.target, None, False
            if inst.status == STARTING and came_from == PENDING:
                inst.target, inst.until = RUNNING, reached_at + self.ctx.durations.seconds("ecs", inst.id, STARTING)
            elif inst.status == RUNNING:
                inst.stopped_mode = "Not-applicable"
                inst.started = reached_at
        if inst.charge_type == PREPAID and not inst.expired and inst.expired_at is not None and now >= inst.expired_at:
            # an expired subscription instance is Stopped (doc 25380: console "Expired" = API Stopped)
            inst.expired, inst.status, inst.until, inst.forced = True, STOPPED, None, False
        return inst.status

    @staticmethod
    def _initializing(inst):
        """Pending, or Starting after its launch: it has never been Running (StartTime empty)."""
        return inst.started is None and inst.status in (PENDING, STARTING)

    @staticmethod
    def _check_lock(inst):
        """A security lock refuses, with InstanceLockedForSecurity (403), what "API behavior when an instance
        is locked for security reasons" (doc 25695) lists as affected: StartInstance, RebootInstance(s),
        ModifyInstanceAttribute, ModifyInstanceAutoReleaseTime and CreateImage from the instance;
        CreateSnapshot of its In_use disks (the table's earlier version). StartInstances and StopInstances
        are refused as their own references say ("You cannot call this operation to ... instances that are
        locked for security reasons", both updated 2025-12). StopInstance: doc 25695 lists it as
        unaffected, while StopInstance's own reference (updated 2025-12) says a locked instance cannot be
        stopped; the sandbox refuses it (stricter, so a stop that passes here passes there).
        Unaffected: DeleteInstance(s) (released with their disks, the DeleteInstance reference says),
        DescribeInstances, DescribeInstanceStatus, DescribeUserData and the other reads."""
        if "security" in inst.locks:
            raise locked_for_security()

    def _begin(self, inst, through, target, forced=False):
        """Enter transitional status `through`, reaching `target` after its duration (the profile's draw for
        this instance, or transition_seconds)."""
        if self._held(inst, inst.status) and not (forced and self.overrides.stuck_rule(inst.id).force_works):
            return  # stuck where it is: a normal call does not move it
        inst.status, inst.target, inst.forced = through, target, forced
        inst.until = self._now() + self.ctx.durations.seconds("ecs", inst.id, through)

    @locked
    def settle_all(self):
        """Carry out what the clock makes due (auto-release is done by the decorator)."""
        now = self._now()
        for inst in self.instances.values():
            self._settle(inst, now)

    def _stop_one(self, inst, force, stopped_mode):
        """Validate and (when `act`) carry out a stop; returns (previous, current)."""
        previous = inst.status
        if previous == STOPPING:
            if force and self._held(inst, STOPPING) and self.overrides.stuck_rule(inst.id).force_works:
                inst.forced = True
                inst.until = self._now() + self.ctx.durations.seconds("ecs", inst.id, STOPPING)
            return previous, inst.status
        self._begin(inst, STOPPING, STOPPED, forced=force)
        if inst.status == STOPPING:
            inst.stopped_mode = stopped_mode or "KeepCharging"
        return previous, inst.status

    @staticmethod
    def _can(action, status):
        allowed = {"stop": (RUNNING, STOPPING), "start": (STOPPED,), "reboot": (RUNNING,)}[action]
        return status in allowed

    def _check_one(self, action, inst, extra_check=None):
        """Per-instance checks of a stop/start/reboot: the lock, then what the action needs."""
        self._check_lock(inst)
        if extra_check is not None:
            extra_check(inst)
        if action == "start" and inst.expired:
            # StartInstance(s) error tables: 403 InstanceExpired, "The instance is out of date and the
            # operation cannot be performed."
            raise EcsError("InstanceExpired", 403, "The specified instance has expired.")
        if not self._can(action, inst.status):
            raise incorrect_status(inst.status)

    def _batch(self, action, instance_ids, all_together, dry_run, act, region=None, singular=False,
               extra_check=None):
        """Shared shape of StopInstances/StartInstances/RebootInstances and their singular forms
        (`singular`: region=None, found in any region; a passing dry run is DryRunOperation).

        Dry runs of the batch forms (their SDK docstrings and API references): with AllTogether the
        parameters, the request format and every instance's status are checked, the first failure is
        the answer, and a request that passes answers DRYRUN.SUCCESS; with SuccessFirst "only
        DRYRUN.SUCCESS is returned regardless of whether the request passes the dry run". The HTTP
        layer has already checked the parameters' form (RegionId, InstanceId.N, BatchOptimization, ...).
        """
        if dry_run and not all_together:
            raise dry_run_success()
        checked = []
        for instance_id in instance_ids:
            try:
                inst = self._get(instance_id, region)
                self._check_one(action, inst, extra_check)
                checked.append((instance_id, inst, None))
            except EcsError as err:
                if all_together:
                    raise
                checked.append((instance_id, None, err))
        if dry_run:
            raise dry_run_passed() if singular else dry_run_success()
        responses = []
        for instance_id, inst, err in checked:
            if err is not None:
                responses.append({"InstanceId": instance_id, "Code": err.code, "Message": err.message,
                                  "PreviousStatus": "", "CurrentStatus": ""})
                continue
            previous, current = act(inst)
            responses.append({"InstanceId": instance_id, "Code": "200", "Message": "success",
                              "PreviousStatus": previous, "CurrentStatus": current})
        return responses

    @staticmethod
    def _no_hibernation(inst):
        """StopInstance Hibernate=true: its SDK docstring says the parameter "is in invitational preview
        and is not available for use", and no sandbox instance is launched with hibernation configured
        (HibernationOptions.Configured is false), so the answer is StopInstance's error table entry for
        that case: 403 HibernationConfigured.NotEnabled, "The instance hibernation configured option is
        not enabled."."""
        raise EcsError("HibernationConfigured.NotEnabled", 403, "The instance hibernation configured option is "
                                                                 "not enabled.")

    @locked
    def stop_instances(self, instance_ids, force=False, stopped_mode=None, all_together=True, dry_run=False,
                       region=None, singular=False, hibernate=False):
        return self._batch("stop", instance_ids, all_together, dry_run,
                           lambda inst: self._stop_one(inst, force, stopped_mode), region, singular,
                           self._no_hibernation if hibernate else None)

    def _start_one(self, inst):
        previous = inst.status
        self._begin(inst, STARTING, RUNNING)
        return previous, inst.status

    @locked
    def start_instances(self, instance_ids, all_together=True, dry_run=False, region=None, singular=False):
        return self._batch("start", instance_ids, all_together, dry_run, self._start_one, region, singular)

    def _reboot_one(self, inst, force):
        previous = inst.status
        self._begin(inst, STARTING, RUNNING, forced=force)
        return previous, inst.status

    @locked
    def reboot_instances(self, instance_ids, force=False, all_together=True, dry_run=False, region=None,
                         singular=False):
        return self._batch("reboot", instance_ids, all_together, dry_run, lambda inst: self._reboot_one(inst, force),
                           region, singular)

    @locked
    def stop_from_guest(self, instance_id):
        """The guest shut itself down (Cloud Assistant exit 193/3009): a normal stop, if Running."""
        inst = self.instances.get(instance_id)
        if inst is not None and self._settle(inst) == RUNNING:
            self._stop_one(inst, False, None)
            self.changed()

    @locked
    def reboot_from_guest(self, instance_id):
        """The guest rebooted itself (Cloud Assistant exit 194/3010): the reboot transition, if Running."""
        inst = self.instances.get(instance_id)
        if inst is not None and self._settle(inst) == RUNNING:
            self._reboot_one(inst, False)
            self.changed()
