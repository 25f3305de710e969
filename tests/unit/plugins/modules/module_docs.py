"""Every module's DOCUMENTATION and RETURN as data, read from the module files (no ansible-doc needed)."""
import ast
import importlib
import pathlib

import yaml

from ansible_collections.cloudfleet.lifecycle.plugins.doc_fragments.common import ModuleDocFragment

ROOT = pathlib.Path(__file__).resolve().parents[4]
MODULE_NAMES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
FRAGMENT_PREFIX = "cloudfleet.lifecycle.common"


def literal(path, name):
    """The string assigned to `name` at the top of a Python file, as validate-modules reads it."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return node.value.value
    raise LookupError("%s has no %s" % (path, name))


def module_path(name):
    return ROOT / "plugins" / "modules" / (name + ".py")


def documentation(name):
    return yaml.safe_load(literal(module_path(name), "DOCUMENTATION"))


def returns(name):
    return yaml.safe_load(literal(module_path(name), "RETURN"))


def module(name):
    return importlib.import_module("ansible_collections.cloudfleet.lifecycle.plugins.modules." + name)


def fragment(fqcn):
    """cloudfleet.lifecycle.common[.NAME] -> that fragment, parsed (DOCUMENTATION or the NAME attribute)."""
    attribute = fqcn[len(FRAGMENT_PREFIX) + 1:].upper() if fqcn != FRAGMENT_PREFIX else "DOCUMENTATION"
    return yaml.safe_load(getattr(ModuleDocFragment, attribute))


def documented_options(name):
    """The module's options with those of its doc fragments, as ansible-doc shows them."""
    doc = documentation(name)
    options = {}
    for fqcn in doc.get("extends_documentation_fragment") or []:
        options.update(fragment(fqcn).get("options") or {})
    options.update(doc.get("options") or {})
    return options
