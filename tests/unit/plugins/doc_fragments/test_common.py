"""The PLUGINS fragment says what the modules' common fragment says, for the options both have."""
import yaml

from ansible_collections.cloudfleet.lifecycle.plugins.doc_fragments.common import ModuleDocFragment

MODULES = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)
PLUGINS = yaml.safe_load(ModuleDocFragment.PLUGINS)


def packages(requirements):
    """'boto3 >= 1.34 (for ...)' -> 'boto3 >= 1.34': the words around a requirement fit the plugin, the version is one."""
    return sorted(r.split(" (")[0] for r in requirements if not r.startswith("python"))


def test_plugin_options_are_the_module_options_word_for_word():
    for option, doc in PLUGINS["options"].items():
        assert doc == MODULES["options"][option], option


def test_plugins_need_the_same_library_versions_as_the_modules():
    assert packages(PLUGINS["requirements"]) == packages(MODULES["requirements"])
