#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What users of the packaging and the documentation rely on, each counted as
# a test:
#   htmldocs          make htmldocs: Sphinx with the kernel's kernel-doc, no
#                     warning;
#   doc_check.py      kernel-doc on every non-static function, uapi.rst and
#                     the man pages cover the header, the library and the
#                     tool (four checks);
#   man-pages         the man pages render without a groff warning;
#   install           make install into a temporary DESTDIR, then the
#                     example of libmheap(3) built against it with nothing
#                     but pkg-config --cflags --libs libmheap, and run;
#   dkms              dkms add and build against Debian's 6.12 headers, in a
#                     private DKMS tree (nothing installed on the host);
#   params            every parameter of that module is in the admin guide,
#                     and the modprobe.d example uses only real ones;
#   python-pip        pip install of python/ into a virtual environment of
#                     Debian's python3, offline (Documentation/python.rst),
#                     then the package imported from there.
#   package.sh [--tally FILE]
set -uo pipefail
. "$(dirname "$0")/qemu/lib.sh"

tally=
[ "${1:-}" = --tally ] && tally=$2
src=$(linux_src) || exit 1
out=$TOP/build/package
rm -rf "$out"
mkdir -p "$out"
passed=0 failed=0

htmldocs() {
	make -s -C "$TOP" htmldocs
}

man_pages() {
	local m warnings
	for m in "$TOP"/userspace/man/*.[0-9]; do
		warnings=$(LC_ALL=C.UTF-8 groff -man -ww -z "$m" 2>&1) || return 1
		[ -z "$warnings" ] || { echo "$m: $warnings"; return 1; }
		LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$m" >/dev/null || return 1
	done
}

# The library as a user gets it: installed under a DESTDIR, found only
# through pkg-config. The program is the EXAMPLES section of libmheap(3).
install_and_build() {
	local root=$out/root lib run
	make -s -C "$TOP" install DESTDIR="$root" PREFIX=/usr || return 1
	for f in usr/lib/libmheap.so.1 usr/lib/libmheap.a \
		usr/lib/pkgconfig/libmheap.pc usr/include/mheap.h \
		usr/include/linux/mheap.h usr/bin/mheapctl usr/bin/mheap-snapshot \
		usr/share/man/man1/mheapctl.1 usr/share/man/man3/libmheap.3 \
		usr/share/man/man3/mheap_open.3 lib/udev/rules.d/70-mheap.rules; do
		[ -e "$root/$f" ] || { echo "not installed: $f"; return 1; }
	done
	MANPATH=$root/usr/share/man man -w mheap_collect || return 1
	sed -n '/^\.EX$/,/^\.EE$/p' "$TOP/userspace/man/libmheap.3" |
		sed -n '/^#include/,/^}/p' | sed -e 's/\\e/\\/g' -e 's/\\-/-/g' \
		>"$out/example.c"
	grep -q 'mheap_collect' "$out/example.c" || {
		echo "no example found in libmheap.3"
		return 1
	}
	lib=$(PKG_CONFIG_SYSROOT_DIR=$root \
		PKG_CONFIG_LIBDIR=$root/usr/lib/pkgconfig \
		pkg-config --cflags --libs libmheap) || return 1
	echo "pkg-config: $lib"
	gcc -Wall -Wextra -Werror -o "$out/example" "$out/example.c" $lib ||
		return 1
	# no module on the host: the program must say why, and fail
	LD_LIBRARY_PATH=$root/usr/lib ldd "$out/example" |
		grep -F "libmheap.so.1 => $root/usr/lib/libmheap.so.1" || return 1
	run=$(LD_LIBRARY_PATH=$root/usr/lib "$out/example" 2>&1)
	echo "example: $run"
	case $run in
	"collector freed 2 objects" | "open: ENOENT" | "open: EACCES") ;;
	*) return 1 ;;
	esac
}

# dkms add and build in private trees, against the stock headers; the
# result must be a module for that kernel.
dkms_build() {
	local tree=$out/dkms ver kver ko sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$TOP/dkms.conf")
	kver=$(stock_version)
	mkdir -p "$tree/dkms" "$tree/source"
	make -s -C "$TOP" dkms-source DKMS_SRC="$tree/source/mheap-$ver" ||
		return 1
	set -- --dkmstree "$tree/dkms" --sourcetree "$tree/source"
	$sudo dkms add -m mheap -v "$ver" "$@" &&
	$sudo dkms build -m mheap -v "$ver" -k "$kver" "$@" || {
		cat "$tree/dkms/mheap/$ver/build/make.log" 2>/dev/null
		return 1
	}
	$sudo dkms status -m mheap "$@"
	ko=$(ls "$tree/dkms/mheap/$ver/$kver/x86_64/module/mheap.ko"*) || return 1
	modinfo -F vermagic "$ko" | grep -q "^$kver " || return 1
	mkdir -p "$out/dkms-module"
	cp "$ko" "$out/dkms-module/"
	$sudo dkms remove -m mheap -v "$ver" --all "$@" >/dev/null
}

# Every parameter of the module is in the admin guide's table, and the
# modprobe.d example sets only parameters the module has.
params() {
	local ko p known
	ko=$(ls "$out"/dkms-module/mheap.ko*) || return 1
	known=$(modinfo -F parm "$ko" | sed 's/:.*//')
	[ -n "$known" ] || return 1
	for p in $known; do
		grep -qxF '   * - ``'"$p"'``' "$TOP/Documentation/admin-guide.rst" ||
			{ echo "parameter $p is not in admin-guide.rst"; return 1; }
	done
	for p in $(grep -o '[a-z_]*=' "$TOP/userspace/modprobe.d/mheap.conf" |
		tr -d =); do
		echo "$known" | grep -qx "$p" ||
			{ echo "modprobe.d/mheap.conf: no parameter $p"; return 1; }
	done
	echo "parameters: $(echo $known)"
}

# What Documentation/python.rst says installs the Python package, from a
# copy of the tree's python/ beside the libmheap and uapi it builds with.
python_pip() {
	local venv=$out/venv
	/usr/bin/python3 -m venv --system-site-packages "$venv" &&
	(cd "$TOP" && "$venv/bin/pip" install -q --no-build-isolation \
		--no-deps --no-cache-dir ./python) &&
	(cd "$out" && "$venv/bin/python" -c '
import os, sys
import mheap
assert mheap.__file__.startswith(sys.prefix), mheap.__file__
assert os.path.exists(os.path.join(os.path.dirname(mheap.__file__),
                                   "__init__.pyi"))
print("installed:", mheap.__file__, mheap.Heap, mheap.Batch)')
	local rc=$?
	rm -rf "$TOP/python/build" "$TOP"/python/*.egg-info
	return $rc
}

check htmldocs htmldocs
# doc_check.py's checks count one by one; a crash counts as one more
rc=0
python3 "$TOP/tests/doc_check.py" "$src" >"$out/doc_check.log" 2>&1 || rc=$?
cat "$out/doc_check.log"
passed=$((passed + $(grep -c '^ok ' "$out/doc_check.log")))
failed=$((failed + $(grep -c '^not ok ' "$out/doc_check.log")))
[ $rc -ne 0 ] && ! grep -q '^not ok ' "$out/doc_check.log" &&
	failed=$((failed + 1))
check man-pages man_pages
check install install_and_build
check dkms dkms_build
check params params
check python-pip python_pip
echo "package: $passed passed, $failed failed"
[ -n "$tally" ] && echo "package $passed $failed" >>"$tally"
[ $failed -eq 0 ]
