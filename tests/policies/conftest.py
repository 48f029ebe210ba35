"""Fixtures for the policy pack tests: the program's dev stack as records keyed by resource name."""

from __future__ import annotations

import pytest

from tests.policies.helpers import Stack, changed, stack_with
from tests.policies.program import ProgramRun, run_program

VMC = "deploymentConfiguration.virtualMachineConfiguration"
SUBNET_ID = (
    "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/network/providers/Microsoft.Network/"
    "virtualNetworks/hub/subnets/batch"
)


@pytest.fixture(scope="session")
def dev_run() -> ProgramRun:
    """The dev stack as the program registers it (tools/plan/offline.py), once per session."""
    return run_program()


@pytest.fixture(scope="session")
def dev(dev_run: ProgramRun) -> Stack:
    """The dev stack's records by resource name, as the program registers them (its deliberate advisories: see
    tests/policies/test_program_policies.py DEV_ADVISORIES)."""
    return {r.name: r for r in dev_run.resources}


@pytest.fixture(scope="session")
def baseline(dev: Stack) -> Stack:
    """The dev stack with its deliberate advisories fixed, so that it passes every policy and each test changes one
    thing: shared-key storage open to every network, the public Batch endpoint, unencrypted pool disks (see the
    program's README), a Key Vault open to every network, pool nodes with public IP addresses (no subnet) and a builder
    VM without encryption at host (it needs a subscription feature registered)."""
    pools = [
        changed(
            changed(p, f"{VMC}.diskEncryptionConfiguration", {"targets": ["TemporaryDisk"]}),
            "networkConfiguration",
            {"subnetId": SUBNET_ID, "publicIPAddressConfiguration": {"provision": "NoPublicIPAddresses"}},
        )
        for p in dev.values()
        if p.typ == "azure-native:batch:Pool"
    ]
    account = changed(dev["image-storage-account"], "allowSharedKeyAccess", False)
    account = changed(account, "networkRuleSet", {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": []})
    vault = changed(dev["batch-vault"], "properties.networkAcls", {"defaultAction": "Deny", "bypass": "AzureServices"})
    vault = changed(vault, "properties.publicNetworkAccess", "Disabled")
    builders = [
        changed(vm, "securityProfile", {"encryptionAtHost": True})
        for vm in dev.values()
        if vm.typ == "azure-native:compute:VirtualMachine"
    ]
    account_endpoint = changed(dev["batch-account"], "publicNetworkAccess", "Disabled")
    return stack_with(dev, account, vault, account_endpoint, *builders, *pools)
