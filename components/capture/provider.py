"""Placeholder: the capture provider is not implemented yet (issue 3). It refuses to run against Azure."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, ResourceProvider


class CaptureProvider(ResourceProvider):
    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        raise NotImplementedError("the capture step is not implemented yet; `pulumi up` cannot capture the builder VM")
