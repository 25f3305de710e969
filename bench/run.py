"""`make bench`: stop-then-release with this collection vs amazon.aws, against the sandbox.

Starts the sandbox (`python -m sandbox serve --transition-seconds 1 --latency-ms 50:20 --rate-limits`)
as a subprocess, seeds a fresh fleet before every run (with the rate limits off: seeding is not
measured), runs each case REPEAT times and quotes medians; then, with that sandbox stopped, measures
the sandbox's own speed (bench/sandbox_speed.py at 100 and 10,000 EC2 instances). Writes
bench/results/results.json, results.md and chart.png. See bench/README.md.

The latency and the limits are on unless told otherwise: BENCH_LATENCY_MS=0 and BENCH_RATE_LIMITS=0
(environment or make variables) or --latency-ms 0 / --rate-limits 0 turn them off;
BENCH_RATE_LIMITS=FILE gives a limits file (sandbox/limits.py).
"""
import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, REPO)

from sandbox import fleet  # noqa: E402

sys.path.insert(0, BENCH)
from procmon import run_measured  # noqa: E402
from sandbox_proc import SandboxProcess  # noqa: E402

VENV_BIN = os.path.dirname(sys.executable)
BENCH_VENV = os.path.join(REPO, ".cache", "bench-venv")
BENCH_PY = os.path.join(BENCH_VENV, "bin", "python")
PLAYBOOK = os.path.join(REPO, "playbooks", "stop_then_release.yml")
RESULTS = os.path.join(BENCH, "results")
GOAL_N = 1000  # the N at which issue 7 sets its goals; a sweep is judged there too
BATCH = 100  # ids per StopInstances / TerminateInstances / DeleteInstances / DescribeInstances
MUTATING = {"StopInstances", "TerminateInstances", "DeleteInstances", "StartInstances"}
# Each cloud API call waits 50 +- 20 ms (30-70 ms): a round trip to a regional API endpoint from a
# host in that region plus the service's own time for a describe or a batch stop (mutating calls
# on the real clouds often take longer: ec2-boot-bench measured RunInstances at 1.5 s). It makes a
# call saved a time saved, as on a real cloud, without dwarfing the 1 s transitions.
DEFAULT_LATENCY_MS = "50:20"


def rate_limits_option(value):
    """--rate-limits / BENCH_RATE_LIMITS: 1|on (the documented limits), 0|off|'' (none) or a FILE."""
    value = (value or "").strip()
    if value.lower() in ("", "0", "off", "no", "false"):
        return None
    if value.lower() in ("1", "on", "yes", "true"):
        return True
    if not os.path.isfile(value):
        raise argparse.ArgumentTypeError(f"{value}: not 0, 1 or a rate limits file")
    return os.path.abspath(value)


