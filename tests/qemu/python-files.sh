#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the gen_init_cpio lines that put Debian's Python 3.11 and pytest in
# the test VM's initramfs (run-vm.sh, modes check, demo and shell), each
# file at its path on the host: the interpreter and every library ldd names
# for it and for the extension modules kept, the standard library with its
# compiled modules (so that imports do not compile under TCG), pytest and
# the Debian packages it imports, the mheap package built by make python
# where pip would install it, and python/tests at /lib/mheap/python-tests.
# Every directory is listed before its files.
#
# The README's Python example, the first ```python block after the line
# "<!-- python-example -->", and the ```text block after it (its output),
# are written to OUTDIR as readme_example.py and readme_example.txt, and
# go to /lib/mheap; without that line there is no example. MHEAP_README
# names another file to take it from (to try an example before it is in
# the README).
#
# With --bench (make bench), also what tests/bench/python_bench.py needs:
# cffi (and its parser) beside ctypes, libmheap.so.1 for them to load, and
# the benchmark at /lib/mheap/python_bench.py.
#
#   python-files.sh OUTDIR [--bench]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: python-files.sh OUTDIR [--bench]"
outdir=$1
bench=${2:-}
readme=${MHEAP_README:-$TOP/README.md}
PY=/usr/bin/python3.11
STDLIB=/usr/lib/python3.11
DIST=/usr/lib/python3/dist-packages
SITE=/usr/local/lib/python3.11/dist-packages
# pytest and the packages of its dependencies that it imports (the
# exceptiongroup and tomli back-ports are for Pythons before 3.11)
PYTEST_PKGS=(python3-pytest python3-pluggy python3-iniconfig
	     python3-packaging python3-py python3-attr)
# extension modules left out: tests, and those that would bring large
# libraries (OpenSSL, SQLite, Berkeley DB, curses, readline, NIS)
DYNLOAD_SKIP=(_test* _xx* _ctypes_test.* xxlimited* _ssl.* _hashlib.*
	      _sqlite3.* _dbm.* _curses* readline.* nis.* ossaudiodev.*)

[ -x $PY ] || die "$PY missing (run: make deps)"
[ -f "$TOP/build/python/.built" ] ||
	die "build/python missing (run: make python)"

declare -A made
shared=()	# the extension modules listed, for ldd
mkdir_line() {
	local d=$1
	{ [ "$d" = / ] || [ -n "${made[$d]:-}" ]; } && return 0
	mkdir_line "$(dirname "$d")"
	made[$d]=1
	echo "dir $d 0755 0 0"
}

# entry DEST SRC: one file or symbolic link, at DEST, its directories first
entry() {
	mkdir_line "$(dirname "$1")"
	if [ -L "$2" ]; then
		echo "slink $1 $(readlink "$2") 0777 0 0"
	elif [ -x "$2" ]; then
		echo "file $1 $2 0755 0 0"
	else
		echo "file $1 $2 0644 0 0"
	fi
	case $2 in *.so) shared+=("$2") ;; esac
}

# tree SRC DEST [FIND-TESTS...]: the files under SRC that FIND-TESTS do not
# prune, at DEST
tree() {
	local src=$1 dest=$2 f
	shift 2
	while IFS= read -r -d '' f; do
		entry "$dest${f#"$src"}" "$f"
	done < <(find "$src" "$@" \( -type f -o -type l \) -print0 | sort -z)
}

# The standard library without its tests, IDLE, Tk, the demos, the
# bootstrapping wheels, 2to3, pydoc's topics, the static library and
# distutils; pycs only those the interpreter reads (Debian compiles at
# install time, without optimisation levels); sitecustomize.py is a link
# to /etc, where Debian's only hooks apport.
prune=()
for d in test idlelib tkinter turtledemo ensurepip lib2to3 pydoc_data \
	config-3.11-x86_64-linux-gnu distutils sitecustomize.py; do
	prune+=(-path "$STDLIB/$d" -o)
done
prune+=(-name tests -o -name idle_test -o
	-name '*.pyc' ! -name '*.cpython-311.pyc')
dynload=()
for s in "${DYNLOAD_SKIP[@]}"; do
	dynload+=(-o -path "$STDLIB/lib-dynload/$s")
done
tree $STDLIB $STDLIB \( "${prune[@]}" "${dynload[@]}" \) -prune -o

# packages DEB...: each one's top-level entries in dist-packages, with
# their __pycache__ (made by py3compile at install time, so not in dpkg -L)
packages() {
	local tops top
	tops=$(dpkg -L "$@" | grep "^$DIST/[^/]*\$" | sort -u) || return 1
	for top in $tops; do
		if [ -d "$top" ]; then
			tree "$top" "$top" -name '*.pyc' ! -name '*.cpython-311.pyc' \
				-prune -o
		else
			entry "$top" "$top"
		fi
	done
}

packages "${PYTEST_PKGS[@]}" || die "pytest is not installed (run: make deps)"

if [ "$bench" = --bench ]; then
	packages python3-cffi python3-cffi-backend python3-pycparser python3-ply ||
		die "cffi is not installed (run: make deps)"
	entry /lib/mheap/libmheap.so.1 "$TOP/build/user/libmheap.so.1.0.0"
	entry /lib/mheap/python_bench.py "$TOP/tests/bench/python_bench.py"
fi

# the package, compiled here as the stdlib is, without the C source
$PY -m compileall -q "$TOP/build/python/mheap" >&2
tree "$TOP/build/python/mheap" "$SITE/mheap" -name '*.c' -prune -o
tree "$TOP/python/tests" /lib/mheap/python-tests \
	\( -name __pycache__ -o -name .pytest_cache \) -prune -o

# the interpreter, and the libraries it and the extension modules listed
# load, at the paths ldd names (the loader among them)
entry /usr/bin/python3.11 $PY
entry /usr/bin/python3 /usr/bin/python3
libs=$(ldd $PY "${shared[@]}" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
	$1 ~ /^\// && $2 ~ /^\(0x/ { print $1 }' | sort -u) || die "ldd failed"
for lib in $libs; do
	entry "$lib" "$(readlink -f "$lib")"
done

# the README's example and its output
py=$outdir/readme_example.py txt=$outdir/readme_example.txt
rm -f "$py" "$txt"
awk -v py="$py" -v txt="$txt" '
	/<!-- python-example -->/ && !state { state = 1; next }
	state == 1 && /^```python[[:space:]]*$/ { state = 2; printf "" >py; next }
	state == 2 && /^```[[:space:]]*$/ { state = 3; next }
	state == 2 { print >py; next }
	state == 3 && /^```text[[:space:]]*$/ { state = 4; printf "" >txt; next }
	state == 4 && /^```[[:space:]]*$/ { exit }
	state == 4 { print >txt }
' "$readme"
if [ -f "$py" ] || [ -f "$txt" ]; then
	[ -f "$py" ] && [ -f "$txt" ] ||
		die "$readme: <!-- python-example --> wants a python block," \
			"then a text block with its output"
	entry /lib/mheap/readme_example.py "$py"
	entry /lib/mheap/readme_example.txt "$txt"
fi
