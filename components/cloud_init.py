"""The builder VM's cloud-init user data: run the setup script, then deprovision and power off.

No VM extension is involved (Batch warns that pre-installed extensions break pool deployment, and deprovisioning
through Run Command hangs because the agent removes itself). The sequence on the guest:

1. cloud-init writes the setup script and runs it from `runcmd` with `BATCH_IMAGE_VERSION` set; on success it
   leaves a marker file.
2. `runcmd` also starts a transient systemd unit that waits until cloud-init has finished, checks the marker, cleans
   cloud-init state, runs `waagent -deprovision+user -force` and powers the VM off. The capture step waits for that
   power-off. If setup failed, the unit writes the failure to the serial console (visible in boot diagnostics) and
   leaves the VM running, so the capture step times out with the serial-log tail instead of capturing a broken image.
"""

from __future__ import annotations

import base64

import yaml

WORK_DIR = "/var/lib/batch-image"
SETUP_PATH = f"{WORK_DIR}/setup.sh"
FINISH_PATH = f"{WORK_DIR}/finish.sh"
SETUP_OK_MARKER = f"{WORK_DIR}/setup.ok"
SETUP_LOG = "/var/log/batch-image-setup.log"
# Printed to the serial console (boot diagnostics) so a failed build can be diagnosed without logging in.
CONSOLE_FAILURE_LINE = "batch-image: setup FAILED"

_FINISH_SCRIPT = f"""#!/bin/sh
# Started by cloud-init (runcmd) as a transient systemd unit: runs once cloud-init has finished.
set -u
cloud-init status --wait >/dev/null 2>&1 || true
if [ ! -f {SETUP_OK_MARKER} ]; then
  echo "{CONSOLE_FAILURE_LINE}; last lines of {SETUP_LOG}:" > /dev/console
  tail -n 40 {SETUP_LOG} > /dev/console 2>&1 || true
  exit 1
fi
echo "batch-image: setup done; deprovisioning and powering off" > /dev/console
rm -rf {WORK_DIR} {SETUP_LOG}
cloud-init clean --logs --seed
/usr/sbin/waagent -force -deprovision+user
export HISTSIZE=0
sync
systemctl poweroff
"""


def render_user_data(setup_script: str, image_version: str) -> str:
    """The `#cloud-config` document for a Linux builder (plain text; the VM takes it base64-encoded)."""
    document = {
        "write_files": [
            _file(SETUP_PATH, setup_script),
            _file(FINISH_PATH, _FINISH_SCRIPT),
        ],
        "runcmd": [
            [
                "sh",
                "-c",
                f"BATCH_IMAGE_VERSION={image_version} {SETUP_PATH} >{SETUP_LOG} 2>&1 && touch {SETUP_OK_MARKER}",
            ],
            [
                "systemd-run",
                "--no-block",
                "--unit=batch-image-finish",
                "--description=Deprovision and power off",
                FINISH_PATH,
            ],
        ],
    }
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False, width=1000)


def encode_custom_data(user_data: str) -> str:
    """Azure's `osProfile.customData` is the user data, base64-encoded."""
    return base64.b64encode(user_data.encode()).decode()


def _file(path: str, content: str) -> dict[str, str]:
    return {
        "path": path,
        "owner": "root:root",
        "permissions": "0755",
        "encoding": "b64",
        "content": base64.b64encode(content.encode()).decode(),
    }