def latency_option(value):
    """--latency-ms / BENCH_LATENCY_MS: MS or MS:JITTER_MS; 0 (or empty) for none."""
    value = (value or "").strip()
    return None if value in ("", "0", "0:0") else value


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------- bench venv (amazon.aws)
def ensure_bench_venv():
    """The pinned bench-only venv; returns None when ready, else the reason it is not."""
    marker = os.path.join(BENCH_VENV, ".installed")
    reqs = os.path.join(BENCH, "requirements.txt")
    if os.path.exists(marker) and os.path.getmtime(marker) >= os.path.getmtime(reqs):
        return None
    log("installing the bench-only venv (.cache/bench-venv: ansible, boto3, psutil, matplotlib)")
    try:
        if not os.path.exists(BENCH_PY):
            subprocess.run([sys.executable, "-m", "venv", BENCH_VENV], check=True, capture_output=True, text=True)
        subprocess.run([BENCH_PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", reqs],
                       check=True, capture_output=True, text=True, timeout=1800)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        return f"pip install -r bench/requirements.txt failed: {detail.strip().splitlines()[-1] if detail.strip() else exc}"
    open(marker, "w").close()
    return None


def amazon_aws_version():
    try:
        out = subprocess.run([os.path.join(BENCH_VENV, "bin", "ansible-galaxy"), "collection", "list", "amazon.aws"],
                             capture_output=True, text=True, timeout=120).stdout
        for line in out.splitlines():
            if line.startswith("amazon.aws"):
                return line.split()[1]
    except OSError:
        pass
    return None


# ---------------------------------------------------------------- fleet + ansible
class Bench:
    def __init__(self, sandbox, workdir):
        self.sb = sandbox
        self.workdir = workdir
        self.count = 0
        self.region = {"aws": sandbox.env["AWS_REGION"], "alicloud": sandbox.env["ALIBABA_CLOUD_REGION_ID"]}
        self.throttled = {}  # {cloud: calls answered with the cloud's throttling error}, over all runs

    def seed(self, n_ec2, n_ecs):
        """A fresh sandbox with n_ec2 + n_ecs running instances: {cloud: ids}. The rate limits are off
        while it seeds (the fleet is not what is measured; its wait polls would be throttled) and on
        again, every bucket full, for the run."""
        self.sb.reset()
        env = self.sb.env
        self.sb.limits(False)
        try:
            ids = {"aws": fleet.launch_ec2(env, n_ec2) if n_ec2 else [],
                   "alicloud": fleet.launch_ecs(env, n_ecs) if n_ecs else []}
            if ids["aws"]:
                fleet.wait_for(lambda i: fleet.ec2_states(env, i), ids["aws"], {"running"}, timeout=120)
            if ids["alicloud"]:
                fleet.wait_for(lambda i: fleet.ecs_states(env, i), ids["alicloud"], {"Running"}, timeout=120)
        finally:
            self.sb.limits(True)
        return ids

    def inventory(self, ids, python):
        lines = ["[fleet]"]
        for cloud, cloud_ids in ids.items():
            lines += [f"{cloud}-{n:05d} instance_id={i} cloud={cloud} region={self.region[cloud]}"
                      for n, i in enumerate(cloud_ids)]
        lines += ["", "[all:vars]", "ansible_connection=local", f"ansible_python_interpreter={python}", ""]
        return "\n".join(lines)

    def localhost(self, python):
        return f"localhost ansible_connection=local ansible_python_interpreter={python}\n"

    def instances_list(self, ids):
        return [{"cloud": c, "region": self.region[c], "instance_ids": i} for c, i in ids.items() if i]

    def play(self, playbook, inventory, extra_vars=None, ansible_bin=VENV_BIN, forks=None):
        """Run ansible-playbook; a dict with rc, wall, peak_rss_mb, calls, records."""
        self.count += 1
        tag = f"run{self.count:03d}"
        inv = os.path.join(self.workdir, tag + ".ini")
        with open(inv, "w") as handle:
            handle.write(inventory)
        if not isinstance(playbook, str):
            path = os.path.join(self.workdir, tag + ".yml")
            with open(path, "w") as handle:
                json.dump(playbook, handle)  # JSON is YAML
            playbook = path
        record = os.path.join(self.workdir, tag + ".json")
        env = dict(os.environ)
        env.update(self.sb.env)
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO, ".cache", "collections"),
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(BENCH, "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "bench_record",
            "CLOUDFLEET_BENCH_RECORD": record,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.workdir, "ansible-tmp"),
            "ANSIBLE_HOME": os.path.join(self.workdir, "ansible-home"),
            # amazon.aws: the endpoint for botocore and for the module's own option
            "AWS_URL": self.sb.env["AWS_ENDPOINT_URL"],
        })
        command = [os.path.join(ansible_bin, "ansible-playbook"), "-i", inv, playbook,
                   "-e", json.dumps(extra_vars or {})]
        if forks:
            command += ["--forks", str(forks)]
        marks = self.sb.call_marks()
        rc, output, wall, rss = run_measured(command, env, self.workdir)
        throttled = {}
        calls = self.sb.calls_since(marks, throttled)
        for cloud, count in throttled.items():
            self.throttled[cloud] = self.throttled.get(cloud, 0) + count
        if throttled:
            log(f"  {tag}: calls throttled: " + ", ".join(f"{c} {n}" for c, n in sorted(throttled.items())))
        records = []
        if os.path.exists(record):
            with open(record) as handle:
                records = json.load(handle)
        with open(os.path.join(self.workdir, tag + ".out"), "w") as handle:
            handle.write(output)
        if rc != 0:
            log(f"  {tag}: ansible-playbook rc={rc}; tail:\n" + output[-3000:])
        return {"rc": rc, "wall": wall, "peak_rss_mb": rss, "calls": calls, "records": records, "tag": tag,
                "throttled": throttled}


def summary_of(run):
    for record in run["records"]:
        if record.get("summary"):
            return record["summary"]
    return None


def changed_tasks(run):
    return sorted({r["task"] for r in run["records"] if r["changed"]})


