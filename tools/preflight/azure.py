"""The calls `make preflight` sends: every one a read (GET), through the Azure SDKs, or azure-core for Graph.

- resource providers: azure-mgmt-resource `ResourceManagementClient.providers.get` (Providers_Get);
- sizes and their families, vCPUs and restrictions: azure-mgmt-compute `resource_skus.list(filter="location eq ...")`
  (ResourceSkus_List);
- vCPU quotas: azure-mgmt-compute `usage.list(location)` (Usage_List);
- the marketplace base image: azure-mgmt-compute `virtual_machine_images.get` (a pinned version) or `.list(top=1,
  orderby="name desc")` (latest) (VirtualMachineImages_Get / _List);
- Batch's supported images: the Batch *data plane* `Account_ListSupportedImages` (azure-batch
  `BatchClient.list_supported_images`). The management plane has no such call (azure-mgmt-batch 19.0.0 `location`
  offers get_quotas, list_supported_virtual_machine_skus and check_name_availability only), and the data plane needs
  an account: the check runs against the account given with --batch-endpoint;
- the deployer's permissions: azure-mgmt-authorization `permissions.list_for_resource_group`
  (Permissions_ListForResourceGroup);
- the Batch service principal: Microsoft Graph `GET /v1.0/servicePrincipals?$filter=appId eq '...'`, sent through an
  azure-core pipeline (bearer token, retries): no Graph SDK is pinned, and this one request needs none.

Endpoints are overridable for the tests' local fakes (flags of `python -m tools.preflight`, see cli.py); the
loopback test credential is refused unless every endpoint is a loopback address.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, HeadersPolicy, RetryPolicy, UserAgentPolicy
from azure.core.rest import HttpRequest

from components.common.loopback import LoopbackTestCredential, is_loopback_url
from tools.preflight.errors import ExitCode, PreflightError

PUBLIC_ARM = "https://management.azure.com"
PUBLIC_GRAPH = "https://graph.microsoft.com"
CREDENTIAL_KINDS = ("default", "loopback")


@dataclass(frozen=True)
class Endpoints:
    arm: str = PUBLIC_ARM
    graph: str = PUBLIC_GRAPH
    batch: str | None = None  # a Batch account's endpoint, for the supported-images check
    ca_bundle: str | None = None

    @property
    def verify(self) -> str | bool:
        return self.ca_bundle or True

    def scope(self, endpoint: str) -> str:
        return f"{endpoint.rstrip('/')}/.default"


def make_credential(kind: str, endpoints: Endpoints) -> TokenCredential:
    if kind == "loopback":
        urls = [endpoints.arm, endpoints.graph] + ([endpoints.batch] if endpoints.batch else [])
        outside = [url for url in urls if not is_loopback_url(url)]
        if outside:
            raise PreflightError(
                ExitCode.BAD_INPUT,
                f"credential 'loopback' is for local test fakes only; {', '.join(outside)} is not a loopback address",
            )
        return LoopbackTestCredential()
    if kind == "default":
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential(connection_verify=endpoints.verify)
    raise PreflightError(ExitCode.BAD_INPUT, f"--credential '{kind}' is not one of {', '.join(CREDENTIAL_KINDS)}")


class Subscription:
    """The subscription as the checks read it; one client per service, made on first use, closed with `close`."""

    def __init__(self, credential: TokenCredential, subscription_id: str, endpoints: Endpoints) -> None:
        self.credential = credential
        self.subscription_id = subscription_id
        self.endpoints = endpoints
        self._stack = ExitStack()
        self._clients: dict[str, Any] = {}

    def close(self) -> None:
        self._stack.close()

    def _arm_options(self) -> dict[str, Any]:
        return {
            "base_url": self.endpoints.arm,
            "credential_scopes": [self.endpoints.scope(self.endpoints.arm)],
            "connection_verify": self.endpoints.verify,
        }

    def _client(self, name: str) -> Any:
        if name not in self._clients:
            if name == "compute":
                from azure.mgmt.compute import ComputeManagementClient

                client: Any = ComputeManagementClient(self.credential, self.subscription_id, **self._arm_options())
            elif name == "resource":
                from azure.mgmt.resource.resources import ResourceManagementClient

                client = ResourceManagementClient(self.credential, self.subscription_id, **self._arm_options())
            elif name == "authorization":
                from azure.mgmt.authorization import AuthorizationManagementClient

                client = AuthorizationManagementClient(self.credential, self.subscription_id, **self._arm_options())
            elif name == "graph":
                client = PipelineClient(
                    base_url=self.endpoints.graph,
                    policies=[
                        HeadersPolicy({"Accept": "application/json"}),
                        UserAgentPolicy(sdk_moniker="batch-custom-image-preflight"),
                        RetryPolicy(),
                        BearerTokenCredentialPolicy(self.credential, self.endpoints.scope(self.endpoints.graph)),
                    ],
                    connection_verify=self.endpoints.verify,
                )
            else:  # batch
                from azure.batch import BatchClient

                options: dict[str, Any] = {"connection_verify": self.endpoints.verify}
                client = BatchClient(str(self.endpoints.batch), self.credential, **options)
            self._clients[name] = self._stack.enter_context(client)
        return self._clients[name]

    # --- the reads ---------------------------------------------------------------------------------------------

    def provider_state(self, namespace: str) -> str:
        return str(self._client("resource").providers.get(namespace).registration_state or "NotRegistered")

    def vm_skus(self, location: str) -> list[Any]:
        skus = self._client("compute").resource_skus.list(filter=f"location eq '{location}'")
        return [sku for sku in skus if (sku.resource_type or "").lower() == "virtualmachines"]

    def usages(self, location: str) -> list[Any]:
        return list(self._client("compute").usage.list(location))

    def image_version_exists(self, location: str, publisher: str, offer: str, sku: str, version: str) -> bool:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self._client("compute").virtual_machine_images.get(location, publisher, offer, sku, version)
        except ResourceNotFoundError:
            return False
        return True

    def latest_image_version(self, location: str, publisher: str, offer: str, sku: str) -> str | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            found = self._client("compute").virtual_machine_images.list(
                location, publisher, offer, sku, top=1, orderby="name desc"
            )
        except ResourceNotFoundError:
            return None
        return str(found[0].name) if found else None

    def permissions(self, resource_group: str) -> list[Any]:
        return list(self._client("authorization").permissions.list_for_resource_group(resource_group))

    def service_principals(self, app_id: str) -> list[dict[str, Any]]:
        request = HttpRequest(
            "GET",
            f"{self.endpoints.graph}/v1.0/servicePrincipals",
            params={"$filter": f"appId eq '{app_id}'", "$select": "id,appId"},
        )
        response = self._client("graph").send_request(request)
        response.raise_for_status()
        return list(response.json().get("value", []))

    def supported_images(self) -> list[Any]:
        return list(self._client("batch").list_supported_images())


@contextmanager
def open_subscription(
    credential: TokenCredential, subscription_id: str, endpoints: Endpoints
) -> Iterator[Subscription]:
    subscription = Subscription(credential, subscription_id, endpoints)
    try:
        yield subscription
    finally:
        subscription.close()
