"""Is each pool's node agent SKU offered by Batch (`list_supported_images`) and not past its end of life?"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from azure.batch.models import BatchSupportedImage

from tools.smoke.errors import ExitCode, SmokeError
from tools.smoke.outputs import PoolTarget

EOL_WARNING_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class SkuStatus:
    sku: str
    end_of_life: datetime | None  # None: no end of life announced for at least one image of the SKU
    warning: str | None = None


def sku_end_of_life(images: Iterable[BatchSupportedImage]) -> dict[str, datetime | None]:
    """Per SKU, the latest end of life among its images (None when one of them has none)."""
    result: dict[str, datetime | None] = {}
    for image in images:
        eol = image.batch_support_end_of_life
        if image.node_agent_sku_id not in result:
            result[image.node_agent_sku_id] = eol
            continue
        known = result[image.node_agent_sku_id]
        result[image.node_agent_sku_id] = None if known is None or eol is None else max(known, eol)
    return result


def check_pool_skus(
    pools: Iterable[PoolTarget], end_of_life: dict[str, datetime | None], now: datetime
) -> list[SkuStatus]:
    statuses = []
    for pool in pools:
        sku = pool.node_agent_sku_id
        if sku not in end_of_life:
            offered = ", ".join(sorted(end_of_life)) or "none"
            raise SmokeError(
                ExitCode.UNSUPPORTED_SKU,
                f"pool '{pool.pool_id}': node agent SKU '{sku}' is not supported by this Batch account "
                f"(supported: {offered})",
            )
        eol = end_of_life[sku]
        if eol is not None and eol <= now:
            raise SmokeError(
                ExitCode.UNSUPPORTED_SKU,
                f"pool '{pool.pool_id}': node agent SKU '{sku}' reached its Batch end of life on {eol:%Y-%m-%d}; "
                "rebuild the image on a supported base and change nodeAgentSkuId",
            )
        warning = None
        if eol is not None and eol - now <= EOL_WARNING_WINDOW:
            warning = f"node agent SKU '{sku}' reaches its Batch end of life on {eol:%Y-%m-%d}"
        statuses.append(SkuStatus(sku=sku, end_of_life=eol, warning=warning))
    return statuses
