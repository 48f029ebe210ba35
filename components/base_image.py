"""The builder's base image, pinned: `baseImage.version: latest` resolved to the marketplace's current version.

The resolved version goes to the builder VM and into the image's content fingerprint (components/image_content.py),
so a new marketplace version is a content change that `pulumi preview` refuses under an image version already built,
instead of a silent rebuild. azure-native has no lookup of marketplace image versions; pulumi-azure (the classic
provider) has one, `compute.get_platform_image`, and is used for nothing else. Its provider is declared explicitly:
the subscription from azure-native's client config, and no resource provider registration (it only reads). The lookup
is sent as that SDK function sends it, without loading the classic SDK's compute package (components/invokes.py).
"""

from __future__ import annotations

import pulumi
import pulumi_azure as classic

from components.invokes import platform_image_version
from components.settings import Builder


async def pinned_builder(name: str, builder: Builder, location: str, subscription_id: pulumi.Input[str]) -> Builder:
    """`builder` with its base image version concrete (unchanged when the configuration names one)."""
    base = builder.base_image
    if base.version != "latest":
        return builder
    lookup = classic.Provider(name, subscription_id=subscription_id, resource_provider_registrations="none")
    image_version = platform_image_version(
        location=location,
        publisher=base.publisher,
        offer=base.offer,
        sku=base.sku,
        opts=pulumi.InvokeOutputOptions(provider=lookup),
    )
    version = await image_version.future()
    if not version:
        raise ValueError(f"no marketplace version found for {base.publisher}:{base.offer}:{base.sku} in {location}")
    return builder.model_copy(update={"base_image": base.model_copy(update={"version": version})})
