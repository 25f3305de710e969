"""`python -m sandbox serve ...`: the sandbox in the foreground until SIGINT/SIGTERM."""
import argparse
import signal
import sys
import threading
import urllib.request


def _latency(text):
    from sandbox.timing import Latency

    try:
        Latency.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))
    return text


def _rate_limits(path):
    from sandbox.limits import LimitsError, load_file

    try:
        load_file(path)
    except LimitsError as exc:
        raise argparse.ArgumentTypeError(str(exc))
    return path


def _transition_profile(spec):
    from sandbox.timing import ProfileError, load_profile

    try:
        load_profile(spec)
    except ProfileError as exc:
        raise argparse.ArgumentTypeError(str(exc))
    return spec


def _parser():
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Local EC2 + ECS sandbox.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run both endpoints until SIGINT/SIGTERM")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--ec2-port", type=int, default=0, help="EC2 port; 0 picks a free one")
    serve.add_argument("--ecs-port", type=int, default=0, help="ECS port; 0 picks a free one")
    serve.add_argument("--env-file", required=True, help="where to write KEY=VALUE lines once both endpoints answer")
    serve.add_argument("--transition-seconds", type=float, default=1.0,
                       help="how long pending/starting/stopping/shutting-down last (default 1.0)")
    serve.add_argument("--status-check-seconds", type=float, default=0.0,
                       help="how long EC2 status checks read initializing after an instance reaches running "
                            "(launch, start, reboot) before ok (default 0)")
    serve.add_argument("--seed", type=int, default=None, help="make ids, credentials and fault rates repeatable")
    serve.add_argument("--latency-ms", type=_latency, default=None, metavar="MS[:JITTER_MS]",
                       help="delay every cloud API call (not /_sandbox) by MS, or by MS +- JITTER_MS (uniform, "
                            "seeded); default: none")
    serve.add_argument("--rate-limits", type=_rate_limits, nargs="?", const=True, default=None, metavar="FILE",
                       help="enforce the clouds' request-rate limits (EC2 RequestLimitExceeded, SSM "
                            "ThrottlingException, ECS Throttling.User); FILE: JSON merged over the defaults "
                            "(sandbox/limits.py); default: no limits")
    serve.add_argument("--transition-profile", type=_transition_profile, default=None, metavar="NAME|FILE",
                       help="per-instance state durations drawn from a distribution (seeded): realistic, fast, "
                            "NAME:SCALE or a JSON file (sandbox/timing.py); default: every state lasts "
                            "--transition-seconds")
    serve.add_argument("--state-file", default=None, metavar="PATH",
                       help="keep both clouds' fleets across a restart: restore them from PATH if it exists, "
                            "write it (0600, atomically) at most every 0.5 s after a change and at stop; it "
                            "holds the credentials (sandbox/state_file.py); default: a restart forgets everything")
    seed = sub.add_parser("seed", help="launch the demo fleet on a running sandbox")
    seed.add_argument("--env-file", required=True, help="the env file `serve` wrote")
    seed.add_argument("--out", required=True, help="where to write the fleet as JSON (playbook extra vars)")
    seed.add_argument("--running", type=int, default=4, help="running instances per cloud (default 4)")
    return parser


def _wait_until_answering(url, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/_sandbox/calls", timeout=2) as response:
                response.read()
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def serve(args):
    from sandbox.server import Sandbox

    if args.transition_seconds < 0:
        print("--transition-seconds must not be negative", file=sys.stderr)
        return 2
    if args.status_check_seconds < 0:
        print("--status-check-seconds must not be negative", file=sys.stderr)
        return 2
    from sandbox.state_file import StateFileError, summary

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        sandbox = Sandbox(args.host, args.ec2_port, args.ecs_port, args.transition_seconds, args.seed,
                          latency=args.latency_ms, rate_limits=args.rate_limits,
                          transition_profile=args.transition_profile,
                          status_check_seconds=args.status_check_seconds, state_file=args.state_file)
    except StateFileError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    try:
        sandbox.start()
    except OSError as exc:
        print(f"sandbox: cannot listen: {exc}", file=sys.stderr)
        return 1
    try:
        _wait_until_answering(sandbox.ec2_url)
        _wait_until_answering(sandbox.ecs_url)
        sandbox.write_env_file(args.env_file)
        print(f"sandbox: EC2 {sandbox.ec2_url}  ECS {sandbox.ecs_url}  env file {args.env_file}", flush=True)
        extras = [f"latency {sandbox.ctx.latency}" if sandbox.ctx.latency else "",
                  "rate limits on" if sandbox.ctx.rate_limits else "",
                  f"transition profile {sandbox.ctx.durations.profile.name}" if sandbox.ctx.durations.profile else ""]
        if any(extras):
            print("sandbox: " + ", ".join(e for e in extras if e), flush=True)
        if sandbox.state_file is not None:
            print("sandbox: " + summary(sandbox), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
    print("sandbox: stopped", flush=True)
    return 0


def read_env_file(path):
    env = {}
    with open(path) as handle:
        for line in handle:
            key, sep, value = line.strip().partition("=")
            if sep:
                env[key] = value
    return env


def seed(args):
    import json

    from sandbox import fleet

    env = read_env_file(args.env_file)
    ec2_running = fleet.launch_ec2(env, args.running, tags={"team": "demo"})
    ec2_stopped = fleet.launch_ec2(env, 1, tags={"team": "demo"})
    ec2_protected = fleet.launch_ec2(env, 1, protected=True, tags={"team": "demo", "role": "database"})
    ecs_running = fleet.launch_ecs(env, args.running, tags={"team": "demo"})
    ecs_stopped = fleet.launch_ecs(env, 1, tags={"team": "demo"})
    ecs_protected = fleet.launch_ecs(env, 1, protected=True, tags={"team": "demo", "role": "database"})
    fleet.wait_for(lambda ids: fleet.ec2_states(env, ids), ec2_stopped, {"running"})
    fleet.wait_for(lambda ids: fleet.ecs_states(env, ids), ecs_stopped, {"Running"})
    fleet.stop_ec2(env, ec2_stopped)
    fleet.stop_ecs(env, ecs_stopped)
    fleet.wait_for(lambda ids: fleet.ec2_states(env, ids), ec2_stopped, {"stopped"})
    fleet.wait_for(lambda ids: fleet.ecs_states(env, ids), ecs_stopped, {"Stopped"})
    demo_fleet = {"fleets": [
        {"cloud": "aws", "region": env.get("AWS_REGION", "us-east-1"),
         "instance_ids": ec2_running + ec2_stopped + ec2_protected},
        {"cloud": "alicloud", "region": env.get("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou"),
         "instance_ids": ecs_running + ecs_stopped + ecs_protected},
    ]}
    with open(args.out, "w") as handle:
        json.dump(demo_fleet, handle, indent=2)
    print(f"sandbox: seeded {len(demo_fleet['fleets'][0]['instance_ids'])} EC2 and "
          f"{len(demo_fleet['fleets'][1]['instance_ids'])} ECS instances "
          "(running, one stopped, one protected on each) -> " + args.out, flush=True)
    return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "seed":
        return seed(args)
    return 2
