"""The canary's dynamic provider (INTERFACE PLACEHOLDER: the canary-provider work replaces this module's body)."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, ResourceProvider


class CanaryProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        raise NotImplementedError("the canary provider is not written yet")
