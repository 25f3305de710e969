# Bench-only callback: writes {task, host, status, changed, seconds, summary} per task result to
# $CLOUDFLEET_BENCH_RECORD as JSON, so bench/run.py reads per-task times and the role's summary.
import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_record
type: aggregate
short_description: record task results and durations for make bench
description: Writes task results and durations to the file named by CLOUDFLEET_BENCH_RECORD.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_record"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._records = []
        self._started = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._started[task._uuid] = time.monotonic()

    def _add(self, status, result):
        started = self._started.get(result._task._uuid)
        facts = result._result.get("ansible_facts") or {}
        summary = facts.get("stop_then_release_summary")
        self._records.append({
            "task": result._task.get_name(),
            "host": result._host.get_name(),
            "status": status,
            "changed": bool(result._result.get("changed")),
            "seconds": None if started is None else time.monotonic() - started,
            "summary": json.loads(json.dumps(summary, default=str)) if summary else None,
            "msg": str(result._result.get("msg", ""))[:500] if status == "failed" else "",
        })

    def v2_runner_on_ok(self, result):
        self._add("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add("failed", result)

    def v2_runner_on_skipped(self, result):
        self._add("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._add("unreachable", result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("CLOUDFLEET_BENCH_RECORD")
        if path:
            with open(path, "w") as handle:
                json.dump(self._records, handle)
