# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AnsibleModule every module of the collection runs in: its own options plus the doc fragments'.

Each module states only the options it documents itself; the options of the doc fragments it extends
(cloudfleet.lifecycle.common always, common.batch and common.not_found when named) are added here,
from the one spec per fragment in options.py, as amazon.aws's AnsibleAWSModule adds its common ones.
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import BATCH_ARGS, COMMON_ARGS, NOT_FOUND_ARGS

# Doc fragment (cloudfleet.lifecycle.common.NAME) -> the options it documents. `common` itself goes to every module.
FRAGMENT_ARGS = {
    "batch": BATCH_ARGS,
    "not_found": NOT_FOUND_ARGS,
}


def full_argument_spec(argument_spec, fragments=()):
    """common's options, then each named fragment's, then the module's own; each option in one place only."""
    spec = {}
    for part in [COMMON_ARGS] + [FRAGMENT_ARGS[name] for name in fragments] + [argument_spec]:
        for key, value in part.items():
            if key in spec:
                raise ValueError("option %r is both in a doc fragment and in the module's own argument_spec" % key)
            spec[key] = dict(value)
    return spec


class LifecycleModule(AnsibleModule):
    """An AnsibleModule whose argument_spec is full_argument_spec(argument_spec, fragments)."""

    def __init__(self, argument_spec, fragments=(), **kwargs):
        super().__init__(argument_spec=full_argument_spec(argument_spec, fragments), **kwargs)
