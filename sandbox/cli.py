"""`python -m sandbox serve ...`: the sandbox in the foreground until SIGINT/SIGTERM."""
import argparse
import signal
import sys
import threading
import urllib.request


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
    serve.add_argument("--seed", type=int, default=None, help="make ids, credentials and fault rates repeatable")
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
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sandbox = Sandbox(args.host, args.ec2_port, args.ecs_port, args.transition_seconds, args.seed)
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
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
    print("sandbox: stopped", flush=True)
    return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2
