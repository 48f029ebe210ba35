"""Storage account and container policies: a passing and failing resource each, as the engine sends them."""

from __future__ import annotations

import pytest

from tests.policies.helpers import assert_message_shape, only, run, single, with_changes
from tests.policies.stack import DELETE, UNKNOWN, changed, dev_stack, secret

SA = dev_stack()["sa"]


@pytest.mark.parametrize(
    ("path", "value", "policy", "fragments"),
    [
        ("kind", "Storage", "storage-account-standard-gpv2", ['kind "Storage"', 'set kind to "StorageV2"']),
        ("kind", "BlockBlobStorage", "storage-account-standard-gpv2", ['kind "BlockBlobStorage"']),
        ("sku.name", "Premium_LRS", "storage-account-standard-gpv2", ['sku.name "Premium_LRS"', "Standard_LRS"]),
        ("enableHttpsTrafficOnly", False, "storage-account-https-only", ["enableHttpsTrafficOnly false"]),
        ("minimumTlsVersion", "TLS1_0", "storage-account-min-tls", ['minimumTlsVersion "TLS1_0"', "TLS1_2"]),
        ("minimumTlsVersion", DELETE, "storage-account-min-tls", ["minimumTlsVersion not set"]),
        ("allowBlobPublicAccess", True, "storage-account-no-public-blob-access", ["allowBlobPublicAccess true"]),
        ("allowBlobPublicAccess", DELETE, "storage-account-no-public-blob-access", ["allowBlobPublicAccess not set"]),
        ("allowSharedKeyAccess", True, "storage-account-shared-key-disabled", ["allowSharedKeyAccess true"]),
        ("allowSharedKeyAccess", DELETE, "storage-account-shared-key-disabled", ["allowSharedKeyAccess not set"]),
    ],
)
def test_storage_account_violation(path, value, policy, fragments):
    result = single(run(with_changes(sa=changed(SA, path, value))), policy)
    assert result.resource_type == "azure-native:storage:StorageAccount"
    assert result.resource_name == "image" and result.urn == SA.urn and result.stage == "resource"
    assert_message_shape(result, 'storage account "image"', *fragments)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("enableHttpsTrafficOnly", DELETE),  # Azure's default is HTTPS only
        ("minimumTlsVersion", "TLS1_3"),
        ("sku.name", "Standard_ZRS"),
        ("allowBlobPublicAccess", UNKNOWN),  # unknown during preview: nothing to judge yet
    ],
)
def test_storage_account_passes(path, value):
    assert run(with_changes(sa=changed(SA, path, value))).results == []


def test_levels_of_storage_policies():
    report = run(with_changes(sa=changed(changed(SA, "kind", "Storage"), "allowSharedKeyAccess", True)))
    levels = {r.policy_name: r.level for r in report.results}
    assert levels == {"storage-account-standard-gpv2": "mandatory", "storage-account-shared-key-disabled": "advisory"}


def test_secret_wrapped_value_is_checked():
    result = single(run(with_changes(sa=changed(SA, "minimumTlsVersion", secret("TLS1_1")))), "storage-account-min-tls")
    assert 'minimumTlsVersion "TLS1_1"' in result.message


def test_public_container_is_flagged_and_private_one_passes(stack):
    container = stack["container"]
    result = single(
        run(with_changes(container=changed(container, "publicAccess", "Blob"))), "storage-account-no-public-blob-access"
    )
    assert_message_shape(result, 'blob container "vhds"', 'publicAccess "Blob"', 'set publicAccess to "None"')
    assert run(with_changes(container=changed(container, "publicAccess", DELETE))).results == []


def test_options_change_storage_rules():
    lrs = with_changes()
    assert only(
        run(lrs, {"storage-account-standard-gpv2": {"allowedSkus": ["Standard_ZRS"]}}), "storage-account-standard-gpv2"
    )
    assert only(run(lrs, {"storage-account-min-tls": {"minimumTlsVersion": "TLS1_3"}}), "storage-account-min-tls")
