"""Stop, start and reboot on the wire: StopInstance(s), StartInstance(s), RebootInstance(s), with the
batch forms' BatchOptimization and the per-instance answers of an injected fault."""
from sandbox.ecs.responses.regions import region_of


def _batch_mode(p):
    mode = p.str("BatchOptimization", choices=("AllTogether", "SuccessFirst")) or "AllTogether"
    return mode == "AllTogether"


def _instance_responses(responses):
    return {"InstanceResponses": {"InstanceResponse": responses}}


def _per_instance(instance_ids, failing, act):
    """A batch call's InstanceResponses: `act` (the model's batch method) for the instances no injected
    fault answers, and for those in `failing` ({instance id: EcsError}, EcsApi._take_fault) the fault's Code
    and Message with empty statuses, as the model answers an instance it does not act on; in request order."""
    if not failing:
        return act(instance_ids)
    acted = iter(act([i for i in instance_ids if i not in failing]))
    return [{"InstanceId": i, "Code": failing[i].code, "Message": failing[i].message, "PreviousStatus": "",
             "CurrentStatus": ""} if i in failing else next(acted) for i in instance_ids]


def stop_instances(model, p, failing=None):
    return _instance_responses(_per_instance(p.ids("InstanceId"), failing, lambda ids: model.stop_instances(
        ids, force=p.bool("ForceStop"), stopped_mode=p.str("StoppedMode", choices=("KeepCharging", "StopCharging")),
        all_together=_batch_mode(p), dry_run=p.bool("DryRun"), region=region_of(p))))


def stop_instance(model, p):
    hibernate = p.bool("Hibernate")  # refused by the model: see EcsModel._no_hibernation
    p.bool("ConfirmStop")
    model.stop_instances([p.str("InstanceId", required=True)], force=p.bool("ForceStop"),
                         stopped_mode=p.str("StoppedMode", choices=("KeepCharging", "StopCharging")),
                         dry_run=p.bool("DryRun"), singular=True, hibernate=hibernate)


def start_instances(model, p, failing=None):
    return _instance_responses(_per_instance(p.ids("InstanceId"), failing, lambda ids: model.start_instances(
        ids, all_together=_batch_mode(p), dry_run=p.bool("DryRun"), region=region_of(p))))


def start_instance(model, p):
    p.bool("InitLocalDisk")
    model.start_instances([p.str("InstanceId", required=True)], dry_run=p.bool("DryRun"), singular=True)


def reboot_instances(model, p, failing=None):
    return _instance_responses(_per_instance(p.ids("InstanceId"), failing, lambda ids: model.reboot_instances(
        ids, force=p.bool("ForceReboot"), all_together=_batch_mode(p), dry_run=p.bool("DryRun"),
        region=region_of(p))))


def reboot_instance(model, p):
    model.reboot_instances([p.str("InstanceId", required=True)], force=p.bool("ForceStop"), dry_run=p.bool("DryRun"),
                           singular=True)


HANDLERS = {
    "StopInstances": stop_instances,
    "StopInstance": stop_instance,
    "StartInstances": start_instances,
    "StartInstance": start_instance,
    "RebootInstances": reboot_instances,
    "RebootInstance": reboot_instance,
}
