"""Benchmark of the offline plan: wall time and peak memory for the dev stack and generated stacks of 10 and 50 pools.

    python -m tools.bench.plan [--repeat 3]        (make bench-plan)

Each run is a fresh `python -m tools.plan --json FILE` process (what a user or CI pays, interpreter start and
imports included); wall time is the median of --repeat runs, peak memory the child's max RSS. Goals on the 2-core
machine: dev under 3 s, 50 pools under 10 s, cost linear in resources (the per-resource cost between 10 and 50
pools is printed, with the fixed cost of imports).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from components.settings import PROJECT_ROOT


def generated_stack(pools: int) -> dict[str, Any]:
    """The dev stack with `pools` pools (alternating fixed and autoscale)."""
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())
    template = document["config"]["batch-custom-image:pools"]
    document["config"]["batch-custom-image:pools"] = [
        {**template[i % len(template)], "name": f"pool{i:03d}"} for i in range(pools)
    ]
    return dict(document)


def measure(stack_file: Path | None, repeat: int) -> dict[str, Any]:
    walls, rss, resources = [], [], 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "plan.json"
            command = [sys.executable, "-m", "tools.plan", "--stack", "dev", "--json", str(out), "--graph", "none"]
            if stack_file is not None:
                command += ["--stack-file", str(stack_file)]
            start = time.perf_counter()
            child = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(child.pid, 0)
            walls.append(time.perf_counter() - start)
            if os.waitstatus_to_exitcode(status) not in (0, 1):
                raise SystemExit(f"plan failed: {child.stderr.read().decode() if child.stderr else ''}")
            rss.append(usage.ru_maxrss / 1024)  # KiB → MiB on Linux
            resources = sum(1 for r in json.loads(out.read_text())["resources"] if r["custom"])
    return {"wall_s": statistics.median(walls), "peak_mib": max(rss), "resources": resources}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {"dev": measure(None, args.repeat)}
    with tempfile.TemporaryDirectory() as tmp:
        for pools in (10, 50):
            path = Path(tmp) / f"Pulumi.bench{pools}.yaml"
            path.write_text(yaml.safe_dump(generated_stack(pools)))
            results[f"{pools} pools"] = measure(path, args.repeat)

    print(f"offline plan, median of {args.repeat} runs, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'stack':<10} {'resources':>9} {'wall (s)':>9} {'peak RSS (MiB)':>15}")
    for name, result in results.items():
        print(f"{name:<10} {result['resources']:>9} {result['wall_s']:>9.2f} {result['peak_mib']:>15.0f}")
    small, large = results["10 pools"], results["50 pools"]
    per_resource = (large["wall_s"] - small["wall_s"]) / (large["resources"] - small["resources"])
    fixed = small["wall_s"] - per_resource * small["resources"]
    print(f"per resource: {per_resource * 1000:.1f} ms; fixed cost (interpreter, imports): {fixed:.2f} s")
    goals = [("dev under 3 s", results["dev"]["wall_s"] < 3.0), ("50 pools under 10 s", large["wall_s"] < 10.0)]
    for goal, met in goals:
        print(f"goal {goal}: {'met' if met else 'NOT met'}")
    print(f"(this process's own peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
