"""moto's EC2 response serializer, compiled: the same XML, byte for byte, an order of magnitude faster.

moto 5.2.5 answers EC2 calls through one generic serializer (`moto.core.serialize.EC2Serializer`):
for every member of every shape of every object it asks six alias providers which attribute names
to try, builds a dict, and xmltodict turns the dict into XML. A DescribeInstances of 100 ids is
~13,000 such look-ups and cost ~0.2 s of the ~0.3 s a call took; it dominated every benchmark.

The same algorithm is split here in two:
- what depends only on the botocore shape, the position in the answer and the object's Python class -
  the names moto would try, in moto's order (asked of moto's own alias providers), the response
  transformer moto would apply, the XML element name - is worked out once and kept;
- what depends on the object - which of those names it has, and their values - is read per call,
  and the XML is written as text, escaped as xmltodict's XMLGenerator escapes it.

Only the answers in `OPERATIONS` go this way; every other one, an error, and anything this does
not cover (maps, flattened lists, XML attributes, pretty printing, an exception while rendering)
is left to moto's serializer for the whole answer. tests/sandbox/test_ec2_fidelity.py compares
both serializers' bytes on a varied fleet.
"""
import threading
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from moto.core import serialize as _moto
from moto.core.utils import MISSING, get_value as _moto_get_value

# The answers this renders: the ones that carry whole instances (or one status row per instance).
OPERATIONS = frozenset({"DescribeInstances", "RunInstances", "DescribeInstanceStatus"})

_BY_DICT, _BY_GETATTR, _BY_MOTO = 0, 1, 2
_NO_DICT = {}
_RESOLVED_LIMIT = 20000  # (class, attribute names) combinations kept per structure position


class Unsupported(Exception):
    """A shape feature this renderer does not reproduce: moto's serializer answers instead."""


def _getter(cls, key):
    """How to read `key` off an instance of `cls` exactly as moto's `get_value(obj, key, MISSING)` does."""
    if not isinstance(key, str) or "." in key:
        return _BY_MOTO, key  # a dotted path: moto's own helper walks it
    if cls is dict:
        return _BY_DICT, key  # moto: obj[key], KeyError -> MISSING
    if hasattr(cls, "__getitem__"):
        return _BY_MOTO, key
    if cls.__getattribute__ is not object.__getattribute__ or hasattr(cls, "__getattr__"):
        return _BY_GETATTR, key
    if any(key in klass.__dict__ for klass in cls.__mro__):
        return _BY_GETATTR, key  # a property, method or class attribute
    return _BY_DICT, key  # only the instance's own __dict__ can hold it


def _escaped(value):
    if "&" in value or "<" in value or ">" in value:
        return escape(value)  # what xmltodict's XMLGenerator.characters writes
    return value


class _Struct:
    """A structure at one position of the answer."""

    def __init__(self, compiler, shape, path):
        self.shape = shape
        self.path = path  # moto's serializer path at this structure (its `self.path`)
        self.key_path = ".".join(path)
        self.members = []  # (member key, member shape, emit function, transform)
        self._ways = {}  # class -> per member, the ways moto would try, in order
        self._resolved = {}  # (class, names in the object's __dict__) -> [(emit, transform, steps)]
        self._compiler = compiler
        tags = set()
        for member_key, member_shape in shape.members.items():
            member_shape.parent = shape  # as moto's _serialize_type_structure sets it
            ser = member_shape.serialization
            if ser.get("xmlAttribute") or ser.get("xmlNamespace") or ser.get("flattened"):
                raise Unsupported(f"{shape.name}.{member_key}")
            tag = ser.get("name", member_key)
            if tag in tags:
                raise Unsupported(f"two members of {shape.name} are both <{tag}>")
            tags.add(tag)
            self.members.append((member_key, member_shape,
                                 compiler.emitter(member_shape, tag, path + (member_key,)),
                                 compiler.transform_for(f"{self.key_path}.{member_key}")))

    def _resolve(self, cls, obj, own, cache_key):
        """The members' look-ups for objects of this class that have these __dict__ names: a name
        moto would try in the __dict__ is there (found, the end) or not (never found, dropped)."""
        ways = self._ways.get(cls)
        if ways is None:
            ways = self._ways[cls] = self._compiler.keys(self, obj)
        plan = []
        for (member_key, member_shape, emit, transform), member_ways in zip(self.members, ways):
            steps = []
            for how, key in member_ways:
                if how == _BY_DICT:
                    if key in own:
                        steps.append((how, key))
                        break
                else:
                    steps.append((how, key))
            if steps or transform is not None:
                plan.append((emit, transform, tuple(steps)))
        if len(self._resolved) > _RESOLVED_LIMIT:
            self._resolved.clear()
        self._resolved[cache_key] = plan
        return plan

    def emit_members(self, out, obj):
        cls = type(obj)
        own = obj if cls is dict else getattr(obj, "__dict__", _NO_DICT)
        cache_key = (cls, tuple(own))
        plan = self._resolved.get(cache_key)
        if plan is None:
            plan = self._resolve(cls, obj, own, cache_key)
        for emit, transform, steps in plan:
            value = None
            for how, key in steps:
                if how == _BY_DICT:
                    value = own[key]
                    break
                found = getattr(obj, key, MISSING) if how == _BY_GETATTR else _moto_get_value(obj, key, MISSING)
                if found is not MISSING:
                    value = found
                    break
            if transform is not None:
                value = transform(value)
            if value is not None:
                emit(out, value)