# ---------------------------------------------------------------- floors
def floor(ids, transitions=2, transition_seconds=1.0, rerun=False):
    """Fewest calls the batch limits allow, and the transition time the sandbox imposes.

    Stop then release: per cloud, ceil(n/100) StopInstances and ceil(n/100) Terminate/Delete, plus
    ceil(n/100) DescribeInstances after each of the 2 transitions to see it done. The clouds can
    proceed in parallel, so the time floor is 2 transitions. A re-run: one describe per 100 ids.

    The safe floor adds what a safe procedure must read before it acts: the states once (the re-run's
    floor), and EC2's termination protection, which has no batch read - one DescribeInstanceAttribute
    per live EC2 instance, so that protected instances are left alone on EC2 as on ECS (issue 12).
    """
    calls = {}
    first_read = 0  # a safe procedure reads the states once before it acts: the re-run's floor
    protection_reads = 0
    for cloud, cloud_ids in ids.items():
        batches = math.ceil(len(cloud_ids) / BATCH)
        if not batches:
            continue
        first_read += batches
        if cloud == "aws" and not rerun:
            protection_reads += len(cloud_ids)
        if rerun:
            calls[cloud] = {"DescribeInstances": batches}
        else:
            release = "TerminateInstances" if cloud == "aws" else "DeleteInstances"
            calls[cloud] = {"StopInstances": batches, release: batches, "DescribeInstances": 2 * batches}
    total = sum(sum(c.values()) for c in calls.values())
    return {"calls": calls, "calls_total": total, "protection_reads": protection_reads,
            "safe_calls_total": total if rerun else total + first_read + protection_reads,
            "seconds": 0.0 if rerun else transitions * transition_seconds}


def merge_calls(runs):
    """Median per cloud+action over runs."""
    keys = {(c, a) for r in runs for c, acts in r["calls"].items() for a in acts}
    out = {}
    for cloud, action in sorted(keys):
        out.setdefault(cloud, {})[action] = statistics.median(r["calls"].get(cloud, {}).get(action, 0) for r in runs)
    return out


def case_result(name, label, runs, ids, flo, note="", scale=1.0):
    walls = [r["wall"] for r in runs]
    calls = merge_calls(runs)
    total = sum(sum(a.values()) for a in calls.values())
    res = {
        "case": name, "label": label,
        "instances": {c: len(i) for c, i in ids.items() if i},
        "runs": len(runs), "wall_s": walls, "wall_median_s": statistics.median(walls),
        "calls": calls, "calls_total": total,
        "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in runs),
        "rc": [r["rc"] for r in runs],
        "floor": flo, "note": note,
    }
    if scale != 1.0:
        res["extrapolated_wall_s"] = res["wall_median_s"] * scale
        res["extrapolated_calls_total"] = total * scale
        res["extrapolation_factor"] = scale
    if flo and flo["seconds"]:
        res["time_vs_floor"] = res.get("extrapolated_wall_s", res["wall_median_s"]) / flo["seconds"]
    if flo and flo["calls_total"]:
        res["calls_vs_floor"] = res.get("extrapolated_calls_total", total) / flo["calls_total"]
    if flo and flo.get("safe_calls_total"):
        res["calls_vs_safe_floor"] = res.get("extrapolated_calls_total", total) / flo["safe_calls_total"]
    return res


# ---------------------------------------------------------------- cases
def ec2_instance_play(hosts, ids_expr, python):
    tasks = []
    for state in ("stopped", "absent"):
        tasks.append({"name": f"ec2_instance state={state}", "amazon.aws.ec2_instance": {
            "instance_ids": ids_expr, "state": state, "wait": True, "wait_timeout": 600,
            "endpoint_url": "{{ lookup('env', 'AWS_ENDPOINT_URL') }}"}})
    return [{"name": "amazon.aws stop then terminate", "hosts": hosts, "gather_facts": False, "tasks": tasks}]


