"""Batch node agent SKUs the pack knows, and their announced end of life.

Duplicated on purpose from the program's settings (components/settings.py): the pack runs in its own
virtualenv and imports nothing from the program. A test asserts both copies agree.
Sources: Azure/Batch#200 (Ubuntu 22.04 agent end of life), `az batch pool supported-images list`.
"""

from __future__ import annotations

from typing import Final

NODE_AGENT_SKUS: Final[dict[str, str]] = {
    "batch.node.ubuntu 24.04": "Linux",
    "batch.node.ubuntu 22.04": "Linux",
    "batch.node.el 9": "Linux",
    "batch.node.windows amd64": "Windows",
}

# ISO dates after which Batch no longer supports the agent.
NODE_AGENT_END_OF_LIFE: Final[dict[str, str]] = {
    "batch.node.ubuntu 22.04": "2027-06-30",
}
