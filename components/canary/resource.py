"""Program side of the canary (see the package docstring): `ImageCanary` and `GalleryLatest`.

INTERFACE CONTRACT shared by the canary-provider and canary-program work (wave 3): field names are wire names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from components.canary.latest import LatestProvider
from components.canary.provider import CanaryProvider
from components.common.progress import URN_KEY
from components.naming import own_urn


@dataclass
class ImageCanaryArgs:
    """The canary's inputs."""

    account_id: pulumi.Input[str]  # the Batch account's ARM id: the canary pool is created and deleted through ARM
    account_endpoint: pulumi.Input[str]  # accountEndpoint: nodes, the job and its task are data-plane calls
    image_version: str  # image.version (names the canary pool; a new version replaces the canary)
    image_version_id: pulumi.Input[str]  # the gallery image version's ARM id the canary pool boots
    # The canary pool's ARM body {"identity": ..., "properties": {...}} (API 2024-07-01): the first pool's network,
    # identity, start task, node agent and security settings with image_version_id, canary vmSize, one node (Spot or
    # dedicated). The provider adds its own name and metadata.
    pool_body: pulumi.Input[dict[str, Any]]
    command: str  # image.canary.command: the job's one task; exit code 0 passes
    timeout: str  # image.canary.timeout (ISO 8601): from the pool's creation until the task has ended

    def props(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "account_endpoint": self.account_endpoint,
            "image_version": self.image_version,
            "image_version_id": self.image_version_id,
            "pool_body": self.pool_body,
            "command": self.command,
            "timeout": self.timeout,
        }


class ImageCanary(pulumi.dynamic.Resource, module="canary", name="ImageCanary"):
    """Boots one node on the new version and runs the canary command. Outputs (besides its inputs):
    `passed` (bool), `failure` (str, "" when passed: the one message), `pool_name` (the canary pool's id; deleted
    when passed, kept for inspection when failed), `node_minutes` (float), `job_id` (the canary's job when its delete
    failed, so that `pulumi destroy` tries again; "" otherwise)."""

    passed: pulumi.Output[bool]
    failure: pulumi.Output[str]
    pool_name: pulumi.Output[str]
    image_version_id: pulumi.Output[str]
    node_minutes: pulumi.Output[float]
    job_id: pulumi.Output[str]

    def __init__(self, name: str, args: ImageCanaryArgs, opts: pulumi.ResourceOptions | None = None):
        own = {URN_KEY: own_urn(name, CANARY_TYPE, opts)}
        outputs = {"passed": None, "failure": None, "pool_name": None, "node_minutes": None, "job_id": None}
        super().__init__(CanaryProvider(), name, {**args.props(), **outputs, **own}, opts)


@dataclass
class GalleryLatestArgs:
    """Which of the gallery image's versions `latest` may resolve to."""

    image_definition_id: pulumi.Input[str]  # the gallery image (definition) ARM id
    latest_version: pulumi.Input[str]  # the one version not excluded from latest (a version whose canary passed)
    versions: list[str]  # every version this stack declares in the gallery: all but latest_version are excluded

    def props(self) -> dict[str, Any]:
        return {
            "image_definition_id": self.image_definition_id,
            "latest_version": self.latest_version,
            "versions": self.versions,
        }


class GalleryLatest(pulumi.dynamic.Resource, module="canary", name="GalleryLatest"):
    """Sets each version's publishingProfile.excludeFromLatest (PATCH, only where Azure differs). Outputs: its inputs
    and `excluded` (the versions Azure has excluded, as last read)."""

    excluded: pulumi.Output[list[str]]

    def __init__(self, name: str, args: GalleryLatestArgs, opts: pulumi.ResourceOptions | None = None):
        own = {URN_KEY: own_urn(name, LATEST_TYPE, opts)}
        super().__init__(LatestProvider(), name, {**args.props(), "excluded": None, **own}, opts)


# The type tokens the engine and the offline plan see.
CANARY_TYPE = "pulumi-python:dynamic/canary:ImageCanary"
LATEST_TYPE = "pulumi-python:dynamic/canary:GalleryLatest"
