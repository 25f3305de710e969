"""The pure parts of `make bench` (bench/run.py): floors, medians, ratios, goals."""
import importlib.util
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_run", os.path.join(REPO, "bench", "run.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ids(n, prefix="i-"):
    return ["%s%05d" % (prefix, k) for k in range(n)]


def test_floor_of_500_plus_500_is_4_calls_per_100_ids_and_two_transitions(bench):
    flo = bench.floor({"aws": ids(500), "alicloud": ids(500)})
    assert flo["calls"] == {
        "aws": {"StopInstances": 5, "TerminateInstances": 5, "DescribeInstances": 10},
        "alicloud": {"StopInstances": 5, "DeleteInstances": 5, "DescribeInstances": 10},
    }
    # safe: + 10 first-read describes + 500 EC2 protection reads (no batch read of DisableApiTermination)
    assert flo["calls_total"] == 40 and flo["protection_reads"] == 500 and flo["safe_calls_total"] == 550
    assert flo["seconds"] == 2.0


def test_floor_rounds_batches_up_and_skips_an_empty_cloud(bench):
    flo = bench.floor({"aws": ids(101), "alicloud": []}, transition_seconds=0.5)
    assert flo["calls"] == {"aws": {"StopInstances": 2, "TerminateInstances": 2, "DescribeInstances": 4}}
    assert flo["seconds"] == 1.0


def test_rerun_floor_is_one_describe_per_100_ids_and_no_time(bench):
    flo = bench.floor({"aws": ids(250), "alicloud": ids(50)}, rerun=True)
    assert flo["calls"] == {"aws": {"DescribeInstances": 3}, "alicloud": {"DescribeInstances": 1}}
    assert flo["calls_total"] == flo["safe_calls_total"] == 4 and flo["seconds"] == 0.0
    assert flo["protection_reads"] == 0  # every instance is terminated: nothing left to protect


def run(wall, calls, rss=100.0, rc=0):
    return {"wall": wall, "calls": calls, "peak_rss_mb": rss, "rc": rc}


def test_merge_calls_takes_the_median_and_counts_a_missing_action_as_zero(bench):
    runs = [run(1, {"aws": {"StopInstances": 5, "DescribeInstances": 9}}),
            run(1, {"aws": {"StopInstances": 5, "DescribeInstances": 12}}),
            run(1, {"aws": {"StopInstances": 5}})]
    assert bench.merge_calls(runs) == {"aws": {"DescribeInstances": 9, "StopInstances": 5}}


def test_case_result_ratios_use_medians_and_the_extrapolation(bench):
    flo = bench.floor({"aws": ids(100)})  # 4 calls, 2 s
    runs = [run(10.0, {"aws": {"DescribeInstances": 6}}), run(30.0, {"aws": {"DescribeInstances": 8}}),
            run(20.0, {"aws": {"DescribeInstances": 7}})]
    res = bench.case_result("ours_list", "label", runs, {"aws": ids(100)}, flo)
    assert res["wall_median_s"] == 20.0 and res["calls_total"] == 7
    assert res["time_vs_floor"] == pytest.approx(10.0) and res["calls_vs_floor"] == pytest.approx(7 / 4)
    assert res["calls_vs_safe_floor"] == pytest.approx(7 / 105)  # floor 4 + first read 1 + 100 protection reads
    scaled = bench.case_result("aws_per_host", "label", runs, {"aws": ids(20)}, flo, scale=25.0)
    assert scaled["extrapolated_wall_s"] == 500.0 and scaled["time_vs_floor"] == pytest.approx(250.0)
    assert scaled["calls_vs_floor"] == pytest.approx(7 * 25 / 4)


def case(time_vs_floor, calls_vs_floor, safe):
    return {"time_vs_floor": time_vs_floor, "calls_vs_floor": calls_vs_floor, "calls_vs_safe_floor": safe}


def test_goals_are_met_exactly_at_their_limits_and_not_beyond(bench):
    rerun_ok = {"idempotent": [{"changed_tasks": [], "summary_changed": False, "only_describe": True}]}
    rerun_bad = {"idempotent": [{"changed_tasks": [], "summary_changed": False, "only_describe": False}]}
    result = {
        "runs": [{"n": 1000, "cases": {"ours_inventory": case(2.0, 1.2, 1.2), "ours_list": case(2.01, 1.21, 1.0),
                                       "rerun_inventory": rerun_ok, "rerun_list": rerun_bad},
                  "ratios": {"aws_per_host_vs_ours_ec2_inventory": 20.0, "aws_batch_vs_ours_ec2_list": 4.9}}],
        "module_start": {"aws_vs_boto3": 1.5, "alicloud_vs_tea_openapi": 1.51},
    }
    met = {g["goal"]: g["met"] for g in bench.goals(result)}
    assert met == {
        "N=1000 ours_inventory: time within 2x the floor": True,
        "N=1000 ours_inventory: calls within 1.2x the floor": True,
        "N=1000 ours_inventory: calls within 1.2x the safe floor (floor + first read + EC2 protection reads)": True,
        "N=1000 ours_list: time within 2x the floor": False,
        "N=1000 ours_list: calls within 1.2x the floor": False,
        "N=1000 ours_list: calls within 1.2x the safe floor (floor + first read + EC2 protection reads)": True,
        "EC2 half: >= 20x faster than amazon.aws per host": True,
        "EC2 half: >= 5x faster than amazon.aws one task": False,
        "rerun_inventory: changes nothing, only Describe* calls": True,
        "rerun_list: changes nothing, only Describe* calls": False,
        "module start (aws) within 1.5x a plain boto3 client start": True,
        "module start (alicloud) within 1.5x a plain tea-openapi client start": False,
    }


def test_a_sweep_is_judged_at_n_1000_not_at_its_largest_n(bench):
    def sweep_run(n, time_vs_floor):
        return {"n": n, "cases": {"ours_inventory": case(time_vs_floor, 1.0, 1.0),
                                  "ours_list": case(time_vs_floor, 1.0, 1.0)}, "ratios": {}}

    result = {"runs": [sweep_run(100, 9.0), sweep_run(1000, 1.5), sweep_run(3000, 9.0)]}
    times = {g["goal"]: g["met"] for g in bench.goals(result) if "time" in g["goal"]}
    assert times == {"N=1000 ours_inventory: time within 2x the floor": True,
                     "N=1000 ours_list: time within 2x the floor": True}
    result = {"runs": [sweep_run(10, 1.5), sweep_run(100, 9.0)]}
    times = {g["goal"]: g["met"] for g in bench.goals(result) if "time" in g["goal"]}
    assert times == {"N=100 ours_inventory: time within 2x the floor": False,
                     "N=100 ours_list: time within 2x the floor": False}
