"""Image sources the tests run the program with, shared by the program's tests and the plan's upgrade tests (the
export tests/data/pulumi-state/dev-vhd-before-publication.json was written by a stack with `VHD_SOURCE`)."""

from __future__ import annotations

from typing import Any

VHD_SOURCE: dict[str, Any] = {
    "source": "vhd",
    "vhdUri": "https://byovhd.blob.core.windows.net/uploads/app-node-1.0.0.vhd",
    "vhdStorageAccountId": (
        "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/uploads/providers/"
        "Microsoft.Storage/storageAccounts/byovhd"
    ),
}
"""An imported VHD (image.source vhd) in another resource group's storage account."""