def run_for_n(bench, n, repeat, per_host_cap, aws_skip_reason, transition):
    n_ec2, n_ecs = n - n // 2, n // 2
    py = sys.executable
    cases = {}
    collected = {k: [] for k in ("ours_inventory", "ours_list", "rerun_inventory", "rerun_list",
                                 "ours_ec2_inventory", "ours_ec2_list", "aws_batch", "aws_per_host")}
    problems = []
    ids_by_case = {}
    per_host_n = min(n_ec2, per_host_cap)
    for rep in range(repeat):
        log(f"N={n} repeat {rep + 1}/{repeat}")
        # case 1 + 3: inventory form, then its re-run
        for form in ("inventory", "list"):
            ids = bench.seed(n_ec2, n_ecs)
            ids_by_case[f"ours_{form}"] = ids_by_case[f"rerun_{form}"] = ids
            if form == "inventory":
                args = (PLAYBOOK, bench.inventory(ids, py), {"stop_then_release_hosts": "fleet"})
            else:
                args = (PLAYBOOK, bench.localhost(py), {"stop_then_release_hosts": "localhost",
                                                        "stop_then_release_instances": bench.instances_list(ids)})
            first = bench.play(*args)
            s = summary_of(first) or {}
            released = (s.get("counts") or {}).get("released")
            if first["rc"] != 0 or released != n:
                problems.append(f"N={n} ours {form}: rc={first['rc']} released={released} (expected {n})")
            collected[f"ours_{form}"].append(first)
            log(f"  ours {form}: {first['wall']:.1f}s")
            again = bench.play(*args)
            s2 = summary_of(again) or {}
            actions = {a for acts in again["calls"].values() for a in acts}
            again["idempotent"] = {
                "changed_tasks": changed_tasks(again), "summary_changed": s2.get("changed"),
                "actions": sorted(actions), "only_describe": all(a.startswith("Describe") for a in actions),
            }
            if again["rc"] != 0 or changed_tasks(again) or s2.get("changed") or not again["idempotent"]["only_describe"]:
                problems.append(f"N={n} re-run {form}: not idempotent: {again['idempotent']}")
            collected[f"rerun_{form}"].append(again)
            log(f"  re-run {form}: {again['wall']:.1f}s, changed={changed_tasks(again)}, actions={sorted(actions)}")
        # ours on the EC2 half alone, the like-for-like comparison with amazon.aws
        for form in ("inventory", "list"):
            ids = bench.seed(n_ec2, 0)
            ids_by_case[f"ours_ec2_{form}"] = ids
            if form == "inventory":
                run = bench.play(PLAYBOOK, bench.inventory(ids, py), {"stop_then_release_hosts": "fleet"})
            else:
                run = bench.play(PLAYBOOK, bench.localhost(py), {"stop_then_release_hosts": "localhost",
                                                                 "stop_then_release_instances": bench.instances_list(ids)})
            collected[f"ours_ec2_{form}"].append(run)
            log(f"  ours EC2 half {form}: {run['wall']:.1f}s")
        # case 2: amazon.aws
        if aws_skip_reason is None:
            bpy = BENCH_PY
            bbin = os.path.dirname(BENCH_PY)
            ids = bench.seed(n_ec2, 0)
            ids_by_case["aws_batch"] = ids
            run = bench.play(ec2_instance_play("localhost", ids["aws"], bpy), bench.localhost(bpy), ansible_bin=bbin)
            if run["rc"] != 0:
                problems.append(f"N={n} amazon.aws batch: rc={run['rc']} (see {run['tag']}.out)")
            collected["aws_batch"].append(run)
            log(f"  amazon.aws one task: {run['wall']:.1f}s")
            ids = bench.seed(per_host_n, 0)
            ids_by_case["aws_per_host"] = ids
            run = bench.play(ec2_instance_play("fleet", ["{{ instance_id }}"], bpy), bench.inventory(ids, bpy),
                             ansible_bin=bbin)
            if run["rc"] != 0:
                problems.append(f"N={n} amazon.aws per-host: rc={run['rc']} (see {run['tag']}.out)")
            collected["aws_per_host"].append(run)
            log(f"  amazon.aws per host ({per_host_n} hosts): {run['wall']:.1f}s")

    labels = {
        "ours_inventory": "1. cloudfleet stop_then_release, inventory of N hosts",
        "ours_list": "1. cloudfleet stop_then_release, explicit list",
        "rerun_inventory": "3. re-run of 1 (inventory)",
        "rerun_list": "3. re-run of 1 (list)",
        "ours_ec2_inventory": "1e. cloudfleet, EC2 half only, inventory",
        "ours_ec2_list": "1e. cloudfleet, EC2 half only, list",
        "aws_batch": "2. amazon.aws.ec2_instance, one task, all instance_ids (EC2 half)",
        "aws_per_host": "2. amazon.aws.ec2_instance, per host (EC2 half)",
    }
    for name, runs in collected.items():
        if not runs:
            continue
        ids = ids_by_case[name]
        rerun = name.startswith("rerun")
        flo = floor(ids, transition_seconds=transition, rerun=rerun)
        note, scale = "", 1.0
        if name == "aws_per_host":
            full = {"aws": ["x"] * n_ec2}
            flo = floor(full, transition_seconds=transition)
            if per_host_n < n_ec2:
                scale = n_ec2 / per_host_n
                note = (f"ran on {per_host_n} EC2 hosts (cap {per_host_cap}); time and calls extrapolated "
                        f"linearly x{scale:g} to the {n_ec2} of the EC2 half (ansible default forks=5, so time grows with hosts/5)")
        res = case_result(name, labels[name], runs, ids, flo, note, scale)
        if name == "aws_per_host":
            res["instances"] = {"aws": n_ec2, "aws_ran": per_host_n}
        if rerun:
            res["idempotent"] = [r["idempotent"] for r in runs]
        cases[name] = res

    # ratios measured in the same run
    def wall(case):
        c = cases.get(case)
        return None if c is None else c.get("extrapolated_wall_s", c["wall_median_s"])

    ratios = {}
    if wall("aws_batch") and wall("ours_ec2_list"):
        ratios["aws_batch_vs_ours_ec2_list"] = wall("aws_batch") / wall("ours_ec2_list")
    if wall("aws_per_host") and wall("ours_ec2_inventory"):
        ratios["aws_per_host_vs_ours_ec2_inventory"] = wall("aws_per_host") / wall("ours_ec2_inventory")
    return {"n": n, "ec2": n_ec2, "ecs": n_ecs, "cases": cases, "ratios": ratios, "problems": problems,
            "aws_skipped": aws_skip_reason}


