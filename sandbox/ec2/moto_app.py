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
    return str(100000000000 + next(_accounts))  # 12 digits, like an AWS account id


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
