#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: every suite, then one line "N passed, N failed" over all of
# them. A failing suite does not stop the others; the exit status is
# non-zero if any test failed or any suite could not run.
#   check.sh [--only host|fuzz|lint|package|vm|stock|harness]
set -uo pipefail
. "$(dirname "$0")/qemu/lib.sh"

only=
[ "${1:-}" = --only ] && only=$2
tally=$TOP/build/check.tally
mkdir -p "$TOP/build"
: >"$tally"
broken=()
times=()

# run_suite NAME CMD...: CMD appends "label passed failed" to the tally; a
# suite that exits non-zero without recording a failure counts as broken.
run_suite() {
	local name=$1 before after t0
	shift
	[ -z "$only" ] || [ "$only" = "$name" ] || return 0
	say "suite: $name"
	t0=$(date +%s)
	before=$(awk '{f += $3} END {print f + 0}' "$tally")
	if ! "$@"; then
		after=$(awk '{f += $3} END {print f + 0}' "$tally")
		[ "$after" -gt "$before" ] || broken+=("$name")
	fi
	times+=("$name $(($(date +%s) - t0)) s${suite_note:-}")
	suite_note=
}

# run_ktap LABEL OUT CMD...: run a KTAP-printing test program and judge it;
# a non-zero exit the KTAP does not explain (valgrind's error exit, a
# crash after the last test) is a failure of its own.
run_ktap() {
	local label=$1 out=$2 rc=0 status=0
	shift 2
	"$@" >"$out" 2>&1 || status=$?
	python3 "$QEMU_DIR/verdict.py" --ktap "$out" --src "$src" \
		--label "$label" --tally "$tally" || rc=1
	if [ "$status" -ne 0 ] && [ "$rc" -eq 0 ]; then
		echo "$label: FAILED: exit status $status (log: $out)"
		echo "$label 0 1" >>"$tally"
		rc=1
	fi
	return $rc
}

