"""moto's own EC2 WSGI app (moto pinned: 5.2.5), created once per process, and its backends.

moto keeps its state in process-wide `ec2_backends[account][region]`; each Ec2Emulator gets an
account id of its own (sent to moto as the `x-moto-account-id` header), so two sandboxes in one
process never see each other's instances and a reset forgets only its own.
"""
import itertools
import threading

_app = None
_app_lock = threading.Lock()
_accounts = itertools.count(1)
_claimed = set()  # account ids of live emulators in this process (restored ones included)

# moto's models are not thread-safe; every call into them (a request, a clock tick, a reset)
# holds this lock. One lock for the process because moto's module-level state is shared.
MOTO_LOCK = threading.RLock()


def moto_ec2_app():
    global _app
    with _app_lock:
        if _app is None:
            from moto.moto_server.werkzeug_app import create_backend_app

            from sandbox.ec2 import serializer

            serializer.install()  # the instance answers, byte for byte as moto writes them, faster
            _app = create_backend_app("ec2")
        return _app


def new_account_id():
    """A 12-digit account id, like an AWS one, that no live emulator of this process has."""
    with _app_lock:
        while True:
            account_id = str(100000000000 + next(_accounts))
            if account_id not in _claimed:
                _claimed.add(account_id)
                return account_id


def claim_account_id(account_id):
    """Take `account_id` (a restored emulator's); False when a live emulator of this process has it."""
    with _app_lock:
        if account_id in _claimed:
            return False
        _claimed.add(account_id)
        return True


def release_account_id(account_id):
    with _app_lock:
        _claimed.discard(account_id)


def drop_account(account_id):
    """Forget every region backend of the account (under MOTO_LOCK)."""
    from moto.ec2.models import ec2_backends

    if account_id in ec2_backends:
        del ec2_backends[account_id]


def blank_backend(account_id, region):
    """The backend object of (account, region) without moto's start-up state (no default VPC, no
    AMIs): for a restore to fill (sandbox.ec2.persist). Under MOTO_LOCK."""
    from moto.ec2.models import EC2Backend, ec2_backends

    account = ec2_backends[account_id]
    backend = dict.get(account, region)
    if backend is None:
        backend = EC2Backend.__new__(EC2Backend)
        backend.__dict__.update(region_name=region, account_id=account_id)
        dict.__setitem__(account, region, backend)
    return backend


def ec2_backend(account_id, region):
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region]


def reset_account(account_id):
    from moto.ec2.models import ec2_backends

    if account_id in ec2_backends:
        ec2_backends[account_id].reset()


def known_operations(service="ec2"):
    """A service's action names (EC2's by default), from the botocore model moto itself is built on."""
    import botocore.session

    return frozenset(botocore.session.get_session().get_service_model(service).operation_names)
