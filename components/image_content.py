"""What goes into a built image, part by part, and its fingerprint.

The capture resource takes the parts as an input and refuses new content under an image version already built
(components/capture/spec.py `content_failures`): a published gallery image version must not get new bits under its
old name. The gallery image version carries the fingerprint as a tag, so a deployed version says what it was built
from. The base image counts with `version: latest` already resolved to the marketplace version (base_image.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from components.common.os_type import OsType
from components.settings import Builder

FINGERPRINT_TAG = "bci-content-fingerprint"


def image_content(
    setup_script: str, user_data: str, builder: Builder, os_type: OsType, security_type: str = "Standard"
) -> dict[str, str]:
    base = builder.base_image
    content = {
        "setupScript": _sha256(setup_script),
        "userData": _sha256(user_data),  # the cloud-config around the script: deprovisioning, proof, power-off
        "baseImage": f"{base.publisher}:{base.offer}:{base.sku}:{base.version}",
        "vmSize": builder.vm_size,
        "osDisk": builder.os_disk,
        "osType": os_type,
    }
    if security_type != "Standard":  # Standard is left out, so images built before the setting keep their fingerprint
        content["securityType"] = security_type
    return content


def fingerprint(content: Mapping[str, str]) -> str:
    return _sha256(json.dumps(dict(content), sort_keys=True))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