host_tests() {
	local c t rc=0 vg=$TOP/build/host-vg pid
	src=$(linux_src) || return 1
	make -s -j"$(nproc)" -C "$TOP" host-build || return 1
	# valgrind's runs, one CPU's work, beside the rest of the suite
	: >"$vg/tally"
	tally=$vg/tally valgrind_tests >"$vg/suite.log" 2>&1 &
	pid=$!
	for c in "$TOP"/tests/host/*_test.c; do
		t=$(basename "$c" .c)
		run_ktap "host $t" "$TOP/build/host/$t.tap" "$TOP/build/host/$t" ||
			rc=1
	done
	realheap_tests || rc=1
	python_host_tests || rc=1
	wait $pid || rc=1
	cat "$vg/suite.log"
	cat "$vg/tally" >>"$tally"
	return $rc
}
valgrind_tests() {
	local c t rc=0
	for c in "$TOP"/tests/host/*_test.c; do
		t=$(basename "$c" .c)
		run_ktap "valgrind $t" "$TOP/build/host-vg/$t.tap" \
			valgrind -q --error-exitcode=99 --leak-check=no \
			"$TOP/build/host-vg/$t" || rc=1
	done
	return $rc
}

# The Python package's tests that need no /dev/mheap (python/tests/
# test_static.py: docstrings, the type stub, errors before any heap); the
# rest run in the VMs.
python_host_tests() {
	local d=$TOP/build/python-host
	make -s -C "$TOP" python >/dev/null || return 1
	mkdir -p "$d"
	run_ktap "host python" "$d/static.tap" python_static "$d"
}
python_static() {
	local rc=0
	rm -f "$1/tap"
	(cd "$1" && PYTHONPATH=$TOP/build/python MHEAP_TAP=$1/tap \
		PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -P -m pytest \
		-p no:cacheprovider -q "$TOP/python/tests/test_static.py") \
		>"$1/pytest.log" 2>&1 || rc=$?
	cat "$1/tap" 2>/dev/null
	return $rc
}

# Real programs' heaps (Documentation/snapshot.rst): each workload
# snapshotted now, with CPython's garbage, and replayed in the host core,
# which must find exactly that garbage.
realheap_tests() {
	local d=$TOP/build/realheap
	make -s -C "$TOP" build/realheap/replay_core || return 1
	if ! "$TOP/tests/realheap/workloads.sh" "$d" >"$d/workloads.log" 2>&1; then
		echo "host realheap: FAILED: a workload could not be snapshotted (log: $d/workloads.log)"
		tail -n 3 "$d/workloads.log"
		echo "host_realheap 0 1" >>"$tally"
		return 1
	fi
	run_ktap "host realheap" "$d/replay.tap" "$d/replay_core" "$d"/*.mhs*
}

# The core's fuzz target: every saved input (the seed corpus and the
# regressions, each a test), then a bounded run from the seeds.
FUZZ_RUNS=200000 FUZZ_SECONDS=60
fuzz_tests() {
	local f=$TOP/build/fuzz bin=$TOP/build/fuzz/core_fuzz inputs n rc=0
	make -s -C "$TOP" build/fuzz/core_fuzz build/fuzz/snapshot_fuzz || return 1
	inputs=("$TOP"/tests/fuzz/corpus/* "$TOP"/tests/fuzz/regress/*)
	inputs=($(ls -d "${inputs[@]}" 2>/dev/null))
	# with no inputs, libFuzzer would fuzz without end, not replay
	if [ ${#inputs[@]} -eq 0 ]; then
		echo "fuzz replay: FAILED (no saved inputs in tests/fuzz/corpus or regress)"
		echo "fuzz_replay 0 1" >>"$tally"
		rc=1
	elif "$bin" "${inputs[@]}" >"$f/replay.log" 2>&1; then
		echo "fuzz replay: ok (${#inputs[@]} saved inputs)"
		echo "fuzz_replay ${#inputs[@]} 0" >>"$tally"
	else
		echo "fuzz replay: FAILED (log: $f/replay.log)"
		grep -m1 'core_fuzz:\|ERROR' "$f/replay.log"
		echo "fuzz_replay 0 1" >>"$tally"
		rc=1
	fi
	rm -rf "$f/check-corpus" "$f"/crash-* "$f"/leak-* "$f"/timeout-*
	mkdir -p "$f/check-corpus"
	if "$bin" -runs=$FUZZ_RUNS -max_total_time=$FUZZ_SECONDS -max_len=4096 \
		-artifact_prefix="$f/" "$f/check-corpus" "$TOP/tests/fuzz/corpus" \
		>"$f/check.log" 2>&1; then
		n=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$f/check.log")
		echo "fuzz core: ok (${n:-?} executions, $(ls "$f/check-corpus" | wc -l) new inputs; log: $f/check.log)"
		echo "fuzz_core 1 0" >>"$tally"
	else
		echo "fuzz core: FAILED (log: $f/check.log); the input is $(ls "$f"/crash-* "$f"/leak-* "$f"/timeout-* 2>/dev/null | head -1)"
		grep -m1 'core_fuzz:\|ERROR' "$f/check.log"
		echo "  once fixed, copy it to tests/fuzz/regress/ as a regression test"
		echo "fuzz_core 0 1" >>"$tally"
		rc=1
	fi
	snapshot_fuzz || rc=1
	return $rc
}

# The snapshot parser's fuzz target: its seeds, then a bounded run.
SNAPSHOT_FUZZ_SECONDS=20
snapshot_fuzz() {
	local f=$TOP/build/fuzz bin=$TOP/build/fuzz/snapshot_fuzz
	make -s -C "$TOP" build/fuzz/snapshot_fuzz || return 1
	rm -rf "$f/snapshot-corpus" "$f"/snapshot-crash-*
	mkdir -p "$f/snapshot-corpus"
	if "$bin" -max_total_time=$SNAPSHOT_FUZZ_SECONDS -max_len=4096 \
		-artifact_prefix="$f/snapshot-" "$f/snapshot-corpus" \
		"$TOP/tests/fuzz/snapshot_corpus" >"$f/snapshot.log" 2>&1; then
		echo "fuzz snapshot parser: ok ($(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$f/snapshot.log") executions; log: $f/snapshot.log)"
		echo "fuzz_snapshot 1 0" >>"$tally"
		return 0
	fi
	echo "fuzz snapshot parser: FAILED (log: $f/snapshot.log); the input is $(ls "$f"/snapshot-crash-* "$f"/snapshot-leak-* 2>/dev/null | head -1)"
	echo "fuzz_snapshot 0 1" >>"$tally"
	return 1
}

# beside_start NAME WITH FN: run suite NAME's function FN in the
# background, with a tally and a log of its own, while the suites WITH
# run; beside_wait NAME then judges it as suite NAME and shows its output.
# For the suites that leave a CPU of the 2-core machine idle.
declare -A beside_pid beside_t0 beside_with
beside_start() {
	local name=$1
	[ -z "$only" ] || [ "$only" = "$name" ] || return 0
	: >"$TOP/build/$name.tally"
	beside_t0[$name]=$(date +%s)
	beside_with[$name]=$2
	tally=$TOP/build/$name.tally $3 >"$TOP/build/$name-suite.log" 2>&1 &
	beside_pid[$name]=$!
}
beside_wait() {
	local name=$1 rc=0
	wait "${beside_pid[$name]}" || rc=$?
	suite_note=" waited; it ran $(($(date +%s) - beside_t0[$name])) s, beside ${beside_with[$name]}"
	cat "$TOP/build/$name-suite.log"
	cat "$TOP/build/$name.tally" >>"$tally"
	return $rc
}

harness_tests() {
	"$QEMU_DIR/check-harness.sh" --tally "$tally"
}

start=$(date +%s)
run_suite host host_tests
# the bounded fuzz runs take one CPU for a minute and a half: beside lint
# and package, then into the debug VM's run rather than keeping a CPU idle
# until they end (both fuzz targets are built first: no two makes ever
# build one target)
beside_start fuzz "lint, package and vm" fuzz_tests
run_suite lint "$TOP/tests/lint.sh" --tally "$tally"
run_suite package "$TOP/tests/package.sh" --tally "$tally"
# the debug kernel's run in two boots side by side (run-vm.sh --parts)
run_suite vm "$QEMU_DIR/run-vm.sh" --kernel debug --parts 2 --tally "$tally"
run_suite fuzz beside_wait fuzz
# the harness's boots and the stock kernel's, side by side; what both
# build is built first, so that two makes never race on one target
if [ -z "$only" ]; then
	make -s -C "$TOP" vm-progs vm-snapshots python userspace ||
		broken+=("vm-progs")
fi
beside_start harness stock harness_tests
run_suite stock "$QEMU_DIR/run-vm.sh" --kernel stock --tally "$tally"
run_suite harness beside_wait harness

echo
echo "per suite (passed failed):"
sed 's/^/  /' "$tally"
echo "wall time per suite:"
printf '  %s\n' "${times[@]}"
for b in "${broken[@]}"; do
	echo "  $b: did not run to completion"
done
say "took $(($(date +%s) - start)) s"
passed=$(awk '{p += $2} END {print p + 0}' "$tally")
failed=$(awk '{f += $3} END {print f + 0}' "$tally")
failed=$((failed + ${#broken[@]}))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
