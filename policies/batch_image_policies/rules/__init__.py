"""One module per policy, named after it (`batch-pool-node-agent-sku` is `rules/batch_pool_node_agent_sku.py`).

Each module defines one `policy`, declared with `_policy.resource_rule` or `_policy.stack_rule` (every field, in the
order `_policy.py` shows). Adding a module adds the policy to the pack: `ALL_POLICIES` is every module's
`policy`, in module-name order (which groups them by resource: batch-account-*, batch-pool-*, builder-vm-*, ...).
"""

from __future__ import annotations

import importlib
import pkgutil

from pulumi_policy import Policy


def _discover() -> list[Policy]:
    policies = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        policy = module.policy
        if not isinstance(policy, Policy):
            raise TypeError(f"{module.__name__}.policy is not a pulumi_policy Policy")
        policies.append(policy)
    return policies


ALL_POLICIES: list[Policy] = _discover()
