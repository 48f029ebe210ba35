"""What `make smoke` checks, read from the stack outputs (`pulumi stack output --json`), a JSON file, or flags."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.common.image_version import is_image_version
from components.common.project import PROJECT_ROOT  # where Pulumi.yaml is, so `pulumi` finds the project
from tools.smoke.errors import ExitCode, SmokeError
from tools.smoke.pool_config import PoolConfig, config_from_output

GALLERY_VERSION_RE = re.compile(r"/galleries/[^/]+/images/[^/]+/versions/(?P<version>[^/]+)$", re.IGNORECASE)
SECRET_PLACEHOLDER = "[secret]"  # what `pulumi stack output --show-secrets=false` prints for a secret
PULUMI_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class PoolTarget:
    name: str  # the pool's key in the `pools` output
    pool_id: str  # the Batch pool id used by the data plane (`poolName` in the output)
    node_agent_sku_id: str
    expected: PoolConfig | None = None  # networking, identities, images from the output; None: not checked


@dataclass(frozen=True)
class SmokeTarget:
    account_endpoint: str  # host (or URL) of the Batch account, e.g. mybatch.westeurope.batch.azure.com
    image_version: str
    pools: tuple[PoolTarget, ...]
    source: str  # where the values came from, for messages


@dataclass(frozen=True)
class OutputFlags:
    """Values given on the command line; each one overrides the stack outputs."""

    account_endpoint: str | None = None
    image_version: str | None = None
    pool_ids: tuple[str, ...] = ()
    node_agent_sku_id: str | None = None


def read_stack_outputs(stack: str) -> dict[str, Any]:
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise SmokeError(
            ExitCode.BAD_INPUT,
            "the Pulumi CLI (`pulumi`) is not on PATH; install it, or pass the outputs with "
            "--outputs FILE (from `pulumi stack output --json`) or --endpoint/--image-version/--pool",
        )
    command = [pulumi, "stack", "output", "--json", "--show-secrets=false", "--stack", stack]
    try:
        result = subprocess.run(
            command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=PULUMI_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired as exc:
        raise SmokeError(ExitCode.BAD_INPUT, f"`pulumi stack output` for stack '{stack}' did not answer") from exc
    if result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip()
        raise SmokeError(ExitCode.BAD_INPUT, f"`pulumi stack output --stack {stack}` failed: {detail}")
    return _parse_json(result.stdout, f"`pulumi stack output --stack {stack}`")


def read_outputs_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise SmokeError(ExitCode.BAD_INPUT, f"--outputs {path}: cannot read the file ({exc.strerror})") from exc
    return _parse_json(text, f"--outputs {path}")


def _parse_json(text: str, source: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SmokeError(ExitCode.BAD_INPUT, f"{source} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SmokeError(ExitCode.BAD_INPUT, f"{source} must be a JSON object of stack outputs")
    return data


def resolve_target(outputs: dict[str, Any], flags: OutputFlags, source: str) -> SmokeTarget:
    endpoint = flags.account_endpoint or _required_string(outputs, "batchAccountEndpoint", source)
    if flags.image_version:
        version = _checked_version(flags.image_version, "--image-version")
    else:
        version = image_version_from_id(_required_string(outputs, "galleryImageVersionId", source))
    pools = _pools_from_flags(flags) if flags.pool_ids else _pools_from_outputs(outputs, source)
    return SmokeTarget(account_endpoint=endpoint, image_version=version, pools=pools, source=source)


def image_version_from_id(version_id: str) -> str:
    match = GALLERY_VERSION_RE.search(version_id)
    if match is None:
        raise SmokeError(
            ExitCode.BAD_INPUT,
            f"stack output galleryImageVersionId='{version_id}' is not a gallery image version id; expected "
            "/subscriptions/…/galleries/<gallery>/images/<definition>/versions/<MAJOR.MINOR.PATCH>",
        )
    return _checked_version(match.group("version"), "galleryImageVersionId")


def _checked_version(version: str, key: str) -> str:
    if not is_image_version(version):
        raise SmokeError(ExitCode.BAD_INPUT, f"{key}='{version}' is not an image version; expected MAJOR.MINOR.PATCH")
    return version


def _required_string(outputs: dict[str, Any], key: str, source: str) -> str:
    value = outputs.get(key)
    if value == SECRET_PLACEHOLDER:
        raise SmokeError(ExitCode.BAD_INPUT, f"stack output '{key}' is a secret; smoke needs it in plain text")
    if not isinstance(value, str) or not value.strip():
        raise SmokeError(
            ExitCode.BAD_INPUT,
            f"stack output '{key}' is missing or empty in {source}; run `pulumi up` for the stack first "
            f"(got {value!r})",
        )
    return value.strip()


def _pools_from_outputs(outputs: dict[str, Any], source: str) -> tuple[PoolTarget, ...]:
    pools = outputs.get("pools")
    if not isinstance(pools, dict) or not pools:
        raise SmokeError(
            ExitCode.BAD_INPUT,
            f"stack output 'pools' is missing or empty in {source}; run `pulumi up` for the stack first "
            f"(expected a map of pool name to {{id, poolName, vmSize, nodeAgentSkuId}}, got {pools!r})",
        )
    return tuple(_pool_from_output(name, entry) for name, entry in sorted(pools.items()))


def _pool_from_output(name: str, entry: Any) -> PoolTarget:
    if not isinstance(entry, dict):
        raise SmokeError(ExitCode.BAD_INPUT, f"stack output pools.{name} must be an object, got {entry!r}")
    values = {}
    for key in ("poolName", "nodeAgentSkuId"):
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            raise SmokeError(ExitCode.BAD_INPUT, f"stack output pools.{name}.{key} is missing or empty (got {value!r})")
        values[key] = value
    return PoolTarget(
        name=name,
        pool_id=values["poolName"],
        node_agent_sku_id=values["nodeAgentSkuId"],
        expected=config_from_output(name, entry),
    )


def _pools_from_flags(flags: OutputFlags) -> tuple[PoolTarget, ...]:
    if not flags.node_agent_sku_id:
        raise SmokeError(
            ExitCode.BAD_INPUT,
            "--pool needs --node-agent-sku-id (e.g. 'batch.node.ubuntu 24.04') to check the SKU's support",
        )
    return tuple(PoolTarget(name=pid, pool_id=pid, node_agent_sku_id=flags.node_agent_sku_id) for pid in flags.pool_ids)
