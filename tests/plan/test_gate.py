"""The compatibility gate and the support windows through `make plan` (issue 19): a wrong stack exits 1 with the
gate's rule in the JSON, the right one exits 0; the support window before and after its date through asOf."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.plan import cli
from tools.plan.offline import run_program

ROOT = Path(__file__).resolve().parents[2]
DEV_STACK = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
GATE = "batch-pool-image-compatible"


def _plan(
    tmp_path: Path,
    image: dict[str, Any] | None = None,
    *,
    pools: dict[str, Any] | None = None,
    policy_config: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Plan the dev stack with the image settings and every pool's settings changed as given; the exit code and the
    JSON document."""
    document = json.loads(json.dumps(DEV_STACK))
    config = document["config"]
    config["batch-custom-image:image"] = {**config["batch-custom-image:image"], **(image or {})}
    config["batch-custom-image:pools"] = [{**p, **(pools or {})} for p in config["batch-custom-image:pools"]]
    stack = tmp_path / "Pulumi.variant.yaml"
    stack.write_text(yaml.safe_dump(document))
    target = tmp_path / "plan.json"
    argv = ["--stack", "variant", "--stack-file", str(stack), "--graph", "none", "--json", str(target)]
    if policy_config is not None:
        (tmp_path / "policy.json").write_text(
            json.dumps({**json.loads((ROOT / "policies/config.dev.json").read_text()), **policy_config})
        )
        argv += ["--policy-pack-config", str(tmp_path / "policy.json")]
    code = cli.main(argv)
    return code, json.loads(target.read_text())


def _gate(plan: dict[str, Any]) -> list[str]:
    return sorted(r["message"] for r in plan["policies"]["mandatory"] if r["policy"] == GATE)


def _mandatory_policies(plan: dict[str, Any]) -> set[str]:
    return {r["policy"] for r in plan["policies"]["mandatory"]}


def test_arm64_size_with_an_x64_image_exits_1(tmp_path: Path) -> None:
    code, plan = _plan(tmp_path, pools={"vmSize": "Standard_D4ps_v6"})
    assert code == 1 and plan["exitCode"] == 1 and _mandatory_policies(plan) == {GATE}
    messages = _gate(plan)
    assert len(messages) == 2 and all("[architecture]" in m and 'architecture "x64"' in m for m in messages)


def test_trusted_launch_image_on_a_generation_1_only_size_exits_1(tmp_path: Path) -> None:
    code, plan = _plan(tmp_path, {"securityType": "TrustedLaunch"}, pools={"vmSize": "Standard_A4_v2"})
    assert code == 1 and _mandatory_policies(plan) == {GATE}
    messages = " ".join(_gate(plan))
    assert "[vm-generation]" in messages and "[security-type]" in messages and "Standard_A4_v2" in messages


def test_trusted_launch_image_on_a_size_with_it_exits_0(tmp_path: Path) -> None:
    code, plan = _plan(tmp_path, {"securityType": "TrustedLaunch"}, pools={"vmSize": "Standard_D4s_v5"})
    assert code == 0 and plan["policies"]["mandatory"] == []


def test_node_agent_of_another_release_exits_1(tmp_path: Path) -> None:
    code, plan = _plan(tmp_path, pools={"nodeAgentSkuId": "batch.node.ubuntu 22.04"})
    assert code == 1 and _mandatory_policies(plan) == {GATE}
    assert all("[node-agent-release]" in m and "Canonical/ubuntu-24_04-lts" in m for m in _gate(plan))


def test_an_unknown_size_is_an_advisory_not_a_pass(tmp_path: Path) -> None:
    code, plan = _plan(tmp_path, pools={"vmSize": "Standard_E4bds_v5"})
    assert code == 0
    unchecked = [r for r in plan["policies"]["advisory"] if r["policy"] == "batch-pool-vm-size-unchecked"]
    assert len(unchecked) == 2 and "Standard_E4bds_v5" in unchecked[0]["message"]


