"""The program's two data-source calls (invokes), sent as their SDK's generated function sends them, without importing
the SDK package that holds the function.

`import pulumi_azuread` loads all of that SDK's modules (its `__init__` star-imports them) and `pulumi_azure.compute`
all of the classic provider's compute modules: about 0.8 s of every `pulumi up`, `pulumi preview` and offline plan,
for two lookups whose result is one string. Each function here sends what the SDK's `get_..._output` sends (the same
token, arguments and invoke options: the provider plugin's version, no download URL) and returns the one field the
program reads. tests/program/test_invokes.py runs each beside its SDK function under mocks and compares the requests
the engine receives, so an SDK upgrade that changes one fails there.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

import pulumi

PLATFORM_IMAGE_TOKEN = "azure:compute/getPlatformImage:getPlatformImage"  # pulumi_azure.compute.get_platform_image
SERVICE_PRINCIPAL_TOKEN = "azuread:index/getServicePrincipal:getServicePrincipal"  # pulumi_azuread


def _sdk_options(distribution: str, opts: pulumi.InvokeOutputOptions | None) -> pulumi.InvokeOutputOptions:
    """The SDK's `_utilities.get_invoke_opts_defaults()` merged with `opts`: its plugin version, no download URL."""
    defaults = pulumi.InvokeOptions(version=importlib.metadata.version(distribution), plugin_download_url=None)
    return pulumi.InvokeOutputOptions.merge(defaults, opts)


def platform_image_version(
    location: str, publisher: str, offer: str, sku: str, opts: pulumi.InvokeOutputOptions | None = None
) -> pulumi.Output[str]:
    """The marketplace's current version of an image: pulumi_azure.compute.get_platform_image_output(...).version."""
    args: dict[str, Any] = {"location": location, "offer": offer, "publisher": publisher, "sku": sku, "version": None}
    result = pulumi.runtime.invoke_output(PLATFORM_IMAGE_TOKEN, args, opts=_sdk_options("pulumi_azure", opts))
    return result.apply(lambda found: str(found.get("version") or ""))


def service_principal_object_id(client_id: str) -> pulumi.Output[str]:
    """A service principal's object id by its app id: pulumi_azuread.get_service_principal_output(...).object_id."""
    args: dict[str, Any] = {"clientId": client_id, "displayName": None, "objectId": None}
    result = pulumi.runtime.invoke_output(SERVICE_PRINCIPAL_TOKEN, args, opts=_sdk_options("pulumi_azuread", None))
    return result.apply(lambda found: str(found["objectId"]))
