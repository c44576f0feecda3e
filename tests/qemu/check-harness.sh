#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prove the VM harness can fail: boot the debug kernel once per injected
# fault and require that the run fails, naming the fault's cause.
#   check-harness.sh [--kernel debug|kcsan] [--tally FILE]
set -uo pipefail
. "$(dirname "$0")/lib.sh"

tally= kernel=debug
while [ $# -gt 0 ]; do
	case $1 in
	--tally) tally=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	*) die "unknown argument: $1" ;;
	esac
done

# fault:cause verdict.py must report (its "FAIL <cause>:" lines)
FAULTS=(
	"kunit:kunit failure"
	"selftest:selftest failure"
	"warn:splat WARNING"
	"leak:kmemleak"
	"hang:splat hung task"
	"abba:splat lockdep"
)
# The KCSAN kernel (make check-kcsan) must see a race between two CPUs.
[ "$kernel" = kcsan ] && FAULTS=("race:splat KCSAN")

passed=0 failed=0
for entry in "${FAULTS[@]}"; do
	fault=${entry%%:*} cause=${entry#*:}
	log=$TOP/build/vm/harness-$kernel-$fault.verdict
	mkdir -p "${log%/*}"
	# a hang never reaches the end marker: keep its timeout short
	timeout=300
	[ "$fault" = hang ] && timeout=90
	# mode harness: only what shows the fault (init.sh run_harness)
	if "$QEMU_DIR/run-vm.sh" --kernel "$kernel" --mode harness \
		--inject "$fault" --timeout $timeout >"$log" 2>&1; then
		echo "not ok harness: injected $fault passed unnoticed"
		failed=$((failed + 1))
	elif grep -q "^FAIL $cause:" "$log"; then
		echo "ok harness: injected $fault detected: $(grep -m1 "^FAIL $cause:" "$log")"
		passed=$((passed + 1))
	else
		echo "not ok harness: injected $fault failed, but not as '$cause':"
		sed 's/^/    /' "$log"
		failed=$((failed + 1))
	fi
done
echo "harness: $passed passed, $failed failed"
[ -n "$tally" ] && echo "harness $passed $failed" >>"$tally"
[ $failed -eq 0 ]
