# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's module_utils as the modules see them: the module base, the runner and the operations.

Everything behind this facade is private and may move:
  _core/       plumbing both clouds share: options, the module base, batching, waiting, records, errors, the runner
  _ops/        one file an operation (stop, start, restart, release, auto_release, state_info, snapshot, image,
               clone, command) plus what several share (resources, health)
  _providers/  base (the provider interface and its selection), aws (boto3), alicloud (the OpenAPI client)
A module imports `LifecycleModule`, `run_module` and its operation from here, nothing else.
"""

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.module_base import LifecycleModule
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.runner import run_module
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import (
    auto_release, clone, command, image, release, restart, snapshot, start, state_info, stop,
)

__all__ = ["LifecycleModule", "run_module", "auto_release", "clone", "command", "image", "release", "restart", "snapshot", "start",
           "state_info", "stop"]
