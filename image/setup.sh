#!/usr/bin/env bash
# Default setup script for the image builder VM.
#
# cloud-init writes this file to /var/lib/batch-image/setup.sh and runs it once, as root, with
# BATCH_IMAGE_VERSION set to the gallery image version being built. After it exits 0, cloud-init
# cleans its own state, runs `waagent -deprovision+user -force` and powers the VM off; this
# script must therefore never deprovision or power off by itself.
#
# What it bakes into the image:
#   - an example toolchain from the distribution's package manager (python3, jq, ...);
#   - a small reference dataset with a SHA-256 manifest under /opt/batch-image/data;
#   - the marker /opt/batch-image/VERSION holding the image version (checked by `make smoke`).
#
# Replace it with your own script through the config key image.builder.setupScript. Keep the
# marker if you want `make smoke` to verify which image a node booted from.
#
# DESTDIR (default empty) prefixes every path this script writes or deletes. It exists for the
# tests, which run the script against a scratch directory with stub package managers.
set -euo pipefail

readonly IMAGE_ROOT="${DESTDIR:-}/opt/batch-image"
readonly APT_PACKAGES=(ca-certificates curl jq unzip python3 python3-venv)
readonly DNF_PACKAGES=(ca-certificates curl jq unzip python3)
readonly EX_CONFIG=78 # sysexits.h EX_CONFIG: BATCH_IMAGE_VERSION missing or malformed
readonly EX_UNAVAILABLE=69 # sysexits.h EX_UNAVAILABLE: no supported package manager
# On first boot unattended-upgrades often holds the dpkg lock; wait for it instead of failing the build.
readonly APT_OPTIONS=(-o DPkg::Lock::Timeout=600 -q)

log() {
	printf 'batch-image setup: %s\n' "$*"
}

die() {
	local code=$1
	shift
	printf 'batch-image setup: error: %s\n' "$*" >&2
	exit "$code"
}

require_image_version() {
	local version=${BATCH_IMAGE_VERSION:-}
	if [[ -z $version ]]; then
		die "$EX_CONFIG" "BATCH_IMAGE_VERSION is not set; cloud-init passes the gallery image version" \
			"(image.version, e.g. 1.0.0) when it runs this script"
	fi
	if [[ ! $version =~ ^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$ ]]; then
		die "$EX_CONFIG" "BATCH_IMAGE_VERSION='$version' is not a gallery image version; expected MAJOR.MINOR.PATCH, e.g. 1.0.0"
	fi
}

install_toolchain() {
	if command -v apt-get >/dev/null 2>&1; then
		log "installing ${APT_PACKAGES[*]} with apt-get"
		export DEBIAN_FRONTEND=noninteractive
		apt-get "${APT_OPTIONS[@]}" update
		apt-get "${APT_OPTIONS[@]}" install -y --no-install-recommends "${APT_PACKAGES[@]}"
	elif command -v dnf >/dev/null 2>&1; then
		log "installing ${DNF_PACKAGES[*]} with dnf"
		dnf install -y -q "${DNF_PACKAGES[@]}"
	else
		die "$EX_UNAVAILABLE" "neither apt-get nor dnf found; this script supports Ubuntu/Debian and EL 9 base images"
	fi
}

write_reference_data() {
	local data_dir="$IMAGE_ROOT/data"
	log "writing reference data to $data_dir"
	install -d -m 0755 "$data_dir"
	# A small lookup table standing in for the data a real workload needs on every node.
	cat >"$data_dir/regions.csv" <<'CSV'
region,display_name,geography
westeurope,West Europe,Europe
northeurope,North Europe,Europe
eastus,East US,United States
westus2,West US 2,United States
southeastasia,Southeast Asia,Asia Pacific
CSV
	cat >"$data_dir/README" <<'TXT'
Reference data baked into the Batch node image by image/setup.sh.
Verify it on a node with: cd /opt/batch-image/data && sha256sum -c SHA256SUMS
TXT
	chmod 0644 "$data_dir/regions.csv" "$data_dir/README"
	(cd "$data_dir" && sha256sum regions.csv README >SHA256SUMS)
	chmod 0644 "$data_dir/SHA256SUMS"
}

write_marker() {
	install -d -m 0755 "$IMAGE_ROOT"
	printf '%s\n' "$BATCH_IMAGE_VERSION" >"$IMAGE_ROOT/VERSION"
	chmod 0644 "$IMAGE_ROOT/VERSION"
	log "wrote marker $IMAGE_ROOT/VERSION ($BATCH_IMAGE_VERSION)"
}

clean_for_deprovisioning() {
	log "cleaning package caches and root's shell history"
	if command -v apt-get >/dev/null 2>&1; then
		apt-get clean
		rm -rf "${DESTDIR:-}"/var/lib/apt/lists/*
	elif command -v dnf >/dev/null 2>&1; then
		dnf clean all
	fi
	rm -f "${DESTDIR:-}"/root/.bash_history "${DESTDIR:-}"/root/.python_history "${DESTDIR:-}"/root/.wget-hsts
}

main() {
	require_image_version
	install_toolchain
	write_reference_data
	write_marker
	clean_for_deprovisioning
	log "done; cloud-init deprovisions and powers off the VM next"
}

main "$@"
