#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prove the VM harness can fail: boot the debug kernel with injected
# faults and require that the run fails, naming each fault's cause; the
# six faults share two boots.
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
	"abba:splat lockdep"
	"hang:splat hung task"
)
# The boots, faults injected one after another in each. A WARN panics the
# kernel (panic_on_warn) and a hang too (hung_task_panic): each ends its
# boot. Lockdep's report is a "WARNING:" line too, so that the WARN_ON is
# the only WARNING of its boot, the lock inversion goes with the hang.
RUNS=("kunit,selftest,leak,warn" "abba,hang")
# The KCSAN kernel (make check-kcsan) must see a race between two CPUs.
if [ "$kernel" = kcsan ]; then
	FAULTS=("race:splat KCSAN")
	RUNS=(race)
fi

passed=0 failed=0
for run in "${RUNS[@]}"; do
	log=$TOP/build/vm/harness-$kernel-${run//,/-}.verdict
	mkdir -p "${log%/*}"
	# a hang never reaches the end marker: keep its timeout short
	timeout=300
	case ,$run, in *,hang,*) timeout=90 ;; esac
	# mode harness: only what shows the faults (init.sh run_harness)
	"$QEMU_DIR/run-vm.sh" --kernel "$kernel" --mode harness \
		--inject "$run" --timeout $timeout >"$log" 2>&1
	rc=$?
	for entry in "${FAULTS[@]}"; do
		fault=${entry%%:*} cause=${entry#*:}
		case ,$run, in *,$fault,*) ;; *) continue ;; esac
		if [ $rc -eq 0 ]; then
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
done
echo "harness: $passed passed, $failed failed"
[ -n "$tally" ] && echo "harness $passed $failed" >>"$tally"
[ $failed -eq 0 ]
