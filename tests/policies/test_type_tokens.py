"""Explicitly versioned type tokens (`azure-native:<module>/v<date>[preview]:<Type>`) name the same resource types:
every policy, resource and stack, matches them as it matches the default-version tokens."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from tests.policies.helpers import changed, new, run, stack_with
from tools.plan.policy_runner import load_pack

load_pack()  # puts the pack's package on the path

VERSIONED = re.compile(r"^azure-native:([^:/]+):")


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("azure-native:storage/v20230101:StorageAccount", "azure-native:storage:StorageAccount"),
        ("azure-native:batch/v20240701:Pool", "azure-native:batch:Pool"),
        ("azure-native:compute/v20240301preview:VirtualMachine", "azure-native:compute:VirtualMachine"),
        ("azure-native:storage:StorageAccount", "azure-native:storage:StorageAccount"),
        ("pulumi-python:dynamic/capture:GeneralizedImage", "pulumi-python:dynamic/capture:GeneralizedImage"),
        ("azure:compute/extension:Extension", "azure:compute/extension:Extension"),
        ("azure-native:storage/latest:StorageAccount", "azure-native:storage/latest:StorageAccount"),
    ],
)
def test_base_type_drops_only_an_explicit_api_version(token, expected):
    from batch_image_policies._tokens import base_type

    assert base_type(token) == expected


def _versioned(stack, version="v20230101"):
    return {k: replace(r, typ=VERSIONED.sub(rf"azure-native:\1/{version}:", r.typ)) for k, r in stack.items()}


@pytest.mark.parametrize("version", ["v20230101", "v20240301preview"])
def test_every_policy_matches_versioned_tokens(baseline, version):
    # Violations of resource policies (storage, vault, pools) and of stack policies (an extension on the captured
    # builder, a vault in RBAC mode): the same with every azure-native token versioned.
    builder = baseline["builder-vm"]
    extension = new(
        "azure-native:compute:VirtualMachineExtension",
        "setup-script",
        {"vmName": builder.outputs["name"], "type": "CustomScript"},
        {"vmName": builder},
    )
    stack = stack_with(
        baseline,
        changed(baseline["image-storage-account"], "minimumTlsVersion", "TLS1_0"),
        changed(baseline["batch-vault"], "properties.enableRbacAuthorization", True),
        changed(baseline["pools-render"], "scaleSettings.fixedScale.targetDedicatedNodes", 500),
        extension,
    )

    def seen(report):
        return sorted((r.policy_name, r.resource_name, r.level) for r in report.results)

    expected = seen(run(stack))
    assert {p for p, _, _ in expected} >= {
        "storage-account-min-tls",
        "keyvault-batch-access-policy",
        "batch-pool-max-nodes",
        "builder-vm-no-extensions",
    }
    versioned = _versioned(stack, version)
    assert versioned["image-storage-account"].typ == f"azure-native:storage/{version}:StorageAccount"
    assert seen(run(versioned)) == expected
