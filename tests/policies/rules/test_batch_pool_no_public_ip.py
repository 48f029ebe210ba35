"""batch-pool-no-public-ip: pool nodes get no public IP address (advisory; mandatory through the pack config)."""

from __future__ import annotations

from tests.policies.helpers import (
    DELETE,
    UNKNOWN,
    assert_guidance,
    assert_message_shape,
    changed,
    run,
    single,
    stack_with,
)

NAME = "batch-pool-no-public-ip"
PROVISION = "networkConfiguration.publicIPAddressConfiguration.provision"


def test_a_pool_without_network_configuration_gets_batch_managed_public_ips(baseline):
    pool = changed(baseline["pools-render"], "networkConfiguration", DELETE)
    result = single(run(stack_with(baseline, pool)), NAME)
    assert result.level == "advisory" and result.urn == pool.urn
    assert_message_shape(result, 'Batch pool "pools-render"', f"no {PROVISION}", "BatchManaged", "NoPublicIPAddresses")
    assert_guidance(
        NAME, "pools[].publicIPs: None", "NAT gateway or firewall", '"batch-pool-no-public-ip": "mandatory"'
    )


def test_batch_managed_public_ips_in_a_subnet_are_reported(baseline):
    pool = changed(baseline["pools-burst"], PROVISION, "BatchManaged")
    result = single(run(stack_with(baseline, pool)), NAME)
    assert result.urn == pool.urn
    assert_message_shape(result, f'{PROVISION} "BatchManaged"')


def test_the_pack_config_makes_it_mandatory(baseline):
    stack = stack_with(baseline, changed(baseline["pools-render"], PROVISION, "UserManaged"))
    result = single(run(stack, {NAME: "mandatory"}), NAME)
    assert result.level == "mandatory"
    assert run(stack, {NAME: "disabled"}).for_policy(NAME) == []


def test_unknown_provisioning_in_preview_is_not_judged(baseline):
    assert run(stack_with(baseline, changed(baseline["pools-render"], PROVISION, UNKNOWN))).for_policy(NAME) == []
    unknown_network = changed(baseline["pools-render"], "networkConfiguration", UNKNOWN)
    assert run(stack_with(baseline, unknown_network)).for_policy(NAME) == []


def test_the_dev_stack_pools_are_reported_once_each(dev):
    results = run(dev).for_policy(NAME)
    assert sorted(r.urn for r in results) == sorted(dev[n].urn for n in ("pools-render", "pools-burst"))
    assert all(r.level == "advisory" for r in results)
