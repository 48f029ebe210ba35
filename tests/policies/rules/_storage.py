"""The storage account cases every storage-account-* test module shares: one changed property, one policy fired."""

from __future__ import annotations

from typing import Any

from tests.policies.helpers import Stack, assert_message_shape, changed, run, single, stack_with

SA = "image-storage-account"


def assert_violation(baseline: Stack, path: str, value: Any, policy: str, *fragments: str) -> None:
    account = changed(baseline[SA], path, value)
    result = single(run(stack_with(baseline, account)), policy)
    assert result.resource_type == "azure-native:storage:StorageAccount"
    assert result.resource_name == SA and result.urn == account.urn and result.stage == "resource"
    assert_message_shape(result, f'storage account "{SA}"', *fragments)


def assert_passes(baseline: Stack, path: str, value: Any) -> None:
    assert run(stack_with(baseline, changed(baseline[SA], path, value))).results == []
