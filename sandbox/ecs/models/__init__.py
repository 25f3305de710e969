"""ECS state machine: instances, disks, snapshots and images on the shared sandbox clock.

Knows nothing of HTTP. Every public method takes plain Python values and returns plain
dicts/lists shaped as ECS returns them; a domain error is an `EcsError`. One lock guards
the whole model (the server is threaded).

Laid out as moto lays out a service's backend: one part per resource, composed into `EcsModel`
(each part's methods see the others' through `self`):
- `instances`: RunInstances, release (DeleteInstance(s), auto-release), attributes, user data, locks;
- `lifecycle`: the state machine (timed transitions, stuck rules, the security lock) and
  Stop/Start/RebootInstance(s);
- `instance_views`: DescribeInstances and DescribeInstanceStatus; `health`: DescribeInstancesFullStatus;
- `disks`, `snapshots`, `images`, `regions`: those resources and their actions;
- `invocations`: Cloud Assistant (RunCommand and the invocations it makes);
- `persist`: the state file's part; `base`: the statuses, the lock, ids, ECS's time formats;
  `errors`, `billing` (charge types, subscriptions), `instance_types`: what the parts share.

Transitional states are lazy: an instance stores its status, the status it is heading to
and the clock time it gets there; reads settle it. Auto-release is carried out on every
read and from `settle_all()` (called when the clock is advanced).

Choices where ECS docs are silent or vague (documented here so the module-writer knows):
- Stopping a Stopped instance is IncorrectInstanceStatus (403), as ECS answers; stopping a
  Stopping one is accepted and changes nothing (a ForceStop may unstick it, see below).
- An AutoReleaseTime too soon (< 30 min) or too late (> 3 years) is answered with
  InvalidAutoReleaseTime.Malformed (400): ECS documents no separate code and answers that one.
- AutoReleaseTime is returned as yyyy-MM-ddTHH:mmZ (as DescribeInstances does); both that and
  yyyy-MM-ddTHH:mm:ssZ are accepted on input, so a value read back can be sent again.
- A singular action's DryRun (StopInstance, DeleteInstance, RunInstances, ...) checks parameters,
  existence, status and deletion protection before answering DryRunOperation: stricter than ECS
  rather than looser, so a dry run that passes here predicts a real call that passes. The batch
  actions' dry runs answer DRYRUN.SUCCESS and check what their references say (see `_batch` and
  `delete_instances`): with SuccessFirst, and for DeleteInstances, that is less than a real call needs.
- Auto-release ignores deletion protection (protection guards DeleteInstance(s) only).
- A stuck rule (control API) holds an instance in that status: the timed transition out of
  it does not happen and a normal call does not move it; a forced call moves it only when
  the rule says force works.
- StartTime (yyyy-MM-ddTHH:mmZ, as DescribeInstances documents it) is the clock time the
  instance last reached Running: after launch, after every start and when a reboot completes;
  empty until it first runs. A client that needs to see a reboot inside one minute compares
  it with the sandbox clock rather than with itself.
- A Cloud Assistant exit code 193/194 stops/reboots the instance from inside the guest
  (`stop_from_guest` / `reboot_from_guest`): the normal Stopping/Starting transitions, no
  API call recorded.
- Regions: instances, disks, snapshots, self-owned images and Cloud Assistant invocations
  belong to the region they were made in (see REGIONS); public images exist in every region.
  An action whose request has a RegionId (RunInstances, DescribeInstances, StopInstances, ...)
  sees only that region: another region's resource answers exactly as an unknown id does.
  Actions whose SDK request model has no RegionId at all (StopInstance, StartInstance,
  RebootInstance, DeleteInstance, ModifyInstanceAttribute, CreateSnapshot) find the resource
  by id in whatever region it is in: the real cloud routes them by the regional endpoint the
  client calls, and the sandbox has one endpoint for every region. Ids are unique across
  regions, so the control API (stuck, events, health, image failures) also works by id alone.
- A method's `region=None` means "any region" (region-less actions, the control API); the
  HTTP layer checks RegionId (missing, unknown) before it calls the model.

Fidelity to the ECS API reference (each rule cites its source next to the code):
- Launch: Pending, then Starting, then Running, each step lasting its duration (transition_seconds, or
  a --transition-profile draw per instance and state) ("Instance
  lifecycle", doc 25380: Pending "after an instance is created ... before it enters the Starting
  state"; Starting "after an instance is created, started, or restarted ... before Running").
- Dry runs: the batch actions (StopInstances, StartInstances, RebootInstances, DeleteInstances)
  answer DRYRUN.SUCCESS (400), the singular ones and RunInstances DryRunOperation (400); see
  `dry_run_success`.
- A security lock (OperationLocks.LockReason "security", set by the control API) refuses what
  doc 25695 and the actions' own references refuse, with InstanceLockedForSecurity (403); see
  `_check_lock` for the list and the one conflict between the sources.
- CreateSnapshot and CreateImage from an instance (InstanceId) refuse an instance that is not Running or
  Stopped (a Pending, Starting or Stopping one: one held in Stopping too) with 400 IncorrectInstanceStatus, as
  their references and error tables say; CreateSnapshot also a disk whose instance has never been started. See
  `_check_snapshot_instance` and `create_image`.
- Subscription (PrePaid) instances have an ExpiredTime; release and auto-release refuse them with
  ChargeTypeViolation (403); when ExpiredTime passes they read Stopped (doc 25380: "Expired ...
  Stopped") and StartInstance(s) refuse them with InstanceExpired (403).
"""
from sandbox.ecs.models.base import PENDING, RUNNING, STARTING, STOPPED, STOPPING, ModelBase, iso_minute, iso_second
from sandbox.ecs.models.billing import PERIODS, POSTPAID, PREPAID
from sandbox.ecs.models.disks import Disks
from sandbox.ecs.models.errors import EcsError
from sandbox.ecs.models.health import Health
from sandbox.ecs.models.images import Images
from sandbox.ecs.models.instance_views import InstanceViews
from sandbox.ecs.models.instances import LOCK_REASONS, Instances
from sandbox.ecs.models.invocations import Invocations
from sandbox.ecs.models.lifecycle import Lifecycle
from sandbox.ecs.models.persist import Persist
from sandbox.ecs.models.regions import REGION, REGIONS, Regions, check_region, region_endpoint
from sandbox.ecs.models.snapshots import Snapshots

__all__ = [
    "EcsError", "EcsModel", "LOCK_REASONS", "PENDING", "PERIODS", "POSTPAID", "PREPAID", "REGION", "REGIONS", "RUNNING",
    "STARTING", "STOPPED", "STOPPING", "check_region", "iso_minute", "iso_second", "region_endpoint",
]


class EcsModel(Instances, Lifecycle, InstanceViews, Health, Disks, Snapshots, Images, Invocations, Regions, Persist,
               ModelBase):
    """The whole ECS model: one part per resource (moto's layout), one lock and one clock for all."""

    def __init__(self, ctx, overrides):
        ModelBase.__init__(self, ctx, overrides)
        self.reset()

    def reset(self):
        with self.lock:
            self._reset_base()
            self._reset_instances()
            self._reset_disks()
            self._reset_snapshots()
            self._reset_images()
            self._reset_invocations()
