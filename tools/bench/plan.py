"""Benchmark of the offline plan: wall time and peak memory for the dev stack and generated stacks of 10 and 50 pools.

    python -m tools.bench.plan [--repeat 3]        (make bench-plan)

Each run is a fresh `python -m tools.plan --json FILE` process (what a user or CI pays, interpreter start and
imports included); wall time is the median of --repeat runs, peak memory the child's max RSS. Goals on the 2-core
machine: dev under 3 s, 50 pools under 10 s, cost linear in resources (the per-resource cost between 10 and 50
pools is printed, with the fixed cost of imports), and the dev plan within 1.3x its floor: a fresh process that only
imports and touches the SDK classes of the resources the dev plan registers (`sdk_floor`), which no plan can beat.
Every child caches and reads bytecode (under .venv/pycache, as `make unit` does, also where PYTHONDONTWRITEBYTECODE is
set): compiling the SDK modules the plan imports takes longer than the plan itself, and is paid once per install.
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

from components.common.project import PROJECT_ROOT


def generated_stack(pools: int) -> dict[str, Any]:
    """The dev stack with `pools` pools (alternating fixed and autoscale)."""
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())
    template = document["config"]["batch-custom-image:pools"]
    document["config"]["batch-custom-image:pools"] = [
        {**template[i % len(template)], "name": f"pool{i:03d}"} for i in range(pools)
    ]
    return dict(document)


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(PROJECT_ROOT / ".venv" / "pycache")}


def sdk_class(token: str) -> tuple[str, str]:
    """The SDK module and class that register a resource type: `azure-native:compute:Gallery` is
    pulumi_azure_native.compute.Gallery, `tls:index/privateKey:PrivateKey` pulumi_tls.PrivateKey, a provider
    `pulumi:providers:azure` pulumi_azure.Provider, a dynamic resource pulumi.dynamic.Resource."""
    package, module, name = token.split(":")
    if package == "pulumi" and module == "providers":
        return f"pulumi_{name.replace('-', '_')}", "Provider"
    if package == "pulumi-python":
        return "pulumi.dynamic", "Resource"
    top = f"pulumi_{package.replace('-', '_')}"
    sub = module.split("/")[0]
    return (top if sub == "index" else f"{top}.{sub}"), name


def _timed(command: list[str]) -> tuple[float, float, int, Any]:
    """Wall seconds, CPU seconds (user + system), exit code and resource usage of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=_child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{command[1:3]} failed: {child.stderr.read().decode() if child.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status), usage


def sdk_floor(types: list[str], repeat: int, gc_off: bool = False) -> tuple[float, float]:
    """Median wall and CPU seconds of a fresh process that imports the SDK modules of `types` and touches each class
    (with `gc_off`, with the cyclic garbage collector off, as `python -m tools.plan` runs)."""
    lines = ["import importlib", *(["import gc", "gc.disable()"] if gc_off else [])] + [
        f"getattr(importlib.import_module({module!r}), {name!r})"
        for module, name in sorted({sdk_class(t) for t in types})
    ]
    command = [sys.executable, "-c", "\n".join(lines)]
    _timed(command)  # warm-up: the bytecode is cached, as for the plan runs
    runs = [_timed(command) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def measure(stack_file: Path | None, repeat: int) -> dict[str, Any]:
    walls, cpus, rss, resources, types = [], [], [], 0, set()
    for run in range(repeat + 1):  # the first run is a warm-up (bytecode caching), not counted
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "plan.json"
            command = [sys.executable, "-m", "tools.plan", "--stack", "dev", "--json", str(out), "--graph", "none"]
            if stack_file is not None:
                command += ["--stack-file", str(stack_file)]
            wall, cpu, _, usage = _timed(command)
            if run:
                walls.append(wall)
                cpus.append(cpu)
            rss.append(usage.ru_maxrss / 1024)  # KiB → MiB on Linux
            custom = [r for r in json.loads(out.read_text())["resources"] if r["custom"]]
            resources, types = len(custom), {r["type"] for r in custom}
    return {
        "wall_s": statistics.median(walls),
        "cpu_s": statistics.median(cpus),
        "peak_mib": max(rss),
        "resources": resources,
        "types": sorted(types),
    }


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
    dev = results["dev"]
    floor, floor_cpu = sdk_floor(dev["types"], args.repeat)
    gc_floor, gc_floor_cpu = sdk_floor(dev["types"], args.repeat, gc_off=True)
    ratio = dev["wall_s"] / floor
    print(f"\nthe dev plan beside its floor: a process importing and touching the {len(dev['types'])} SDK classes it")
    print("registers (plain, and with the garbage collector off as the plan runs); load average", end=" ")
    print(f"{os.getloadavg()[0]:.1f}")
    print(f"{'':<22} {'wall (s)':>9} {'CPU (s)':>9} {'plan/floor (wall, CPU)':>24}")
    print(f"{'dev plan':<22} {dev['wall_s']:>9.2f} {dev['cpu_s']:>9.2f}")
    for name, wall, cpu in (("floor", floor, floor_cpu), ("floor, collector off", gc_floor, gc_floor_cpu)):
        print(f"{name:<22} {wall:>9.2f} {cpu:>9.2f} {dev['wall_s'] / wall:>11.2f}x {dev['cpu_s'] / cpu:>11.2f}x")
    goals = [
        ("dev under 3 s", results["dev"]["wall_s"] < 3.0),
        ("50 pools under 10 s", large["wall_s"] < 10.0),
        ("dev within 1.3x its SDK floor", ratio <= 1.3),
    ]
    for goal, met in goals:
        print(f"goal {goal}: {'met' if met else 'NOT met'}")
    print(f"(this process's own peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