@pytest.mark.parametrize(("as_of", "code", "ended"), [("2027-06-30", 0, False), ("2027-07-01", 1, True)])
def test_support_window_before_and_after_its_date(tmp_path: Path, as_of: str, code: int, ended: bool) -> None:
    base = {
        "publisher": "Canonical",
        "offer": "0001-com-ubuntu-server-jammy",
        "sku": "22_04-lts-gen2",
        "version": "latest",
    }
    image = {"builder": {**DEV_STACK["config"]["batch-custom-image:image"]["builder"], "baseImage": base}}
    windows = {"asOf": as_of}
    found, plan = _plan(
        tmp_path,
        image,
        pools={"nodeAgentSkuId": "batch.node.ubuntu 22.04"},
        policy_config={"batch-pool-support-window": windows, "batch-pool-node-agent-end-of-life": windows},
    )
    assert found == code and _mandatory_policies(plan) == ({"batch-pool-support-window"} if ended else set())
    nearest = plan["supportWindows"]["nearest"]
    assert plan["supportWindows"]["asOf"] == as_of
    assert nearest["end"] == "2027-06-30" and nearest["ended"] is ended and "batch.node.ubuntu 22.04" in nearest["what"]
    warned = [r for r in plan["policies"]["advisory"] if r["policy"] == "batch-pool-node-agent-end-of-life"]
    assert len(warned) == (0 if ended else 2)


def test_the_dev_stack_has_no_end_date_and_lists_the_pending_api_retirement(tmp_path: Path) -> None:
    code, plan = _plan(tmp_path)
    assert code == 0 and plan["supportWindows"]["nearest"] is None
    assert [p["source"] for p in plan["supportWindows"]["pending"]] == ["https://github.com/Azure/Batch/issues/140"]


def test_the_arm64_stack_plans_with_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["--stack", "arm64", "--graph", "none"])
    out = capsys.readouterr().out
    assert code == 0 and "PASS: no mandatory violation" in out and "mandatory: 0" in out
    run = run_program(stack="arm64")
    definition = run.one("azure-native:compute:GalleryImage")
    assert definition.inputs["architecture"] == "Arm64"
    builder = run.one("azure-native:compute:VirtualMachine")
    assert builder.inputs["hardwareProfile"]["vmSize"] == "Standard_D2ps_v6"
    assert builder.inputs["storageProfile"]["imageReference"]["sku"] == "server-arm64"


def test_an_arm64_image_on_an_x64_pool_size_exits_1(tmp_path: Path) -> None:
    code, plan = _plan(tmp_path, {"architecture": "Arm64", "builder": {"vmSize": "Standard_D2ps_v6"}})
    assert code == 1 and _mandatory_policies(plan) == {GATE}
    assert all("[architecture]" in m and 'architecture "Arm64"' in m for m in _gate(plan))


def test_an_nvme_only_v6_pool_gets_a_definition_declaring_nvme_and_plans_with_exit_0(tmp_path: Path) -> None:
    # Before the program declared DiskControllerTypes itself, this stack exited 1 on the gate's [disk-controller].
    code, plan = _plan(tmp_path, pools={"vmSize": "Standard_D8s_v6"})
    assert code == 0 and plan["policies"]["mandatory"] == []
    overrides = {"pools": [{**p, "vmSize": "Standard_D8s_v6"} for p in DEV_STACK["config"]["batch-custom-image:pools"]]}
    features = run_program(overrides).one("azure-native:compute:GalleryImage").inputs["features"]
    assert {"name": "DiskControllerTypes", "value": "SCSI, NVMe"} in features


def test_an_nvme_only_v6_pool_on_a_definition_kept_at_scsi_exits_1(tmp_path: Path) -> None:
    code, plan = _plan(tmp_path, {"diskControllerTypes": "SCSI"}, pools={"vmSize": "Standard_D8s_v6"})
    assert code == 1 and _mandatory_policies(plan) == {GATE}
    assert all("[disk-controller]" in m and "Standard_D8s_v6" in m for m in _gate(plan))
