"""Read ECS API parameters from the flat wire form (`InstanceId.1`, `Tag.1.Key`, JSON arrays).

The SDK flattens lists as `Name.N` and sub-objects as `Name.N.Field`, and sends booleans
as Python's `str(True)`; ECS itself accepts any case of true/false.
"""
import json
import re

from sandbox.ecs.models import EcsError


def missing(name):
    return EcsError("MissingParameter", 400, f"The input parameter \"{name}\" that is mandatory for processing "
                                             "this request is not supplied.")


def bad(name, value, hint=""):
    return EcsError("InvalidParameter", 400, f"The specified parameter \"{name}\" ({value!r}) is not valid.{hint}")


class Params:
    def __init__(self, raw):
        self.raw = raw

    def get(self, name, default=None):
        return self.raw.get(name, default)

    def str(self, name, required=False, prefix=None, choices=None):
        value = self.raw.get(name)
        if value in (None, ""):
            if required:
                raise missing(name)
            return None
        if prefix and not value.startswith(prefix):
            raise bad(name, value, f" It must start with {prefix}.")
        if choices and value not in choices:
            raise bad(name, value, f" Valid values: {', '.join(choices)}.")
        return value

    def bool(self, name, default=False):
        value = self.raw.get(name)
        if value in (None, ""):
            return default
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise bad(name, value, " Valid values: true, false.")
        return lowered == "true"

    def int(self, name, default=None, low=None, high=None):
        value = self.raw.get(name)
        if value in (None, ""):
            return default
        try:
            number = int(value)
        except ValueError:
            raise bad(name, value)
        if (low is not None and number < low) or (high is not None and number > high):
            raise bad(name, value, f" It must be between {low} and {high}.")
        return number

    def float(self, name, default=None):
        value = self.raw.get(name)
        if value in (None, ""):
            return default
        try:
            return float(value)
        except ValueError:
            raise bad(name, value)

    def indexed(self, name):
        """`Name.N` values in N order (and a plain `Name` as a one-element list)."""
        pattern = re.compile(re.escape(name) + r"\.(\d+)$")
        found = sorted((int(m.group(1)), v) for k, v in self.raw.items() if (m := pattern.match(k)))
        values = [v for _, v in found if v != ""]
        if not values and self.raw.get(name):
            values = [self.raw[name]]
        return values

    def ids(self, name, required=True, limit=100):
        values = self.indexed(name)
        if not values and required:
            raise missing(name)
        if len(values) > limit:
            raise bad(name, f"{len(values)} ids", f" At most {limit} are allowed.")
        return values

    def records(self, name):
        """`Name.N.Field` -> [{Field: value}] in N order."""
        pattern = re.compile(re.escape(name) + r"\.(\d+)\.(\w+)$")
        grouped = {}
        for key, value in self.raw.items():
            m = pattern.match(key)
            if m:
                grouped.setdefault(int(m.group(1)), {})[m.group(2)] = value
        return [grouped[n] for n in sorted(grouped)]

    def sub(self, name):
        """`Name.Field` -> {Field: value}."""
        prefix = name + "."
        return {k[len(prefix):]: v for k, v in self.raw.items() if k.startswith(prefix) and "." not in k[len(prefix):]}

    def json_ids(self, name, limit=100):
        value = self.raw.get(name)
        if value in (None, ""):
            return None
        try:
            ids = json.loads(value)
        except ValueError:
            raise bad(name, value, " It must be a JSON array of ids.")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise bad(name, value, " It must be a JSON array of ids.")
        if len(ids) > limit:
            raise bad(name, f"{len(ids)} ids", f" At most {limit} are allowed.")
        return ids

    def tags(self, require_value=False):
        """Tag.N.Key / Tag.N.Value -> list of (key, value-or-None)."""
        out = []
        for record in self.records("Tag"):
            key = record.get("Key")
            if not key:
                raise bad("Tag.N.Key", key)
            out.append((key, record.get("Value")))
        if len(out) > 20:
            raise bad("Tag", f"{len(out)} tags", " At most 20 are allowed.")
        return out
