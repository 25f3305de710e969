# Test-only callback: writes every task result of a run to $CLOUDFLEET_RECORD_FILE as JSON,
# so integration tests assert on exact module results rather than on screen output.
import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: record_results
type: aggregate
short_description: record task results as JSON for the integration tests
description: Writes a list of {task, host, status, result} to the file named by CLOUDFLEET_RECORD_FILE.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._records = []

    def _add(self, status, result):
        recorded = self._clean(result._result)
        # ansible-core 2.19 keeps `failed` out of the callback's dict; the method says it.
        recorded["failed"] = status == "failed"
        self._records.append({
            "task": result._task.get_name(),
            "host": result._host.get_name(),
            "status": status,
            "result": recorded,
        })

    @staticmethod
    def _clean(value):
        return json.loads(json.dumps(value, default=str))

    def v2_runner_on_ok(self, result):
        self._add("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add("failed", result)

    def v2_runner_on_skipped(self, result):
        self._add("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._add("unreachable", result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("CLOUDFLEET_RECORD_FILE")
        if path:
            with open(path, "w") as handle:
                json.dump(self._records, handle)