def module_start(bench, repeat, aws_skip_reason):
    """Case 4: task time of instance_state_info on one instance per cloud vs ansible.builtin.ping, and a
    plain SDK client start (python start + import + client + the same one describe) in a fresh process."""
    ids = bench.seed(1, 1)
    py = sys.executable
    k = max(3, repeat * 2)
    tasks = []
    for i in range(k):
        tasks.append({"name": f"ping {i}", "ansible.builtin.ping": {}})
        for cloud in ("aws", "alicloud"):
            tasks.append({"name": f"{cloud} {i}", "cloudfleet.lifecycle.instance_state_info": {
                "cloud": cloud, "region": bench.region[cloud], "instance_ids": ids[cloud]}})
    run = bench.play([{"name": "module start", "hosts": "localhost", "gather_facts": False, "tasks": tasks}],
                     bench.localhost(py))
    times = {"ping": [], "aws": [], "alicloud": []}
    for r in run["records"]:
        times[r["task"].split()[0]].append(r["seconds"])
    env = dict(os.environ)
    env.update(bench.sb.env)
    plain = {
        "python": "pass",
        "boto3": ("import boto3; c = boto3.client('ec2'); "
                  f"c.describe_instances(InstanceIds=['{ids['aws'][0]}'])"),
        "tea_openapi": (
            "import os, json; from alibabacloud_ecs20140526.client import Client; "
            "from alibabacloud_ecs20140526 import models; from alibabacloud_tea_openapi.utils_models import Config; "
            "s, _, h = os.environ['ALIBABA_CLOUD_ECS_ENDPOINT'].partition('://'); "
            "c = Client(Config(access_key_id=os.environ['ALIBABA_CLOUD_ACCESS_KEY_ID'], "
            "access_key_secret=os.environ['ALIBABA_CLOUD_ACCESS_KEY_SECRET'], region_id='cn-hangzhou', endpoint=h, protocol=s)); "
            f"c.describe_instances(models.DescribeInstancesRequest(region_id='cn-hangzhou', instance_ids=json.dumps(['{ids['alicloud'][0]}'])))"),
    }
    plain_times = {}
    for name, code in plain.items():
        samples = []
        for _ in range(k):
            t = time.monotonic()
            subprocess.run([py, "-c", code], env=env, check=True, capture_output=True)
            samples.append(time.monotonic() - t)
        plain_times[name] = samples
    med = {key: statistics.median(v) for key, v in times.items() if v}
    pmed = {key: statistics.median(v) for key, v in plain_times.items()}
    out = {"task_seconds": times, "task_median_s": med, "plain_seconds": plain_times, "plain_median_s": pmed,
           "rc": run["rc"]}
    if "aws" in med:
        out["aws_vs_boto3"] = med["aws"] / pmed["boto3"]
        out["aws_minus_ping_s"] = med["aws"] - med["ping"]
    if "alicloud" in med:
        out["alicloud_vs_tea_openapi"] = med["alicloud"] / pmed["tea_openapi"]
        out["alicloud_minus_ping_s"] = med["alicloud"] - med["ping"]
    return out


