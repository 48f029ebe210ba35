"""Entry point the Pulumi CLI runs (`python -m pulumi.policy <engine> policies`): it only builds the pack.

Never import this module: `PolicyPack(...)` starts a gRPC server and blocks forever. The policies live in
the side-effect-free package `batch_image_policies`.
"""

from batch_image_policies import ALL_POLICIES, PACK_DESCRIPTION, PACK_NAME
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    description=PACK_DESCRIPTION,
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=ALL_POLICIES,
)
