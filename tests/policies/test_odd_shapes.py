"""A policy that raises on an unexpected shape makes `pulumi preview` fail with a stack trace instead of a message.
Every policy must survive values of the wrong type anywhere in the resources it reads."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from pulumi.runtime.rpc import _special_sig_key

from tests.policies.helpers import new, run

ODD_VALUES = [42, "x", [], {}, True, None, [{"a": 1}]]


def _everywhere(value: Any, odd: Any, top_level: bool) -> Any:
    if isinstance(value, dict):
        # A signature (secret, resource reference) is the engine's, never odd: only what it wraps may be.
        return {
            k: v if k == _special_sig_key else odd if top_level else _everywhere(v, odd, False)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_everywhere(v, odd, False) for v in value]
    return odd


@pytest.mark.parametrize("top_level", [True, False], ids=["top-level", "leaves"])
@pytest.mark.parametrize("odd", ODD_VALUES, ids=repr)
def test_no_policy_crashes_on_odd_values(dev, odd, top_level):
    # Plus resources the program does not register but policies read (access policies, extensions).
    foreign = [
        new("azure-native:keyvault:AccessPolicy", "access", {"vaultName": "v", "policy": {"objectId": "o"}}),
        new("azure-native:compute:VirtualMachineExtension", "ext", {"vmName": "builder-vm", "type": "CustomScript"}),
    ]
    stack = {
        key: replace(
            r, inputs=_everywhere(dict(r.inputs), odd, top_level), outputs=_everywhere(dict(r.outputs), odd, top_level)
        )
        for key, r in {**dev, **{r.name: r for r in foreign}}.items()
    }
    report = run(stack)  # raises if a policy does
    assert all(r.message and r.policy_name for r in report.results)
