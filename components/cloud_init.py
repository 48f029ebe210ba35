"""The builder VM's cloud-init user data: run the setup script, then deprovision and power off.

No VM extension is involved (Batch warns that pre-installed extensions break pool deployment, and deprovisioning
through Run Command hangs because the agent removes itself). The sequence on the guest:

1. cloud-init writes the setup script and runs it from `runcmd` with `BATCH_IMAGE_VERSION` set; on success it
   leaves a marker file.
2. `runcmd` also starts a transient systemd unit that waits until cloud-init has finished, checks the marker, reads
   the VM's vmId from the instance metadata service, cleans cloud-init state, runs `waagent -deprovision+user -force`
   and, only when that succeeded, prints the proof line (components/common/console.py) to the serial console and
   powers the VM off. The capture step waits for the power-off and checks the proof in boot diagnostics before it
   generalizes anything. If setup or deprovisioning failed, the unit prints the failure and the log tail to the
   serial console and leaves the VM running: the capture step sees the failure line and stops with that tail.
"""

from __future__ import annotations

import base64

import yaml

from components.common.console import DEPROVISION_FAILED, PREFIX, SETUP_FAILED, deprovisioned_line

WORK_DIR = "/var/lib/batch-image"
SETUP_PATH = f"{WORK_DIR}/setup.sh"
FINISH_PATH = f"{WORK_DIR}/finish.sh"
SETUP_OK_MARKER = f"{WORK_DIR}/setup.ok"
SETUP_LOG = "/var/log/batch-image-setup.log"
DEPROVISION_LOG = "/var/log/batch-image-deprovision.log"
# The vmId, the proof's per-VM nonce: the same id the capture step reads from the VM's ARM resource.
IMDS_VM_ID = "http://169.254.169.254/metadata/instance/compute/vmId?api-version=2021-02-01&format=text"

# Lines go to the serial console (boot diagnostics), so a build can be judged and diagnosed without logging in.
# DESTDIR (default empty) prefixes every path the script reads, writes or deletes, as in image/setup.sh: the tests
# run it in a sandbox with stand-ins for cloud-init, curl, waagent and systemctl.
_FINISH_SCRIPT = f"""#!/bin/sh
# Started by cloud-init (runcmd) as a transient systemd unit: runs once cloud-init has finished.
set -u
root="${{DESTDIR:-}}"
console="$root/dev/console"
fail() {{
  echo "$1; last lines of $2:" >> "$console"
  tail -n 40 "$root$2" >> "$console" 2>&1 || true
  exit 1
}}
cloud-init status --wait >/dev/null 2>&1 || true
[ -f "$root{SETUP_OK_MARKER}" ] || fail "{SETUP_FAILED}" {SETUP_LOG}
vm_id=$(curl -sf -H Metadata:true --noproxy '*' --max-time 10 --retry 5 '{IMDS_VM_ID}' | tr 'A-F' 'a-f')
[ -n "$vm_id" ] || fail "{DEPROVISION_FAILED}: the instance metadata service gave no vmId" {SETUP_LOG}
echo "{PREFIX} setup done; deprovisioning" >> "$console"
rm -rf "$root{WORK_DIR}" "$root{SETUP_LOG}"
cloud-init clean --logs --seed
waagent -force -deprovision+user > "$root{DEPROVISION_LOG}" 2>&1 || fail "{DEPROVISION_FAILED}" {DEPROVISION_LOG}
rm -f "$root{DEPROVISION_LOG}"
export HISTSIZE=0
sync
echo "{deprovisioned_line("$vm_id")}" >> "$console"
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
