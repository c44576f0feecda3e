# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the QEMU harness: cache location, locking, the
# extracted linux-source tree. Sourced, never run.

MHEAP_CACHE=${MHEAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mheap}
QEMU_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$QEMU_DIR/../.." && pwd)

say() { printf '[mheap] %s\n' "$*" >&2; }

# check NAME CMD...: one counted step of lint.sh or package.sh. Runs CMD
# with its output in $out/NAME.log, prints "ok NAME" or "not ok NAME" with
# the log's tail, and counts it in the caller's $passed or $failed.
check() {
	local name=$1
	shift
	if "$@" >"$out/$name.log" 2>&1; then
		echo "ok $name"
		passed=$((passed + 1))
	else
		echo "not ok $name (log: $out/$name.log)"
		sed 's/^/    /' "$out/$name.log" | tail -n 20
		failed=$((failed + 1))
	fi
}
die() { printf '[mheap] error: %s\n' "$*" >&2; exit 1; }

# Version of Debian's linux-source-6.12 package: the cache key of the tree.
src_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ||
		die "linux-source-6.12 is not installed (run: make deps)"
}

# with_lock NAME CMD...: run CMD holding an exclusive lock on the cache, so
# that two runs never extract or build into the same directory at once.
with_lock() {
	local name=$1
	shift
	mkdir -p "$MHEAP_CACHE"
	(
		flock 9 || die "cannot lock $MHEAP_CACHE/$name.lock"
		"$@"
	) 9>"$MHEAP_CACHE/$name.lock"
}

__extract_source() {
	local dir=$1 tarball=/usr/src/linux-source-6.12.tar.xz
	[ -f "$dir/.extracted" ] && return 0
	[ -f "$tarball" ] || die "$tarball missing (run: make deps)"
	say "extracting $tarball (about a minute, once per source version)"
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -xJf "$tarball" -C "$dir.tmp" --strip-components=1 ||
		die "extracting $tarball failed"
	mv "$dir.tmp" "$dir"
	touch "$dir/.extracted"
}

# linux_src: print the path of the extracted linux-source tree, extracting
# it on first use.
linux_src() {
	local dir
	dir="$MHEAP_CACHE/src/linux-source-$(src_version)"
	with_lock src __extract_source "$dir" >&2 || exit 1
	printf '%s\n' "$dir"
}

# stock_version: the Debian 6.12 kernel version whose headers and image are
# both installed (linux-headers-6.12-amd64 pulls in the image).
stock_version() {
	local h v
	for h in $(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sort -rV); do
		v=${h#/usr/src/linux-headers-}
		[ -f "/boot/vmlinuz-$v" ] && { printf '%s\n' "$v"; return 0; }
	done
	die "no Debian 6.12 kernel with matching headers (run: make deps)"
}

# build_modules KDIR DIR [inject [MAKEARGS...]]: build mheap.ko (and
# mheap_test.ko where the kernel has KUnit; mheap_inject.ko with "inject")
# against KDIR in a private copy of the sources at DIR, with W=1. Warnings
# are errors. A build whose kernel, arguments and sources are those of the
# last successful one at DIR is not repeated.
build_modules() {
	local kdir=$1 dir=$2 inject=${3:-} log=$2/build.log stamp
	shift 3 2>/dev/null || shift $#
	stamp=$({ echo "$kdir $inject $*"; ls -l --time-style=+%s "$kdir/Module.symvers" 2>&1
		  cd "$TOP" && find Kbuild module uapi tests/inject -type f \
			  -print0 | sort -z | xargs -0 sha256sum; } | sha256sum)
	[ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ] && return 0
	rm -rf "$dir"
	mkdir -p "$dir/tests"
	cp -r "$TOP/Kbuild" "$TOP/module" "$TOP/uapi" "$dir/"
	if [ -n "$inject" ]; then
		cp -r "$TOP/tests/inject" "$dir/tests/"
		echo 'obj-m += tests/inject/' >>"$dir/Kbuild"
	fi
	if ! make -j"$(nproc)" -C "$kdir" M="$dir" W=1 "$@" modules >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		say "module build against $kdir failed (log: $log)"
		return 1
	fi
	if grep -E 'warning:|error:' "$log" >&2; then
		say "module build against $kdir has warnings (log: $log)"
		return 1
	fi
	echo "$stamp" >"$dir/.stamp"
}
