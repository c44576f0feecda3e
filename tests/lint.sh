#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static checks of the kernel code, each one counted as a test:
# checkpatch --strict, the core's seam, the core cases' KUnit lists, sparse,
# and warning-free W=1 builds
# against Debian's 6.12 and 6.1 headers; mypy on the Python package's stub.   lint.sh [--tally FILE]
set -uo pipefail
. "$(dirname "$0")/qemu/lib.sh"

tally=
[ "${1:-}" = --tally ] && tally=$2
src=$(linux_src) || exit 1
out=$TOP/build/lint
mkdir -p "$out"
passed=0 failed=0

kernel_files() {
	cd "$TOP" && git ls-files -co --exclude-standard -- \
		'module/*.[ch]' 'uapi/*.h' 'tests/inject/*.c'
}

checkpatch() {
	cd "$TOP" &&
	perl "$src/scripts/checkpatch.pl" --no-tree --strict --terse \
		--show-types -f $(kernel_files)
}

# sparse over every file (C=2) in a W=1 build against the stock headers,
# guard mode on (the other builds cover it off).
sparse() {
	build_modules "$1" "$out/sparse" "" C=2 MHEAP_GUARD=y || return 1
	! grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error)' "$out/sparse/build.log"
}

# The 6.12 build is the stock VM's own (run-vm.sh --kernel stock builds
# the same thing in the same place, and then finds it built).
stock_build() {
	build_modules "$1" "$2"
}

# The seam: the portable core (module/core/) includes only its own headers;
# prim.h alone reaches the kernel (or the host shim) and the uapi header.
core_seam() {
	local bad
	bad=$(cd "$TOP/module/core" && grep -n '#include' -- *.[ch] |
		grep -v '^prim\.h:' |
		grep -v ':#include "\(space\|space_fast\|heap\|object\|handle\|gc\|weak\|scope\|names\|validate\|prim\)\.h"$')
	[ -z "$bad" ] || { echo "module/core/ reaches outside the core:"; echo "$bad"; return 1; }
}

# Each core case file's KUnit list (mheap_*_cases[], at its end) names every
# CORE_TEST of the file, in order, and nothing else: the host build
# registers the cases itself, so a case missing from the list would run on
# the host alone.
case_lists() {
	local f tests listed bad=0
	for f in "$TOP"/module/tests/*_cases.c; do
		tests=$(sed -n 's/^CORE_TEST(\([a-z0-9_]*\)).*/\1/p' "$f")
		listed=$(sed -n 's/^\tKUNIT_CASE\(_SLOW\)\?(\([a-z0-9_]*\)).*/\2/p' "$f")
		if [ "$tests" != "$listed" ]; then
			echo "${f#$TOP/}: CORE_TESTs and the KUnit list differ:"
			diff <(echo "$tests") <(echo "$listed")
			bad=1
		fi
	done
	return $bad
}

# The Python package's type stub: strict on its own, and against the tests
# that use it (mypy reads mheap/__init__.pyi before __init__.py).
python_types() (
	cd "$TOP/python" &&
	/usr/bin/python3 -m mypy --no-error-summary --cache-dir "$out/mypy" \
		--strict mheap/__init__.pyi &&
	/usr/bin/python3 -m mypy --no-error-summary --cache-dir "$out/mypy" \
		--check-untyped-defs --ignore-missing-imports \
		tests/test_api.py tests/test_sharing.py tests/test_static.py
)

headers612=/usr/src/linux-headers-$(stock_version)
headers61=$(ls -d /usr/src/linux-headers-6.1.*-amd64 | sort -V | tail -n 1)
check checkpatch checkpatch
check core-seam core_seam
check case-lists case_lists
check sparse sparse "$headers612"
check build-6.12-W1 stock_build "$headers612" "$TOP/build/vm/kmod-stock"
check build-6.1-W1 stock_build "$headers61" "$out/$(basename "$headers61")"
check python-types python_types
echo "lint: $passed passed, $failed failed"
[ -n "$tally" ] && echo "lint $passed $failed" >>"$tally"
[ $failed -eq 0 ]
