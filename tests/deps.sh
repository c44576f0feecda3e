#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages mheap needs, and only those missing. Says what
# it installs; runs apt-get as root or through sudo.
#   deps.sh [--quiet]   (--quiet: say nothing when all is there)
set -euo pipefail

PACKAGES=(
	build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils kmod
	python3 busybox-static qemu-system-x86 sparse valgrind libmimalloc-dev
	linux-source-6.12 linux-headers-6.12-amd64 linux-image-6.12-amd64
	linux-headers-amd64 gcc-multilib clang-14 libclang-rt-14-dev
	dkms python3-sphinx pkg-config groff-base man-db python3-dev
	python3-setuptools python3-pytest python3-cffi mypy libgc-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	[ "${1:-}" = --quiet ] || echo "[mheap] all required packages are installed"
	exit 0
fi

sudo=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "[mheap] need root or sudo to install: ${missing[*]}" >&2
		exit 1
	}
	sudo=sudo
fi
echo "[mheap] installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
