"""ECS's domain errors: `EcsError` and the errors several actions answer alike."""


class EcsError(Exception):
    """A domain error, rendered by the HTTP layer in ECS's error format."""

    def __init__(self, code, http_status, message):
        super().__init__(message)
        self.code, self.http_status, self.message = code, http_status, message


def not_found(kind, ident):
    return EcsError(f"Invalid{kind}Id.NotFound", 404, f"The specified {kind}Id {ident} does not exist.")


def incorrect_status(status):
    return EcsError("IncorrectInstanceStatus", 403,
                    f"The current status of the resource does not support this operation. (status: {status})")


def dry_run_passed():
    return EcsError("DryRunOperation", 400, "Request validation has been passed with DryRun flag set.")


def dry_run_success():
    """The batch actions' passing dry run. Code, HTTP status and message from the error tables of the
    StopInstances, StartInstances, RebootInstances and DeleteInstances API references ("400
    DRYRUN.SUCCESS This request is a dryrun request with successful result."), and their SDK
    docstrings ("If the check succeeds, DRYRUN.SUCCESS is returned")."""
    return EcsError("DRYRUN.SUCCESS", 400, "This request is a dryrun request with successful result.")


def locked_for_security():
    """InstanceLockedForSecurity (403) with the message of the StopInstance, DeleteInstance and
    ReActivateInstances error tables."""
    return EcsError("InstanceLockedForSecurity", 403,
                    "The specified operation is denied as your instance is locked for security reasons.")


def charge_type_violation():
    """ChargeTypeViolation (403), "The operation is not permitted due to charge type of the instance."
    (DeleteInstance and ModifyInstanceAutoReleaseTime error tables)."""
    return EcsError("ChargeTypeViolation", 403, "The operation is not permitted due to charge type of the instance.")


def still_initializing():
    """IncorrectInstanceStatus.Initializing (403) with the DeleteInstance error table's message (its
    description: "The specified instance cannot be released at this time. Try again later.")."""
    return EcsError("IncorrectInstanceStatus.Initializing", 403, "The specified instance status does not support "
                                                                 "this operation.")


def invalid(message, code="InvalidParameter"):
    return EcsError(code, 400, message)
