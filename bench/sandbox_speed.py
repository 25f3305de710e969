"""How long the sandbox's EC2 side takes to answer a DescribeInstances of 100 ids, as the region fills.

A measurement, not a test (no limits asserted). An EC2-only sandbox runs in this process; the
instances are launched straight into its moto backend through the sandbox's hooks (tagged, across
us-east-1a/b/c), then, at each size, boto3 sends `--calls` DescribeInstances of 100 ids over HTTP,
two ways: the 100 instances of one launch picked at random (one reservation: the same answer at
every size) and 100 ids picked at random (at 10,000 instances, ~64 reservations: a larger answer).
Printed per size and way: the median (and the best) time the sandbox spent on a call, from the
request arriving to the body being ready - what the sandbox costs -, and the median time of the
whole boto3 call: that plus HTTP and botocore parsing the answer, the client's cost (some 60-120 ms
for 100 instances). On a busy machine the best times are the steadier figure.

    .venv/bin/python bench/sandbox_speed.py                  # 100, 1,000 and 10,000 instances
    .venv/bin/python bench/sandbox_speed.py --sizes 100,3000 --calls 30
"""
import argparse
import os
import random
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def launch(emulator, count, first_zone=0):
    """`count` tagged instances in batches of 100, round the zones (moto's default subnet of a zone
    holds ~4,000 addresses). Returns the ids."""
    from sandbox.ec2 import moto_app
    from sandbox.fleet import EC2_IMAGE, EC2_TYPE

    ids = []
    with moto_app.MOTO_LOCK:
        backend = emulator.lifecycle().backend
        batch = first_zone
        while count > 0:
            amount = min(count, 100)
            reservation = backend.run_instances(
                EC2_IMAGE, amount, None, [], instance_type=EC2_TYPE, is_instance_type_default=False,
                region_name=backend.region_name, placement=ZONES[batch % len(ZONES)],
                tags={"instance": {"team": "bench", "batch": str(batch)}})
            ids += [i.id for i in reservation.instances]
            count -= amount
            batch += 1
    return ids


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="instances in the region (default 100,1000,10000)")
    parser.add_argument("--calls", type=int, default=20, help="DescribeInstances calls measured per size (default 20)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    sys.path.insert(0, ROOT)

    from sandbox.fleet import ec2_client
    from sandbox.server import Sandbox

    box = Sandbox(clouds=("ec2",), transition_seconds=0, seed=args.seed).start()
    try:
        emulator = box.ec2
        served = []
        api = emulator.api

        def timed(environ, start_response):
            started = time.perf_counter()
            body = api(environ, start_response)
            served.append(time.perf_counter() - started)
            return body

        emulator.api = timed
        client = ec2_client(box.env())
        rng = random.Random(args.seed)
        ids = []
        print(f"DescribeInstances of 100 ids, ms per call: median (best) of {args.calls} calls\n"
              f"{'instances':>10} {'one launch: sandbox':>22} {'boto3':>7} {'random ids: sandbox':>22} {'boto3':>7}",
              flush=True)
        for size in (int(s) for s in args.sizes.split(",")):
            ids += launch(emulator, size - len(ids), first_zone=len(ids) // 100)
            client.describe_instances(InstanceIds=ids[:100])  # transitions due, first-call costs paid
            row = []
            for pick in (lambda: ids[rng.randrange(len(ids) // 100) * 100:][:100], lambda: rng.sample(ids, 100)):
                server, whole = [], []
                for _ in range(args.calls):
                    wanted = pick()
                    del served[:]
                    started = time.perf_counter()
                    answer = client.describe_instances(InstanceIds=wanted)
                    whole.append(time.perf_counter() - started)
                    server.append(served[-1])
                    got = sorted(i["InstanceId"] for r in answer["Reservations"] for i in r["Instances"])
                    assert got == sorted(wanted), "a describe answered other instances"
                row += [f"{statistics.median(server) * 1000:.1f} ({min(server) * 1000:.1f})",
                        f"{statistics.median(whole) * 1000:.1f}"]
            print(f"{size:>10,} {row[0]:>22} {row[1]:>7} {row[2]:>22} {row[3]:>7}", flush=True)
    finally:
        box.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
