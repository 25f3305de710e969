# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the roles' filters share: a bad input (InputError, or a boolean that is not one) as an AnsibleFilterError."""

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError


def raising_filter_errors(function, prefix=""):
    """`function` as a filter: its InputError, and a TypeError from convert_bool, become AnsibleFilterError."""
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except InputError as exc:
            raise AnsibleFilterError(prefix + exc.message)
        except TypeError as exc:  # a boolean argument that is not one (convert_bool's words)
            raise AnsibleFilterError("%s: %s" % (function.__name__, exc))
    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper
