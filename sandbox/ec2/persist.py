"""One region's moto EC2 backend to bytes and back, for the state file (sandbox/state_file.py).

moto keeps no state on disk. Recreating instances through moto's API after a restart would give
them the saved ids but new everything else: moto makes each region's default VPC, subnets,
security group, route table and the snapshots of its default AMIs with random ids when the backend
is built, and an instance's ENI, MAC, private and public addresses, volume and attachment ids,
reservation id and launch time come from moto too. DescribeInstances of a restored instance would
not read as it did. So the whole region backend (every dict moto keeps in it: reservations,
volumes, snapshots, AMIs, ENIs, tags, VPCs, subnets, ...) is pickled, and loaded back into a
backend object of the same account and region: the answers after a restart are moto's own
answers from the same objects.

Safety and versions:
- Loading a pickle can run code. The loader here resolves only an allow-list of classes (moto's
  EC2 models and tagging service, a few builtins, collections, datetime, ipaddress, decimal) and
  its own two reducers: a reference to a backend (by account and region, never pickled by value)
  and a bound method of an allowed model (moto's SecurityGroup keeps its filter methods in a dict),
  which must be a public method of that object. Anything else refuses the file.
- The pickle is moto's object layout, so a state file is only read by the moto version that wrote
  it (the state file records it; moto is pinned).
- The sandbox's hooks on a backend (RegionLifecycle._install) are closures: they are left out and
  installed again on the restored backend.
"""
import base64
import binascii
import copyreg
import io
import pickle
import types
import zlib

PROTOCOL = 5

# Which globals a state file may name. Only classes (checked at load), never functions.
_ALLOWED_MODULE_PREFIXES = ("moto.ec2.models.",)
_ALLOWED_MODULES = {"moto.ec2.models", "moto.utilities.tagging_service", "moto.core.types",
                    "ipaddress"}
_ALLOWED_NAMES = {
    ("builtins", name) for name in ("dict", "list", "set", "frozenset", "tuple", "bytearray", "bytes", "str",
                                    "int", "float", "bool", "complex", "object", "slice", "range")
} | {
    ("collections", name) for name in ("OrderedDict", "defaultdict", "deque")
} | {
    ("datetime", name) for name in ("datetime", "date", "time", "timedelta", "timezone")
} | {("decimal", "Decimal")}


class PersistError(ValueError):
    """A backend that cannot be saved, or bytes that are not a backend this sandbox can load."""


def _backend_ref(account_id, region):
    """Stand-in for a reference to a backend; replaced at load by `_Unpickler.find_class`."""
    raise PersistError("a backend reference outside a state file load")


def _bound_method(obj, name):
    """Stand-in for a bound method; replaced at load by `_Unpickler.find_class`."""
    raise PersistError("a method reference outside a state file load")


def _dispatch_table():
    from moto.core.base_backend import BaseBackend
    from moto.ec2.models import EC2Backend

    def backend(obj):
        if not isinstance(obj, EC2Backend):
            raise PersistError(f"an EC2 model refers to a {type(obj).__name__}, which the state file cannot keep")
        return _backend_ref, (obj.account_id, obj.region_name)

    def method(obj):
        return _bound_method, (obj.__self__, obj.__func__.__name__)

    table = copyreg.dispatch_table.copy()
    table[EC2Backend] = backend
    for cls in BaseBackend.__subclasses__():
        table.setdefault(cls, backend)
    table[types.MethodType] = method
    return table


def backend_state(backend, skip=()):
    """The backend's own attributes, without the keys in `skip` (the sandbox's hooks)."""
    return {key: value for key, value in backend.__dict__.items() if key not in skip}


def dump_backend(backend, skip=()):
    """The backend's attributes as text: a pickle, zlib-compressed, in Base64. Run under moto's lock."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=PROTOCOL)
    pickler.dispatch_table = _dispatch_table()
    try:
        pickler.dump(backend_state(backend, skip))
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise PersistError(f"the EC2 backend of {backend.region_name} cannot be saved: {exc}") from None
    return base64.b64encode(zlib.compress(buffer.getvalue(), 1)).decode("ascii")


class _Unpickler(pickle.Unpickler):
    def __init__(self, data, resolve_backend):
        super().__init__(io.BytesIO(data))
        self._resolve_backend = resolve_backend

    def find_class(self, module, name):
        if (module, name) == (__name__, "_backend_ref"):
            return self._resolve_backend
        if (module, name) == (__name__, "_bound_method"):
            return _checked_method
        allowed = (module, name) in _ALLOWED_NAMES or module in _ALLOWED_MODULES \
            or module.startswith(_ALLOWED_MODULE_PREFIXES)
        if not allowed or "." in name:
            raise PersistError(f"the state file names {module}.{name}, which a sandbox state never holds")
        found = super().find_class(module, name)
        if not isinstance(found, type):
            raise PersistError(f"the state file names {module}.{name}, which is not a class")
        return found


def _checked_method(obj, name):
    if not isinstance(name, str) or name.startswith("_") or type(obj).__module__.split(".")[:2] != ["moto", "ec2"]:
        raise PersistError(f"the state file names a method {name!r} of {type(obj).__name__}, which it may not")
    method = getattr(obj, name)
    if not isinstance(method, types.MethodType) or method.__self__ is not obj:
        raise PersistError(f"the state file names {type(obj).__name__}.{name}, which is not a method")
    return method


def load_backend(data, account_id, region, backend_for):
    """Fill a new backend object of (account_id, region) from `data` (dump_backend's text) and
    return it; `backend_for(account_id, region)` gives the backend object for a reference, the one
    being filled included. Raises PersistError."""
    try:
        raw = zlib.decompress(base64.b64decode(data, validate=True))
    except (zlib.error, binascii.Error, TypeError, ValueError) as exc:
        raise PersistError(f"the EC2 state of {region} is not what a sandbox writes: {exc}") from None
    try:
        state = _Unpickler(raw, backend_for).load()
    except PersistError:
        raise
    except Exception as exc:  # truncated, or a layout this moto does not have
        raise PersistError(f"the EC2 state of {region} cannot be loaded: {type(exc).__name__}: {exc}") from None
    if not isinstance(state, dict) or state.get("region_name") != region or state.get("account_id") != account_id:
        raise PersistError(f"the EC2 state of {region} is not the backend of account {account_id} there")
    backend = backend_for(account_id, region)
    backend.__dict__.clear()
    backend.__dict__.update(state)
    return backend


def moto_version():
    import moto

    return moto.__version__