# ---------------------------------------------------------------- report
def goals(result):
    """The issue's goals, each met or not, at GOAL_N when the run has it, else at its largest N."""
    runs = result["runs"]
    run = next((r for r in runs if r["n"] == GOAL_N), runs[-1])
    c = run["cases"]
    g = []

    def add(text, value, limit, ok):
        g.append({"goal": text, "value": value, "limit": limit, "met": ok})

    if "ours_list" in c:
        for name in ("ours_inventory", "ours_list"):
            x = c[name]
            add(f"N={run['n']} {name}: time within 2x the floor", round(x["time_vs_floor"], 2), 2, x["time_vs_floor"] <= 2)
            add(f"N={run['n']} {name}: calls within 1.2x the floor", round(x["calls_vs_floor"], 2), 1.2,
                x["calls_vs_floor"] <= 1.2)
            if "calls_vs_safe_floor" in x:  # not the goal: the floor plus the reads before acting
                add(f"N={run['n']} {name}: calls within 1.2x the safe floor (floor + first read + EC2 protection reads)",
                    round(x["calls_vs_safe_floor"], 2), 1.2, x["calls_vs_safe_floor"] <= 1.2)
    r = run["ratios"]
    if "aws_per_host_vs_ours_ec2_inventory" in r:
        v = r["aws_per_host_vs_ours_ec2_inventory"]
        add("EC2 half: >= 20x faster than amazon.aws per host", round(v, 1), 20, v >= 20)
    if "aws_batch_vs_ours_ec2_list" in r:
        v = r["aws_batch_vs_ours_ec2_list"]
        add("EC2 half: >= 5x faster than amazon.aws one task", round(v, 1), 5, v >= 5)
    for name in ("rerun_inventory", "rerun_list"):
        if name in c:
            ok = all(not i["changed_tasks"] and not i["summary_changed"] and i["only_describe"]
                     for i in c[name]["idempotent"])
            add(f"{name}: changes nothing, only Describe* calls", ok, True, ok)
    m = result.get("module_start") or {}
    if "aws_vs_boto3" in m:
        add("module start (aws) within 1.5x a plain boto3 client start", round(m["aws_vs_boto3"], 2), 1.5,
            m["aws_vs_boto3"] <= 1.5)
    if "alicloud_vs_tea_openapi" in m:
        add("module start (alicloud) within 1.5x a plain tea-openapi client start",
            round(m["alicloud_vs_tea_openapi"], 2), 1.5, m["alicloud_vs_tea_openapi"] <= 1.5)
    return g


# ---------------------------------------------------------------- the sandbox's own speed

SPEED_SIZES = "100,10000"  # bench/sandbox_speed.py at these region sizes: ~20 s together on 2 cores
SPEED_CALLS = 20
_SPEED_ROW = re.compile(r"^\s*([\d,]+)\s+([\d.]+) \(([\d.]+)\)\s+([\d.]+)\s+([\d.]+) \(([\d.]+)\)\s+([\d.]+)\s*$")


def sandbox_speed(sizes, calls=SPEED_CALLS, timeout=600):
    """Run bench/sandbox_speed.py in its own process (the bench's sandbox is stopped by then, so the
    two do not share the CPUs) and read its table: ms per DescribeInstances of 100 ids at each size."""
    command = [sys.executable, os.path.join(BENCH, "sandbox_speed.py"), "--sizes", sizes, "--calls", str(calls)]
    started = time.time()
    try:
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"skipped": f"bench/sandbox_speed.py took more than {timeout} s", "sizes": sizes}
    rows = []
    for line in done.stdout.splitlines():
        match = _SPEED_ROW.match(line)
        if match:
            n, med1, best1, whole1, med2, best2, whole2 = match.groups()
            rows.append({"instances": int(n.replace(",", "")),
                         "one_launch": {"sandbox_median_ms": float(med1), "sandbox_best_ms": float(best1),
                                        "boto3_median_ms": float(whole1)},
                         "random_ids": {"sandbox_median_ms": float(med2), "sandbox_best_ms": float(best2),
                                        "boto3_median_ms": float(whole2)}})
    result = {"sizes": sizes, "calls": calls, "elapsed_s": round(time.time() - started, 1), "rows": rows,
              "command": "bench/sandbox_speed.py --sizes " + sizes + " --calls " + str(calls)}
    if done.returncode != 0 or not rows:
        result["skipped"] = (f"bench/sandbox_speed.py exited {done.returncode}"
                             + (": " + done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "")
                             + ("" if rows else " (no table in its output)"))
    return result


def speed_markdown(speed):
    out = ["## Sandbox speed", ""]
    if speed.get("skipped"):
        out += [f"Not measured: {speed['skipped']}", ""]
        if not speed.get("rows"):
            return out
    out += [f"`{speed['command']}` ({speed['elapsed_s']:g} s): an EC2-only sandbox in its own process, the region "
            "filled through its moto backend; ms per `DescribeInstances` of 100 ids, median (best) of "
            f"{speed['calls']} calls. *Sandbox*: from the request arriving to the answer being ready (what the "
            "sandbox costs); *boto3*: the whole call (HTTP and botocore's parsing too).", "",
            "| instances in the region | 100 of one launch: sandbox | boto3 | 100 random ids: sandbox | boto3 |",
            "|---:|---:|---:|---:|---:|"]
    for row in speed["rows"]:
        one, rnd = row["one_launch"], row["random_ids"]
        out.append(f"| {row['instances']:,} | {one['sandbox_median_ms']:.1f} ({one['sandbox_best_ms']:.1f}) ms "
                   f"| {one['boto3_median_ms']:.1f} ms "
                   f"| {rnd['sandbox_median_ms']:.1f} ({rnd['sandbox_best_ms']:.1f}) ms "
                   f"| {rnd['boto3_median_ms']:.1f} ms |")
    out.append("")
    return out


