"""Azure SDK retry policies whose waits end when the Pulumi engine stops the provider.

azure-core's `RetryPolicy` (ARM clients) waits out a 429/5xx's Retry-After, or its back-off, in one
`transport.sleep`; azure-storage-blob's `ExponentialRetry` sleeps its back-off (15 s, then 18 s, 24 s, ...) the same
way. Neither sleep can be interrupted, so a throttled request (ARM asks for a minute or more) would hold a provider
past the engine's 5-second grace after SIGINT, and SIGKILL would cut its clean-up short without a word. These
subclasses keep the SDKs' retry decisions (which statuses, how many times, how long) and only replace the sleep:
it waits in slices of `stopping.CHECK_SECONDS`, and once the process is stopping it raises `interrupted(...)` (the
caller's own error type, saying which request it gave up) instead of waiting or retrying.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline.policies import RetryPolicy
from azure.storage.blob import ExponentialRetry

from components.common.stopping import engine_cancelled, sleep_unless_stopped

Interruption = Callable[[str], Exception]  # builds the error raised when the provider stops, from what it gave up


class _StopAware:
    """What both policies take besides the SDK's settings: the error to raise, and how to tell the provider stops."""

    def __init__(
        self, *, interrupted: Interruption, stopped: Callable[[], bool] = engine_cancelled, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)  # the SDK policy's own settings (the next class in the MRO)
        self._interrupted, self._stopped = interrupted, stopped


class StopAwareRetryPolicy(_StopAware, RetryPolicy):
    """azure-core's RetryPolicy (Retry-After, else exponential back-off) whose sleep ends when the provider stops."""

    def sleep(self, settings: dict[str, Any], _transport: Any, response: Any = None) -> None:
        retry_after = self.get_retry_after(response) if response is not None else None
        seconds = retry_after if retry_after else self.get_backoff_time(settings)
        _wait(seconds, self._stopped, self._interrupted, _gave_up(response, seconds))


class StopAwareBlobRetry(_StopAware, ExponentialRetry):
    """azure-storage-blob's default retry (exponential back-off from 15 s) whose sleep ends when the provider stops."""

    def sleep(self, settings: dict[str, Any], _transport: Any) -> None:
        seconds = self.get_backoff_time(settings)
        _wait(seconds, self._stopped, self._interrupted, f"stopped retrying a blob request (next try in {seconds:g} s)")


def _wait(seconds: float, stopped: Callable[[], bool], interrupted: Interruption, gave_up: str) -> None:
    if seconds and seconds > 0:
        sleep_unless_stopped(seconds, stopped, lambda: interrupted(gave_up))


def _gave_up(response: Any, seconds: float) -> str:
    """`stopped retrying POST /subscriptions/.../revokeAccess (HTTP 429, Retry-After 60 s)`: no query string (a SAS)."""
    if response is None:
        return f"stopped retrying a request that got no answer (next try in {seconds:g} s)"
    request, answer = response.http_request, response.http_response
    return (
        f"stopped retrying {request.method} {urlsplit(request.url).path} "
        f"(HTTP {answer.status_code}, next try in {seconds:g} s)"
    )
