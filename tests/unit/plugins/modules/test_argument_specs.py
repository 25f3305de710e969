"""Each module's argument spec says what its DOCUMENTATION says, fragments included: validate-modules
checks the same in ansible-test sanity, this says it in seconds and names the module and option."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.module_base import full_argument_spec

from .module_docs import FRAGMENT_PREFIX, MODULE_NAMES, documentation, documented_options, module

# What ansible assumes when a spec or a doc leaves a key out.
IMPLIED = {"type": "str", "required": False, "default": None, "choices": None, "elements": None, "aliases": None}


def test_every_module_is_seen():
    assert len(MODULE_NAMES) >= 10


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_fragments_are_the_ones_the_documentation_extends(name):
    extended = documentation(name)["extends_documentation_fragment"]
    assert extended == [FRAGMENT_PREFIX] + ["%s.%s" % (FRAGMENT_PREFIX, f) for f in module(name).FRAGMENTS]


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_argument_spec_is_the_documented_options(name):
    spec = full_argument_spec(module(name).ARGUMENT_SPEC, module(name).FRAGMENTS)
    documented = documented_options(name)
    assert sorted(spec) == sorted(documented)
    for option, argument in spec.items():
        for key, implied in IMPLIED.items():
            assert argument.get(key, implied) == documented[option].get(key, implied), (option, key)


def test_an_option_in_a_fragment_and_in_the_module_is_refused():
    with pytest.raises(ValueError, match="instance_ids"):
        full_argument_spec({"instance_ids": {"type": "list"}}, ("batch",))
