"""Benchmark: how long the policy pack takes offline.

    python -m tools.bench.policies      (make bench-policies)

Prints the median time of one full pack run (Configure + Analyze per resource + AnalyzeStack) over the dev stack
as the program registers it, and of the custom-data secret scan on the largest custom data Azure accepts (64 KiB).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from tools.plan.offline import run_program
from tools.plan.policy_runner import POLICY_PACK_DIR, PolicyRunner, run_policies

ROUNDS = 20


def _median_ms(fn: Callable[[], object], rounds: int = ROUNDS) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    resources = run_program().resources
    PolicyRunner()  # import the pack once, as the plan tool does
    print(
        f"full pack run, dev stack ({len(resources)} resources): {_median_ms(lambda: run_policies(resources)):.1f} ms"
    )

    sys.path.insert(0, str(POLICY_PACK_DIR))
    from batch_image_policies._secrets_scan import findings

    line = "  - echo 'installing tools with apt-get, configuring passwordless sudo for builder' >> /var/log/setup\n"
    text = "#cloud-config\nruncmd:\n" + line * (64 * 1024 // len(line))
    print(f"secret scan of {len(text) // 1024} KiB custom data: {_median_ms(lambda: findings(text)):.1f} ms")


if __name__ == "__main__":
    main()
