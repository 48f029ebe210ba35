"""Azure client construction for the capture step. Built per provider call, never stored on the pickled provider."""

from __future__ import annotations

from azure.core.credentials import TokenCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.core.polling.arm_polling import ARMPolling

from components.capture.environment import Endpoints
from components.capture.interrupt import Interrupted
from components.common.retry import StopAwareBlobRetry, StopAwareRetryPolicy


def compute_client(endpoints: Endpoints, cred: TokenCredential, subscription_id: str) -> ComputeManagementClient:
    return ComputeManagementClient(
        cred,
        subscription_id,
        base_url=endpoints.arm_endpoint,
        credential_scopes=[endpoints.arm_scope],
        connection_verify=endpoints.verify,
        retry_policy=arm_retry(endpoints),
        polling_interval=endpoints.poll_seconds,
    )


# Every client the capture builds retries with these policies: the SDKs' own, except that a retry's wait (ARM's
# Retry-After on a 429 can be minutes) ends with `Interrupted` as soon as the engine stops the provider.


def arm_retry(endpoints: Endpoints) -> StopAwareRetryPolicy:
    return StopAwareRetryPolicy(interrupted=_interrupted, retry_backoff_factor=endpoints.retry_backoff_seconds)


def blob_retry() -> StopAwareBlobRetry:
    return StopAwareBlobRetry(interrupted=_interrupted)


def _interrupted(gave_up: str) -> Interrupted:
    return Interrupted(f"{gave_up} because the Pulumi engine is stopping the provider (Ctrl-C or a cancelled update)")


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
