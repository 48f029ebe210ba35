"""The gallery `latest` owner's dynamic provider (INTERFACE PLACEHOLDER: the canary-provider work replaces it)."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, ResourceProvider


class LatestProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        raise NotImplementedError("the latest provider is not written yet")
