"""Azure client construction for the capture step. Built per provider call, never stored on the pickled provider."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.identity import DefaultAzureCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.core.polling.arm_polling import ARMPolling
from azure.storage.blob import BlobServiceClient

from components.capture.environment import Endpoints

STORAGE_SCOPE = "https://storage.azure.com/.default"


class LoopbackTestCredential:
    """Unsigned JWTs for the local fakes (fake ARM, Azurite). `environment` only allows it for loopback endpoints."""

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        now = int(time.time())
        audience = (scopes[0] if scopes else STORAGE_SCOPE).removesuffix("/.default")
        claims = {
            "aud": audience,
            "iss": "https://sts.windows.net/00000000-0000-0000-0000-000000000000/",
            "iat": now,
            "nbf": now - 60,
            "exp": now + 3600,
            "oid": "00000000-0000-0000-0000-00000000c0de",
        }
        return AccessToken(f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.", now + 3600)

    def close(self) -> None:
        pass


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def credential(endpoints: Endpoints) -> TokenCredential:
    if endpoints.fake_credential:
        return LoopbackTestCredential()
    return DefaultAzureCredential(connection_verify=endpoints.verify)


def compute_client(endpoints: Endpoints, cred: TokenCredential, subscription_id: str) -> ComputeManagementClient:
    return ComputeManagementClient(
        cred,
        subscription_id,
        base_url=endpoints.arm_endpoint,
        credential_scopes=[endpoints.arm_scope],
        connection_verify=endpoints.verify,
        retry_backoff_factor=endpoints.retry_backoff_seconds,
        polling_interval=endpoints.poll_seconds,
    )


def blob_service(endpoints: Endpoints, cred: TokenCredential, blob_endpoint: str) -> BlobServiceClient:
    return BlobServiceClient(
        endpoints.blob_endpoint(blob_endpoint),
        credential=cred,
        connection_verify=endpoints.verify,
    )


class RetryAfterARMPolling(ARMPolling):
    """ARMPolling that also waits the Retry-After of the initial 201/202 before its first status request.

    azure-core's base poller asks for the status immediately after the 202; ARM asks clients to wait Retry-After.
    """

    def _poll(self) -> None:
        if not self.finished():
            self._delay()
        super()._poll()


def lro_polling(endpoints: Endpoints) -> RetryAfterARMPolling:
    return RetryAfterARMPolling(endpoints.poll_seconds, path_format_arguments={"endpoint": endpoints.arm_endpoint})