class _Compiler:
    """The compiled plan of one operation's answer, for one set of moto's response transformers."""

    def __init__(self, serializer, transformers):
        self.operation_model = serializer.operation_model
        self.picker = serializer._value_picker
        self.transformers = transformers  # [(path suffix, function)] in moto's order
        self.timestamps = serializer._timestamp_serializer
        self.base64 = serializer._base64
        self._memo = {}
        self._lock = threading.Lock()
        shape = self.operation_model.output_shape
        self.root = _Struct(self, shape, (str(self.operation_model.name), shape.name)) if shape is not None else None
        if self.root is not None and any(m.serialization.get("name", k) == "requestId"
                                         for k, m in shape.members.items()):
            raise Unsupported("a member named like the request id")  # moto's dict would merge them

    def transform_for(self, key_path):
        for suffix, transform in self.transformers:  # moto: the first suffix that matches
            if key_path.endswith(suffix):
                return transform
        return None

    def keys(self, struct, obj):
        """moto's XFormedAttributePicker.get_possible_keys for each member, as getters for type(obj)."""
        cls = type(obj)
        with self._lock:
            result = []
            for member_key, member_shape, _emit, _transform in struct.members:
                context = _moto.AttributePickerContext(
                    obj=obj, key=member_key, shape=member_shape, operation_model=self.operation_model,
                    service_model=self.operation_model.service_model, key_path=struct.key_path)
                ways = []
                for key in self.picker.get_possible_keys(context):
                    way = _getter(cls, key)
                    if way not in ways:
                        ways.append(way)
                result.append(tuple(ways))
            return result

    # --- emitters: fn(out, value) appends the member's XML text to `out` -----------------------
    def emitter(self, shape, tag, path):
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape, tag, path)
        if kind == "list":
            return self._list(shape, tag, path)
        text = self.text_of(shape)
        start, end, empty = f"<{tag}>", f"</{tag}>", f"<{tag}/>"

        def scalar(out, value):
            value = text(value)
            out.append(start + _escaped(value) + end if value else empty)
        return scalar

    def text_of(self, shape):
        """The element text moto's serializer + xmltodict make of a scalar of this shape."""
        kind = shape.type_name
        if kind == "string":
            return str
        if kind == "boolean":  # BaseXMLSerializer._serialize_type_boolean
            return lambda value: "true" if value is True or str(value).lower() == "true" else "false"
        if kind in ("integer", "long"):
            return lambda value: str(int(value))
        if kind in ("float", "double"):
            return lambda value: str(float(value))
        if kind == "blob":
            return self.base64
        if kind == "timestamp":
            form = shape.serialization.get("timestampFormat", self.timestamps.default_format)
            convert = self.timestamps._convert_timestamp_to_str
            memo = self._memo
            # botocore's parse_to_aware_datetime gives a naive datetime tzinfo=UTC (same fields) and moto
            # then strftimes it: for a naive datetime that is strftime alone.
            zeroed = _moto.TimestampSerializer.ISO8601_MICRO_ZEROED \
                if form.lower() == _moto.TimestampSerializer.TIMESTAMP_FORMAT_ISO8601_ZEROED else None

            def timestamp(value):
                if zeroed is not None and type(value) is datetime and value.tzinfo is None:
                    return value.strftime(zeroed)
                try:
                    key = (form, type(value), value)
                    hit = memo.get(key)
                except TypeError:  # unhashable: not worth keeping
                    return str(convert(value, form))
                if hit is None:
                    if len(memo) > 100000:
                        memo.clear()
                    hit = memo[key] = str(convert(value, form))
                return hit
            return timestamp
        raise Unsupported(f"{shape.name}: {kind}")

    def _structure(self, shape, tag, path):
        holder = {}
        start, end, empty = f"<{tag}>", f"</{tag}>", f"<{tag}/>"

        def structure(out, value):
            plan = holder.get("plan")
            if plan is None:
                plan = holder["plan"] = _Struct(self, shape, path)
            mark = len(out)
            out.append(start)
            plan.emit_members(out, value)
            if len(out) == mark + 1:
                out[mark] = empty  # an empty dict: xmltodict writes <tag/>
            else:
                out.append(end)
        return structure

    def _list(self, shape, tag, path):
        member = shape.member
        if shape.serialization.get("flattened") or member.type_name in ("list", "map"):
            raise Unsupported(f"{shape.name}: list of {member.type_name}")
        item = member.serialization.get("name", member.name)  # get_serialized_name(shape.member, ...)
        start, end, empty = f"<{tag}>", f"</{tag}>", f"<{tag}/>"
        istart, iend, iempty = f"<{item}>", f"</{item}>", f"<{item}/>"
        if member.type_name == "structure":
            holder = {}
            item_path = path + (member.name,)

            def structure_list(out, value):
                plan = holder.get("plan")
                if plan is None:
                    plan = holder["plan"] = _Struct(self, member, item_path)
                mark = len(out)
                out.append(start)
                for entry in value:
                    if entry is None:
                        continue  # _serialize_type_structure writes nothing for None
                    at = len(out)
                    out.append(istart)
                    plan.emit_members(out, entry)
                    if len(out) == at + 1:
                        out.pop()  # an item that serialized to {} is left out
                    else:
                        out.append(iend)
                if len(out) == mark + 1:
                    out[mark] = empty  # no items: moto writes "" -> <tag/>
                else:
                    out.append(end)
            return structure_list
        text = self.text_of(member)

        def scalar_list(out, value):
            items = [text(entry) for entry in value]
            if not items:
                out.append(empty)
                return
            out.append(start)
            for entry in items:
                out.append(istart + _escaped(entry) + iend if entry else iempty)
            out.append(end)
        return scalar_list


