"""bench/results/chart.png from results.json (run with the bench venv: matplotlib lives only there)."""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
with open(os.path.join(out, "results.json")) as handle:
    result = json.load(handle)
runs = result["runs"]
order = ["ours_inventory", "ours_list", "rerun_list", "ours_ec2_inventory", "ours_ec2_list", "aws_batch", "aws_per_host"]
short = {"ours_inventory": "ours, inventory\n(both clouds)", "ours_list": "ours, list\n(both clouds)",
         "rerun_list": "ours, re-run", "ours_ec2_inventory": "ours, inventory\n(EC2 half)",
         "ours_ec2_list": "ours, list\n(EC2 half)", "aws_batch": "amazon.aws\none task\n(EC2 half)",
         "aws_per_host": "amazon.aws\nper host\n(EC2 half)"}
if len(runs) == 1:
    run = runs[0]
    names = [n for n in order if n in run["cases"]]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    walls, extrap = [], []
    for n in names:
        c = run["cases"][n]
        walls.append(c.get("extrapolated_wall_s", c["wall_median_s"]))
        extrap.append("extrapolated_wall_s" in c)
    colors = ["#2a7ab9" if not n.startswith("aws") else "#e07b39" for n in names]
    bars = ax1.bar(range(len(names)), walls, color=colors)
    for bar, ex, n in zip(bars, extrap, names):
        if ex:
            bar.set_hatch("//")
        ax1.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), f"{bar.get_height():.0f}s"
                 + (" (extrap.)" if ex else ""), ha="center", va="bottom", fontsize=8)
    ax1.axhline(run["cases"][names[0]]["floor"]["seconds"], color="grey", ls="--", lw=1, label="transition floor")
    ax1.set_xticks(range(len(names)), [short[n] for n in names], fontsize=8)
    ax1.set_ylabel("wall time, median (s), log scale")
    ax1.set_yscale("log")
    ax1.set_title(f"Stop then release, N={run['n']} ({run['ec2']} EC2 + {run['ecs']} ECS)")
    ax1.legend(fontsize=8)
    calls = []
    for n in names:
        c = run["cases"][n]
        calls.append(c.get("extrapolated_calls_total", c["calls_total"]))
    bars = ax2.bar(range(len(names)), calls, color=colors)
    for bar in bars:
        ax2.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), f"{bar.get_height():.0f}", ha="center",
                 va="bottom", fontsize=8)
    ax2.set_xticks(range(len(names)), [short[n] for n in names], fontsize=8)
    ax2.set_ylabel("API calls (median), log scale")
    ax2.set_yscale("log")
    ax2.set_title("API calls (sandbox call log)")
else:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    for n in order:
        xs = [r["n"] for r in runs if n in r["cases"]]
        if not xs:
            continue
        cs = [r["cases"][n] for r in runs if n in r["cases"]]
        ax1.plot(xs, [c.get("extrapolated_wall_s", c["wall_median_s"]) for c in cs], marker="o",
                 label=short[n].replace("\n", " "))
        ax2.plot(xs, [c.get("extrapolated_calls_total", c["calls_total"]) for c in cs], marker="o",
                 label=short[n].replace("\n", " "))

    for ax, what in ((ax1, "wall time, median (s)"), (ax2, "API calls")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N instances (half EC2, half ECS)")
        ax.set_ylabel(what)
        ax.legend(fontsize=7)
    ax1.set_title("Time vs N (amazon.aws per host: extrapolated above the cap)")
    ax2.set_title("API calls vs N")
fig.tight_layout()
fig.savefig(os.path.join(out, "chart.png"), dpi=110)
print(f"chart: {os.path.join(out, 'chart.png')}")
