"""Benchmark of the fleet plan: a generated manifest of N image stacks and 4N pool stacks, planned offline.

    python -m tools.bench.fleet [--sizes 10,50] [--workers 2]        (make bench-fleet)

Each size is one `plan_fleet` (tools/fleet/plan.py) over a manifest built in memory from fleet/fleet.yaml's stack
files: image stacks as linux-image (replicated to three regions), pool stacks as render-weu, spread over the regions.
Printed per size: wall time, time per stack, and the image and pool stacks' mean time. Goal on the 2-core machine:
50 image stacks and 200 pool stacks under 120 s; the cost linear in stacks (the time per stack about the same at
every size: worker start-up and imports are paid once per worker).
"""

from __future__ import annotations

import argparse
import copy
import os
import resource
import statistics
import time
from typing import Any

from components.common.project import PROJECT_ROOT
from tools.fleet.manifest import Fleet, parse_manifest
from tools.fleet.plan import plan_fleet
from tools.plan.offline import load_stack_config

REGIONS = ("westeurope", "northeurope", "eastus2")
GOAL_SECONDS = 120.0
SUBSCRIPTION = "11111111-1111-4111-8111-111111111111"


def generated_fleet(images: int, pools_per_image: int = 4) -> Fleet:
    """`images` image stacks and `pools_per_image` pool stacks for each, in memory."""
    image_config = load_stack_config("", PROJECT_ROOT, PROJECT_ROOT / "fleet/stacks/Pulumi.linux-image.yaml")
    pool_config = load_stack_config("", PROJECT_ROOT, PROJECT_ROOT / "fleet/stacks/Pulumi.render-weu.yaml")
    configs: dict[str, dict[str, Any]] = {}
    image_stacks, pool_stacks = [], []
    for i in range(images):
        name = f"image-{i:03d}"
        config = copy.deepcopy(image_config)
        config["batch-custom-image:image"]["name"] = f"app-node-{i:03d}"
        configs[name] = config
        image_stacks.append({"stack": name, "subscription": SUBSCRIPTION, "region": REGIONS[0], "config": name})
        for j in range(pools_per_image):
            pool_name, region = f"pools-{i:03d}-{j}", REGIONS[j % len(REGIONS)]
            config = copy.deepcopy(pool_config)
            config["batch-custom-image:image"]["fromStack"] = f"contoso/batch-custom-image/{name}"
            config["azure-native:location"] = region
            configs[pool_name] = config
            pool_stacks.append(
                {"stack": pool_name, "image": name, "subscription": SUBSCRIPTION, "region": region, "config": pool_name}
            )
    document = {"organization": "contoso", "imageStacks": image_stacks, "poolStacks": pool_stacks}
    return parse_manifest(document, "generated", lambda key: copy.deepcopy(configs[key]))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.fleet", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,50", help="image stacks per run (4 pool stacks each)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rows = []
    for images in (int(s) for s in args.sizes.split(",")):
        fleet = generated_fleet(images)
        started = time.perf_counter()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        plans = plan_fleet(fleet, workers=args.workers)  # its workers have ended when it returns
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        failed = [p for p in plans if p.error]
        if failed:
            print(f"error: {failed[0].stack}: {failed[0].error}")
            return 1
        image_cpu = statistics.mean(p.cpu_seconds for p in plans if p.kind == "image")
        pool_cpu = statistics.mean(p.cpu_seconds for p in plans if p.kind == "pools")
        cpu = sum(p.cpu_seconds for p in plans)
        rows.append((images, len(plans), wall))
        print(
            f"{images} image + {len(plans) - images} pool stacks: {wall:.1f} s wall, {wall / len(plans):.3f} s per "
            f"stack ({args.workers} workers, load average {os.getloadavg()[0]:.1f}); CPU per stack: image "
            f"{image_cpu:.2f} s, pools {pool_cpu:.2f} s; workers' CPU {workers_cpu:.1f} s ({cpu:.1f} s in plans, the "
            f"rest imports and start-up): about {workers_cpu / args.workers:.1f} s wall when {args.workers} cores "
            "are free for it"
        )
    if len(rows) > 1:
        (_, n1, w1), (_, n2, w2) = rows[0], rows[-1]
        print(
            f"marginal cost {(w2 - w1) / (n2 - n1):.3f} s per stack between {n1} and {n2} stacks (linear: about equal)"
        )
    biggest = rows[-1]
    verdict = "ok" if biggest[2] < GOAL_SECONDS else "OVER"
    print(f"goal: {biggest[1]} stacks under {GOAL_SECONDS:.0f} s: {verdict} ({biggest[2]:.1f} s)")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main())
