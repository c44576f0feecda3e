#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Snapshot the real-heap workloads (Documentation/snapshot.rst) into DIR,
# with Debian's /usr/bin/python3 and its packages; nothing is downloaded.
#   workloads.sh DIR
#
#   sphinx      sphinx-build of Documentation/ (the kernel's kernel-doc
#               extension), at exit
#   docutils    docutils rendering every Documentation/*.rst, at exit
#   stdlib      ast, json and email over the standard library's sources,
#               at exit (stdlib.mhs) and after 200,000 allocations
#               (stdlib.mhs.1, a heap still in use)
set -euo pipefail
. "$(dirname "$0")/../qemu/lib.sh"

out=${1:?usage: workloads.sh DIR}
mkdir -p "$out"
snap() {
	/usr/bin/python3 "$TOP/userspace/tools/mheap-snapshot" "$@" >/dev/null
}
rm -rf "$out/sphinx-html" "$out/sphinx-doctrees" "$out"/*.mhs*
LINUX_SRC=$(linux_src) snap -o "$out/sphinx.mhs" -m sphinx -q -b html \
	-d "$out/sphinx-doctrees" "$TOP/Documentation" "$out/sphinx-html"
snap -o "$out/docutils.mhs" "$TOP/tests/realheap/docutils_workload.py" \
	"$TOP"/Documentation/*.rst
snap -o "$out/stdlib.mhs" --every 200000 \
	"$TOP/tests/realheap/stdlib_workload.py"