def fmt_calls(calls):
    parts = []
    for cloud, acts in calls.items():
        short = "ec2" if cloud == "aws" else "ecs"
        parts.append(f"{short}: " + ", ".join(f"{a} {v:g}" for a, v in sorted(acts.items())))
    return "; ".join(parts)


def markdown(result):
    m = result["meta"]
    realism = ", " + (f"`--latency-ms {m['latency_ms']}`" if m.get("latency_ms") else "no latency") + ", " + \
        ("`--rate-limits`" if m.get("rate_limits") is True else f"`--rate-limits {os.path.basename(m['rate_limits'])}`"
         if m.get("rate_limits") else "no rate limits")
    throttled = m.get("throttled") or {}
    out = [f"# make bench results", "",
           f"Sandbox `--transition-seconds {m['transition_seconds']:g}`{realism} (calls throttled over all runs: "
           f"{', '.join(f'{c} {n}' for c, n in sorted(throttled.items())) or 'none'}), "
           f"{m['repeat']} runs per case (medians), "
           f"{m['cpus']} CPUs, started {m['started']}, took {m['elapsed_s'] / 60:.1f} min. "
           f"ansible-core {m['ansible_core']}; amazon.aws {m.get('amazon_aws') or 'not installed'}.", ""]
    if m.get("aws_skipped"):
        out += [f"**Case 2 (amazon.aws) skipped:** {m['aws_skipped']}", ""]
    for run in result["runs"]:
        out += [f"## N = {run['n']} ({run['ec2']} EC2 + {run['ecs']} ECS)", "",
                "| case | wall (median) | floor time | ours/floor time | API calls | floor calls | ours/floor calls | peak RSS (MiB) |",
                "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for c in run["cases"].values():
            w = f"{c['wall_median_s']:.1f} s"
            calls = f"{c['calls_total']:g}"
            if "extrapolated_wall_s" in c:
                w += f" (x{c['extrapolation_factor']:g} → **{c['extrapolated_wall_s']:.1f} s** extrapolated)"
                calls += f" (→ {c['extrapolated_calls_total']:g})"
            flo = c["floor"]
            tvf = f"{c['time_vs_floor']:.2f}x" if "time_vs_floor" in c else "–"
            cvf = f"{c['calls_vs_floor']:.2f}x" if "calls_vs_floor" in c else "–"
            out.append(f"| {c['label']} | {w} | {flo['seconds']:g} s | {tvf} | {calls} | {flo['calls_total']} | {cvf} "
                       f"| {c['peak_rss_mb']:.0f} |")
        out += ["", "API calls by action (median):", ""]
        for c in run["cases"].values():
            out.append(f"- {c['label']}: {fmt_calls(c['calls'])}" + (f" — _{c['note']}_" if c["note"] else ""))
        if run["ratios"]:
            out += ["", "amazon.aws / ours (same run, EC2 half): " + ", ".join(
                f"{k.replace('_vs_', ' / ')} = **{v:.1f}x**" for k, v in run["ratios"].items())]
        if run["problems"]:
            out += ["", "Problems: " + "; ".join(run["problems"])]
        out.append("")
    ms = result.get("module_start")
    if ms:
        out += ["## Module start (case 4): one task, one instance", "",
                "| | median |", "|---|---:|"]
        for k, v in ms["task_median_s"].items():
            out.append(f"| task: {'ansible.builtin.ping' if k == 'ping' else 'instance_state_info ' + k} | {v:.2f} s |")
        for k, v in ms["plain_median_s"].items():
            label = {"python": "plain `python -c pass`", "boto3": "plain boto3: import + client + describe",
                     "tea_openapi": "plain tea-openapi: import + client + describe"}[k]
            out.append(f"| {label} | {v:.2f} s |")
        out.append("")
    if result.get("sandbox_speed"):
        out += speed_markdown(result["sandbox_speed"])
    out += ["## Goals (issue 7)", "", "| goal | value | limit | met |", "|---|---:|---:|---|"]
    for g in result["goals"]:
        out.append(f"| {g['goal']} | {g['value']} | {g['limit']} | {'yes' if g['met'] else '**no**'} |")
    out.append("")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000, help="instances, half EC2 half ECS (default 1000)")
    parser.add_argument("--sweep", action="store_true", help="N = 10, 100, 1000, 3000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--per-host-cap", type=int, default=20,
                        help="amazon.aws per-host form runs on at most this many EC2 hosts, then extrapolates")
    parser.add_argument("--transition-seconds", type=float, default=1.0)
    parser.add_argument("--latency-ms", type=latency_option,
                        default=os.environ.get("BENCH_LATENCY_MS", DEFAULT_LATENCY_MS),  # a str: parsed by type
                        help="sandbox --latency-ms: MS or MS:JITTER_MS, 0 for none (default: $BENCH_LATENCY_MS "
                             f"or {DEFAULT_LATENCY_MS})")
    parser.add_argument("--rate-limits", type=rate_limits_option,
                        default=os.environ.get("BENCH_RATE_LIMITS", "1"),
                        help="sandbox --rate-limits: 1 (the documented limits), 0 (none) or a FILE "
                             "(default: $BENCH_RATE_LIMITS or 1)")
    parser.add_argument("--no-aws", action="store_true", help="skip case 2 (amazon.aws)")
    parser.add_argument("--speed-sizes", default=os.environ.get("BENCH_SPEED_SIZES", SPEED_SIZES),
                        help="region sizes for bench/sandbox_speed.py, the sandbox's own DescribeInstances speed "
                             f"(default: $BENCH_SPEED_SIZES or {SPEED_SIZES}; 0 skips it)")
    parser.add_argument("--out", default=RESULTS)
    args = parser.parse_args(argv)
    started = time.time()
    ns = [10, 100, 1000, 3000] if args.sweep else [args.n]
    aws_skip = "--no-aws given" if args.no_aws else ensure_bench_venv()
    if aws_skip:
        log(f"case 2 (amazon.aws) skipped: {aws_skip}")
    import ansible.release
    meta = {"ns": ns, "repeat": args.repeat, "transition_seconds": args.transition_seconds,
            "latency_ms": args.latency_ms, "rate_limits": args.rate_limits,
            "per_host_cap": args.per_host_cap, "cpus": os.cpu_count(), "python": platform.python_version(),
            "ansible_core": ansible.release.__version__, "amazon_aws": None if aws_skip else amazon_aws_version(),
            "aws_skipped": aws_skip, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))}
    log(f"N={ns} repeat={args.repeat}; amazon.aws per-host form capped at {args.per_host_cap} EC2 hosts "
        "(time extrapolated linearly, labelled as such)")
    log(f"sandbox: latency {args.latency_ms or 'none'}, rate limits "
        f"{'off' if not args.rate_limits else 'on' if args.rate_limits is True else args.rate_limits}")
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-", dir=os.path.join(REPO, ".cache")) as workdir:
        with SandboxProcess(REPO, workdir, args.transition_seconds, args.latency_ms, args.rate_limits) as sb:
            bench = Bench(sb, workdir)
            result = {"meta": meta, "runs": []}
            for n in ns:
                result["runs"].append(run_for_n(bench, n, args.repeat, args.per_host_cap, aws_skip,
                                                args.transition_seconds))
            log("case 4: module start")
            result["module_start"] = module_start(bench, args.repeat, aws_skip)
            meta["throttled"] = dict(bench.throttled)
            log("calls throttled over all runs (RequestLimitExceeded, ThrottlingException, Throttling.User): "
                + (", ".join(f"{c} {n}" for c, n in sorted(bench.throttled.items())) or "none")
                + ("" if args.rate_limits else " (rate limits off)"))
    if args.speed_sizes.strip() not in ("", "0"):
        log(f"sandbox speed: bench/sandbox_speed.py --sizes {args.speed_sizes}")
        result["sandbox_speed"] = sandbox_speed(args.speed_sizes.strip())
        log(result["sandbox_speed"].get("skipped") or "sandbox speed: " + ", ".join(
            f"{r['instances']:,} instances {r['one_launch']['sandbox_median_ms']:.1f} ms"
            for r in result["sandbox_speed"]["rows"]))
    meta["elapsed_s"] = time.time() - started
    result["goals"] = goals(result)
    with open(os.path.join(args.out, "results.json"), "w") as handle:
        json.dump(result, handle, indent=1, default=str)
    md = markdown(result)
    with open(os.path.join(args.out, "results.md"), "w") as handle:
        handle.write(md)
    print(md)
    if os.path.exists(BENCH_PY):
        chart = subprocess.run([BENCH_PY, os.path.join(BENCH, "chart.py"), args.out], capture_output=True, text=True)
        log(chart.stdout.strip() or chart.stderr.strip()[-500:])
    else:
        log("no bench venv: chart.png not drawn")
    log(f"done in {meta['elapsed_s'] / 60:.1f} min -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
