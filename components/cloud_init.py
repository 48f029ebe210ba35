"""The builder VM's cloud-init user data: run the setup script, then deprovision and power off.

No VM extension is involved (Batch warns that pre-installed extensions break pool deployment, and deprovisioning
through Run Command hangs because the agent removes itself). The sequence on the guest:

1. cloud-init writes the setup script and runs it from `runcmd` with `BATCH_IMAGE_VERSION` set; on success it
   leaves a marker file.
2. `runcmd` also starts a transient systemd unit that waits until cloud-init has finished, reads the VM's vmId from
   the instance metadata service, checks the marker file, and writes the `setup-done` build-proof marker to the image
   storage account (components/common/proof.py: Put Blob with a token of the builder's identity from IMDS; a guest
   that cannot write it stops here, before deprovisioning). It then cleans cloud-init state, runs
   `waagent -deprovision+user -force` and, only when that succeeded, writes the `generalized` marker (with the proof
   line, components/common/console.py) and powers the VM off. The capture step waits for the power-off and reads
   the marker before it generalizes anything. If setup or deprovisioning failed, the unit writes the `failed` marker
   with the failure and the log tail (also on the serial console, a diagnostic) and leaves the VM running: the
   capture step sees the marker and stops with that tail.
"""

from __future__ import annotations

import base64

import yaml

from components.common.console import DEPROVISION_FAILED, PREFIX, SETUP_FAILED, deprovisioned_line
from components.common.proof import (
    BLOB_API_VERSION,
    CLIENT_ID_TOKEN,
    FAILED,
    GENERALIZED,
    PROOF_URL_TOKEN,
    SETUP_DONE,
    imds_token_url,
)

WORK_DIR = "/var/lib/batch-image"
SETUP_PATH = f"{WORK_DIR}/setup.sh"
FINISH_PATH = f"{WORK_DIR}/finish.sh"
SETUP_OK_MARKER = f"{WORK_DIR}/setup.ok"
SETUP_LOG = "/var/log/batch-image-setup.log"
DEPROVISION_LOG = "/var/log/batch-image-deprovision.log"
# The vmId, the proof's per-VM nonce: the same id the capture step reads from the VM's ARM resource.
IMDS_VM_ID = "http://169.254.169.254/metadata/instance/compute/vmId?api-version=2021-02-01&format=text"

# The proof goes to the image storage account (components/common/proof.py): markers under the VM's vmId, written with
# Put Blob and a token of the builder's identity from the instance metadata service. Lines also go to the serial
# console (boot diagnostics), a diagnostic only. DESTDIR (default empty) prefixes every path the script reads, writes
# or deletes, as in image/setup.sh: the tests run it in a sandbox with stand-ins for cloud-init, curl, waagent,
# systemctl and sleep.
_FINISH_SCRIPT = f"""#!/bin/sh
# Started by cloud-init (runcmd) as a transient systemd unit: runs once cloud-init has finished.
set -u
root="${{DESTDIR:-}}"
console="$root/dev/console"
proof_url='{PROOF_URL_TOKEN}'
client_id='{CLIENT_ID_TOKEN}'
vm_id=''
pin=''
body="$(mktemp)"
say() {{ echo "$1" >> "$console"; }}
# put_marker PHASE: Put Blob of $body to <proof container>/<vmId>/PHASE with a token of the builder's identity. The
# identity's role can take minutes to reach the storage service after the VM starts: 40 tries 15 s apart (10 minutes
# when each try fails fast).
put_marker() {{
  tries=0
  while :; do
    token=$(curl -sf -H Metadata:true --noproxy '*' --max-time 10 \\
      "{imds_token_url("$client_id")}" \\
      | sed -n 's/.*"access_token" *: *"\\([^"]*\\)".*/\\1/p')
    if [ -n "$token" ] && curl -sf --max-time 30 -X PUT -H 'x-ms-blob-type: BlockBlob' \\
      -H 'x-ms-version: {BLOB_API_VERSION}' -H 'Content-Type: text/plain; charset=utf-8' \\
      -H "Authorization: Bearer $token" ${{pin:+--resolve}} ${{pin:+"$pin"}} --data-binary "@$body" \\
      "$proof_url$vm_id/$1" >/dev/null; then
      return 0
    fi
    tries=$((tries + 1))
    [ "$tries" -lt 40 ] || return 1
    sleep 15
  done
}}
# fail LINE LOG: the failed marker (the line and the log's last lines), the same on the console; the VM stays running.
fail() {{
  {{ echo "{PREFIX} {FAILED} vm $vm_id"; echo "$1; last lines of $2:"; tail -n 40 "$root$2" 2>&1; }} > "$body"
  sed 1d "$body" >> "$console"
  [ -z "$vm_id" ] || put_marker {FAILED} || say "{PREFIX} the failed marker could not be written to $proof_url"
  exit 1
}}
cloud-init status --wait >/dev/null 2>&1 || true
vm_id=$(curl -sf -H Metadata:true --noproxy '*' --max-time 10 --retry 5 '{IMDS_VM_ID}' | tr 'A-F' 'a-f')
[ -n "$vm_id" ] || fail "{DEPROVISION_FAILED}: the instance metadata service gave no vmId" {SETUP_LOG}
[ -f "$root{SETUP_OK_MARKER}" ] || fail "{SETUP_FAILED}" {SETUP_LOG}
echo "{PREFIX} {SETUP_DONE} vm $vm_id" > "$body"
# The proof's path is checked before anything is deprovisioned: a guest that cannot write it stays as it is.
put_marker {SETUP_DONE} || {{ say "{DEPROVISION_FAILED}: no build-proof marker could be written to $proof_url"
  exit 1; }}
say "{PREFIX} setup done; deprovisioning"
# waagent -deprovision+user deletes /etc/resolv.conf: the storage host's address is looked up now, for the last marker.
host=$(echo "$proof_url" | sed 's#^https://\\([^/]*\\)/.*#\\1#')
address=$(getent ahostsv4 "$host" | awk 'NR == 1 {{ print $1 }}')
[ -z "$address" ] || pin="$host:443:$address"
rm -rf "$root{WORK_DIR}" "$root{SETUP_LOG}"
cloud-init clean --logs --seed
waagent -force -deprovision+user > "$root{DEPROVISION_LOG}" 2>&1 || fail "{DEPROVISION_FAILED}" {DEPROVISION_LOG}
rm -f "$root{DEPROVISION_LOG}"
export HISTSIZE=0
printf '%s\\n%s\\n' "{PREFIX} {GENERALIZED} vm $vm_id" "{deprovisioned_line("$vm_id")}" > "$body"
put_marker {GENERALIZED} || {{ say "{PREFIX} the proof could not be written to $proof_url; not powering off"; exit 1; }}
rm -f "$body"
sync
say "{deprovisioned_line("$vm_id")}"
systemctl poweroff
"""


def render_user_data(setup_script: str, image_version: str) -> str:
    """The `#cloud-config` document for a Linux builder (plain text; the VM takes it base64-encoded)."""
    document = {
        "write_files": [
            _file(SETUP_PATH, setup_script),
            # Plain text, not base64: BuilderVm fills in the proof tokens (components/common/proof.py) in this text.
            _file(FINISH_PATH, _FINISH_SCRIPT, encoded=False),
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


def _file(path: str, content: str, encoded: bool = True) -> dict[str, str]:
    entry = {"path": path, "owner": "root:root", "permissions": "0755"}
    if not encoded:
        return {**entry, "content": content}
    return {**entry, "encoding": "b64", "content": base64.b64encode(content.encode()).decode()}
