#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (once) the debug kernel the VM tests run on: tinyconfig plus the
# fragments in this directory, bzImage and modules (for Module.symvers).
# Cached under $MHEAP_CACHE/kernel/<source version>-<fragment hash>; prints
# the build directory on stdout.
#
#   build-kernel.sh [debug|kcsan]
#
# debug (the default; make check) has KASAN; kcsan (make check-kcsan) has
# KCSAN instead, with the same other checkers.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-debug}
case $flavour in
debug | kcsan) ;;
*) die "unknown kernel flavour: $flavour" ;;
esac
FRAGMENTS=("$QEMU_DIR/base.config" "$QEMU_DIR/$flavour.config")

# Fail when olddefconfig dropped or changed anything a fragment asked for
# (tinyconfig hides many options behind dependencies that are easy to miss).
check_config() {
	local cfg=$1 frag line sym bad=0
	for frag in "${FRAGMENTS[@]}"; do
		while IFS= read -r line; do
			case $line in
			CONFIG_*=*)
				grep -qxF "$line" "$cfg" && continue ;;
			"# CONFIG_"*" is not set")
				sym=${line#\# }
				sym=${sym%% *}
				grep -q "^$sym=" "$cfg" || continue ;;
			*) continue ;;
			esac
			say "config: '$line' from $(basename "$frag") did not survive"
			bad=1
		done <"$frag"
	done
	return $bad
}

__build() {
	local src=$1 out=$2 log=$2/build.log
	[ -f "$out/.built" ] && return 0
	mkdir -p "$out"
	say "building the $flavour kernel in $out"
	say "(about 8 minutes on 2 cores, once; log: $log)"
	{
		make -C "$src" O="$out" ARCH=x86_64 tinyconfig &&
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
			"$out/.config" "${FRAGMENTS[@]}" &&
		make -C "$src" O="$out" ARCH=x86_64 olddefconfig
	} >"$log" 2>&1 || { tail -n 40 "$log" >&2; die "kernel configuration failed"; }
	check_config "$out/.config" || die "kernel configuration is incomplete"
	say "compiling bzImage and modules"
	if ! make -C "$src" O="$out" ARCH=x86_64 -j"$(nproc)" bzImage modules \
		>>"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "kernel build failed (log: $log)"
	fi
	touch "$out/.built"
	say "$flavour kernel ready"
}

src=$(linux_src)
hash=$(cat "${FRAGMENTS[@]}" | sha256sum | cut -c1-12)
out="$MHEAP_CACHE/kernel/$(src_version)-$hash"
with_lock kernel __build "$src" "$out"
printf '%s\n' "$out"