_plans = {}  # (operation name, transformer identities) -> _Compiler
_plans_lock = threading.Lock()


def _compiler_for(serializer):
    transformers = tuple(serializer._value_picker.response_transformers.items())
    key = (str(serializer.operation_model.name), tuple((k, id(v)) for k, v in transformers))
    compiler = _plans.get(key)
    if compiler is None:
        with _plans_lock:
            compiler = _plans.get(key)
            if compiler is None:
                if len(_plans) > 32:  # a transformer made per call (moto does so for VPC peering)
                    _plans.clear()
                compiler = _plans[key] = _Compiler(serializer, list(transformers))
    return compiler


def render(serializer, result):
    """The body moto's EC2Serializer would write for `result`, or raise Unsupported."""
    if serializer.pretty_print or type(serializer._value_picker) is not _moto.XFormedAttributePicker:
        raise Unsupported("a serializer set up differently")
    compiler = _compiler_for(serializer)
    name = f"{serializer.operation_model.name}Response"
    attributes = {}
    serializer._serialize_namespace_attribute(attributes)
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<', name]
    if "@xmlns" in attributes:
        out.append(f" xmlns={quoteattr(str(attributes['@xmlns']))}")
    out.append(">")
    if compiler.root is not None and result is not None:
        compiler.root.emit_members(out, result)
    request_id = str(serializer.context.request_id)
    out.append(f"<requestId>{escape(request_id)}</requestId>" if request_id else "<requestId/>")
    out.append(f"</{name}>")
    return "".join(out)


class FastEC2Serializer(_moto.EC2Serializer):
    def _serialize_result(self, resp, result):
        if self.operation_name in OPERATIONS:
            try:
                body = render(self, result)
            except Exception:  # noqa: BLE001 - moto's serializer gives its own answer (or error)
                pass
            else:
                resp["body"] = body
                resp["headers"]["Content-Type"] = self.CONTENT_TYPE
                return resp
        return super()._serialize_result(resp, result)


def install():
    """From now on moto's EC2 answers in OPERATIONS are written by FastEC2Serializer (process-wide), and
    moto's request-id pass skips the bodies it cannot change."""
    from moto.core import responses

    original = responses.get_serializer_class
    if getattr(original, "sandbox_fast_ec2", False):
        return

    def get_serializer_class(service_name, protocol):
        cls = original(service_name, protocol)
        return FastEC2Serializer if cls is _moto.EC2Serializer else cls

    get_serializer_class.sandbox_fast_ec2 = True
    responses.get_serializer_class = get_serializer_class

    # BaseResponse._enrich_response puts a request id into <RequestId>...</RequestId> with a look-behind
    # regex over the whole body (~5 ms for 100 instances); EC2's answers have no such element (theirs is
    # <requestId>), and where the body does not contain it the substitution returns it unchanged.
    enrich = responses.BaseResponse._enrich_response

    def _enrich_response(headers, body):
        if isinstance(body, str) and "<RequestId>" not in body:
            headers, _ = enrich(headers, "")  # the header work, as before
            return headers, body
        return enrich(headers, body)

    responses.BaseResponse._enrich_response = staticmethod(_enrich_response)
