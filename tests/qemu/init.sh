#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the test VM. The kernel console is ttyS0; results go to ttyS1 in
# sections "@@mheap begin NAME" .. "@@mheap end NAME", then "@@mheap done".
# Kernel command line: mheap_mode=check|harness|demo|bench|shell,
# mheap_inject=FAULT, mheap_part=N (mode check: only the sections that
# tests/qemu/parts gives to part N; run-vm.sh --parts).

/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null

MODE=check
INJECT=
PART=
for word in $(cat /proc/cmdline); do
	case $word in
	mheap_mode=*) MODE=${word#*=} ;;
	mheap_inject=*) INJECT=${word#*=} ;;
	mheap_part=*) PART=${word#*=} ;;
	esac
done

MODDIR=/lib/mheap
KMEMLEAK=/sys/kernel/debug/kmemleak
exec 3>/dev/ttyS1

# A section's wall time goes out after its end marker, as
# "@@mheap time NAME SECONDS", outside every section.
uptime() { cut -d' ' -f1 /proc/uptime; }
begin() {
	echo "@@mheap begin $1" >&3
	SECTION_START=$(uptime)
}
end() {
	echo "@@mheap end $1" >&3
	echo "@@mheap time $1 $(echo "$SECTION_START $(uptime)" |
		awk '{printf "%.1f", $2 - $1}')" >&3
}
error() { echo "@@mheap error $*" >&3; }
finish() {
	echo "@@mheap done" >&3
	reboot -f
}

# in_part SECTION: whether this boot runs SECTION. A boot split into parts
# runs the sections that tests/qemu/parts gives its part; a section the
# file does not name belongs to the last part, 2.
in_part() {
	[ -n "$PART" ] || return 0
	[ "$(awk -v s="$1" '$1 == s { p = $2 } END { print p ? p : 2 }' \
		$MODDIR/parts)" = "$PART" ]
}

# Load a module whose KUnit suites run at load; its KTAP goes to a section
# of its own, so that the parser sees one block per section.
kunit_module() {
	name=$1
	shift
	in_part "kunit:$name" || return 0
	dmesg -c >/dev/null
	begin "kunit:$name"
	insmod "$@" || error "insmod $name failed"
	dmesg >&3
	end "kunit:$name"
}

# selftest PROGRAM [SECTION USER]: run as root, or as USER.
selftest() {
	in_part "selftest:${2:-$1}" || return 0
	begin "selftest:${2:-$1}"
	if [ -n "${3:-}" ]; then
		su "$3" -s /bin/sh -c "/bin/$1" >&3 2>&1 3>&-
	else
		"/bin/$1" >&3 2>&1 3>&-
	fi
	end "selftest:${2:-$1}"
}

# Real heaps (Documentation/snapshot.rst): each snapshot in the initramfs
# rebuilt by mheapctl replay, which must free exactly CPython's garbage;
# one TAP line per snapshot, mheapctl's report as diagnostics.
replay_snapshots() {
	in_part selftest:mheap_replay || return 0
	begin selftest:mheap_replay
	{
		set -- $MODDIR/snapshots/*.mhs
		echo "TAP version 13"
		echo "1..$#"
		n=0
		for f in "$@"; do
			n=$((n + 1))
			if mheapctl replay "$f" >/tmp/replay.out 2>&1; then
				echo "ok $n replay ${f##*/}"
			else
				echo "not ok $n replay ${f##*/}"
			fi
			sed 's/^/# /' /tmp/replay.out
		done
	} >&3
	end selftest:mheap_replay
}

# The Python package's pytest suite (python/tests) with Debian's python3,
# which tests/qemu/python-files.sh put in the initramfs, as root or as USER:
# the TAP that the suite's conftest.py writes to $MHEAP_TAP, then pytest's
# own report as diagnostics.
# python_tests SECTION [USER]
python_tests() {
	in_part "selftest:$1" || return 0
	tap=/tmp/$1.tap
	rm -f $tap
	cmd="cd /tmp && exec /bin/env HOME=/tmp PYTHONDONTWRITEBYTECODE=1"
	cmd="$cmd MHEAP_TAP=$tap /usr/bin/python3 -m pytest -p no:cacheprovider"
	cmd="$cmd -q $MODDIR/python-tests"
	begin "selftest:$1"
	if [ -n "${2:-}" ]; then
		su "$2" -s /bin/sh -c "$cmd" >/tmp/$1.out 2>&1 3>&-
	else
		sh -c "$cmd" >/tmp/$1.out 2>&1 3>&-
	fi
	[ -f $tap ] || error "selftest:$1: pytest wrote no TAP"
	{
		cat $tap 2>/dev/null
		sed 's/^/# /' /tmp/$1.out
	} >&3
	end "selftest:$1"
}

# The README's Python example (python-files.sh took it from README.md): it
# must run, as root, and print what the README says it prints. Its output
# goes to /tmp/readme.out; what differs, to /tmp/readme.diff.
readme_example() {
	(cd /tmp && exec env HOME=/tmp PYTHONDONTWRITEBYTECODE=1 \
		/usr/bin/python3 $MODDIR/readme_example.py) \
		>/tmp/readme.out 2>&1 3>&-
	rc=$?
	diff -u $MODDIR/readme_example.txt /tmp/readme.out \
		>/tmp/readme.diff 2>&1 && [ $rc -eq 0 ] && return 0
	echo "exit status $rc" >>/tmp/readme.diff
	return 1
}

# In mode check, the example is one TAP test of its own section.
python_readme() {
	[ -f $MODDIR/readme_example.py ] || return 0
	in_part selftest:python_readme || return 0
	begin selftest:python_readme
	{
		echo "TAP version 13"
		echo "1..1"
		if readme_example; then
			echo "ok 1 readme_example"
			sed 's/^/# /' /tmp/readme.out
		else
			echo "not ok 1 readme_example"
			sed 's/^/# /' /tmp/readme.diff
		fi
	} >&3
	end selftest:python_readme
}

# Users and groups for the unprivileged runs: mheapuser is in group mheap,
# nobody is not.
MHEAP_GID=900
setup_users() {
	mkdir -p /etc
	cat >/etc/passwd <<-EOF
	root:x:0:0:root:/root:/bin/sh
	mheapuser:x:1000:$MHEAP_GID::/tmp:/bin/sh
	nobody:x:65534:65534::/tmp:/bin/sh
	EOF
	cat >/etc/group <<-EOF
	root:x:0:
	mheap:x:$MHEAP_GID:mheapuser
	nogroup:x:65534:
	EOF
}

# What the shipped udev rule does (the VM has no udevd): apply its GROUP
# and MODE to the device node.
apply_udev_rule() {
	rule=/etc/udev/rules.d/70-mheap.rules
	group=$(sed -n 's/.*GROUP="\([^"]*\)".*/\1/p' $rule)
	mode=$(sed -n 's/.*MODE="\([^"]*\)".*/\1/p' $rule)
	chgrp "$group" /dev/mheap && chmod "$mode" /dev/mheap ||
		error "cannot apply $rule (group '$group', mode '$mode')"
}


# Device permissions: nobody is refused, with EACCES.
check_access() {
	if su nobody -s /bin/sh -c "/bin/mheapctl version" >/tmp/out 2>&1; then
		error "a user outside group mheap opened /dev/mheap"
	fi
	grep -q EACCES /tmp/out ||
		error "nobody's open of /dev/mheap: expected EACCES, got: $(cat /tmp/out)"
}

# An open file holds the module: rmmod must fail until it is closed.
check_rmmod_refused() {
	exec 5<>/dev/mheap
	if rmmod mheap 2>/dev/null; then
		error "rmmod mheap succeeded while /dev/mheap was open"
		insmod $MODDIR/mheap.ko
	fi
	exec 5>&-
}

unload() {
	for m in "$@"; do
		grep -q "^$m " /proc/modules || continue
		rmmod "$m" || error "rmmod $m failed"
	done
}

# Report what kmemleak finds. The stock kernel has no such file; on a
# checking kernel a missing one is an error (and run-vm.sh expects the
# section), so that a scan that did not run never reads as no leaks.
kmemleak_report() {
	if [ ! -w $KMEMLEAK ]; then
		[ -e /proc/self/fail-nth ] && error "no $KMEMLEAK to scan"
		return 0
	fi
	# Objects younger than 5 s are never reported, and a new object's first
	# scan only records its checksum: it can be reported from the second.
	sleep 6
	echo scan >$KMEMLEAK
	echo scan >$KMEMLEAK
	begin kmemleak
	cat $KMEMLEAK >&3
	end kmemleak
}

inject_fault() {
	case $INJECT in
	hang)
		# report after 5 s, and panic then: the run ends at the report
		# instead of at its timeout
		echo 5 >/proc/sys/kernel/hung_task_timeout_secs
		echo 1 >/proc/sys/kernel/hung_task_panic ;;
	warn | leak | abba | race) ;;
	*) return 0 ;;
	esac
	insmod $MODDIR/mheap_inject.ko fault=$INJECT ||
		error "insmod mheap_inject failed"
}

# Let a task's fail-nth (the tests' core_fail_nth()) hit every allocation
# the core makes: sleeping ones, highmem (vmalloc) pages, order-0 pages.
# Quietly: an injected failure is an expected event, not a splat.
fault_injection_setup() {
	d=/sys/kernel/debug
	[ -d $d/failslab ] || return 0
	echo N >$d/failslab/ignore-gfp-wait
	echo 0 >$d/failslab/verbose
	echo N >$d/fail_page_alloc/ignore-gfp-wait
	echo N >$d/fail_page_alloc/ignore-gfp-highmem
	echo 0 >$d/fail_page_alloc/min-order
	echo 0 >$d/fail_page_alloc/verbose
}

# Forget what boot itself left behind, so that a kmemleak report names
# only what the run leaked.
forget_boot_leaks() {
	[ -w $KMEMLEAK ] || return 0
	echo scan >$KMEMLEAK
	echo clear >$KMEMLEAK
}

run_check() {
	fault_injection_setup
	forget_boot_leaks
	insmod $MODDIR/mheap.ko || error "insmod mheap.ko failed"
	[ -f $MODDIR/mheap_test.ko ] &&
		kunit_module mheap_test $MODDIR/mheap_test.ko
	setup_users
	apply_udev_rule
	check_access
	check_rmmod_refused
	# the uapi's selftests (Makefile: SELFTESTS_32), three ways each: as
	# root, as an unprivileged user, and as 32-bit programs
	for p in /bin/*_selftest_32; do
		t=${p##*/}
		t=${t%_32}
		selftest $t
		selftest $t ${t}_user mheapuser
		selftest ${t}_32
	done
	# real programs' heaps, CPython's garbage as the oracle
	replay_snapshots
	# copy-out races, stalled with userfaultfd (root: kernel-mode faults)
	selftest mheap_race_selftest
	# the fail-nth sweep, where the kernel has fault injection
	[ -e /proc/self/fail-nth ] && selftest mheap_fault_selftest
	# random ioctls from threads and processes, killed at random; on the
	# debug kernel, whose checkers judge it
	if [ -e /proc/self/fail-nth ]; then
		export MHEAP_STRESS_SECONDS=${STRESS_SECONDS:-20}
		selftest mheap_stress
	fi
	# the limits, as root: module parameters, heaps per user, cgroup v2
	selftest mheap_limits_selftest
	# what an administrator sees: tracepoints, debugfs, sysfs, parameters
	selftest mheap_admin_selftest
	# the Python package (python/), its tests and the README's example;
	# as an unprivileged user on the stock kernel only, where it takes 20 s
	# and not 40
	python_tests python
	[ -e /proc/self/fail-nth ] || python_tests python_user mheapuser
	python_readme
	# figures only, printed by run-vm.sh and not judged; not on a checking
	# kernel, whose figures say nothing
	if [ ! -e /proc/self/fail-nth ] && in_part bench; then
		begin bench
		mheapctl bench --ops 32768 >&3 2>&1 3>&- ||
			error "mheapctl bench failed"
		end bench
	fi
	unload mheap_test mheap
	kmemleak_report
}

# The harness self-check (mheap_mode=harness): the injected faults (a
# comma-separated list, one after another), with mheap loaded, and only
# what is needed to show each (its KUnit suite, its selftest, the kernel's
# own checkers, or a kmemleak scan after a leak); every other suite is
# left to mode check. A WARN or a hang panics the kernel: it comes last.
run_harness() {
	faults=$(echo "$INJECT" | tr , ' ')
	forget_boot_leaks
	insmod $MODDIR/mheap.ko || error "insmod mheap.ko failed"
	for INJECT in $faults; do
		case $INJECT in
		kunit)
			kunit_module mheap_inject $MODDIR/mheap_inject.ko \
				fault=kunit ;;
		selftest)
			selftest mheap_inject_selftest ;;
		*)
			inject_fault ;;
		esac
		unload mheap_inject
		[ "$INJECT" = leak ] && kmemleak_report
	done
	unload mheap
}

run_demo() {
	insmod $MODDIR/mheap.ko || error "insmod mheap.ko failed"
	begin demo
	mheapctl demo >&3 2>&1 3>&- || error "mheapctl demo failed"
	# a real program's heap: docutils, snapshotted on the host
	for f in $MODDIR/snapshots/*.mhs; do
		echo >&3
		echo "11. A real program's heap: docutils rendering" \
			"Documentation/index.rst," >&3
		echo "    snapshotted on the host by mheap-snapshot, with" \
			"CPython's own answer" >&3
		echo "    about its garbage; rebuilt here, collected, compared." >&3
		echo "\$ mheapctl replay ${f##*/}" >&3
		mheapctl replay "$f" >&3 2>&1 3>&- ||
			error "mheapctl replay $f failed"
	done
	if [ -f $MODDIR/readme_example.py ]; then
		echo >&3
		echo "12. The Python package: README.md's example, run by" \
			"Debian's python3" >&3
		echo "\$ python3 readme_example.py" >&3
		shown=
		readme_example || {
			error "the README's Python example does not print" \
				"what README.md says (diff in the demo)"
			shown=/tmp/readme.diff
		}
		cat /tmp/readme.out $shown >&3
	fi
	end demo
	unload mheap
}

# mheapctl bench alone (make bench): the one-op versus batch table.
run_bench() {
	insmod $MODDIR/mheap.ko || error "insmod mheap.ko failed"
	begin bench
	mheapctl bench --ops 65536 >&3 2>&1 3>&- || error "mheapctl bench failed"
	# the Python package beside libmheap and CPython (python-files.sh
	# --bench put it here)
	if [ -f $MODDIR/python_bench.py ]; then
		echo >&3
		(cd /tmp && exec env HOME=/tmp PYTHONDONTWRITEBYTECODE=1 \
			/usr/bin/python3 $MODDIR/python_bench.py /bin/ops_bench \
			$MODDIR/libmheap.so.1) >&3 2>&1 3>&- ||
			error "python_bench.py failed"
	fi
	# issue 20's pause table: a client's waits while collections run
	echo >&3
	pause_bench ${MHEAP_PAUSE_SIZES:-1 10} >&3 2>&1 3>&- ||
		error "pause_bench failed"
	# real heaps through the ioctls (those within the handle limit)
	for f in $MODDIR/snapshots/*.mhs $MODDIR/bench/*.mhs*; do
		[ -f "$f" ] || continue
		echo "" >&3
		echo "mheapctl replay ${f##*/}:" >&3
		mheapctl replay "$f" >&3 2>&1 3>&-
	done
	end bench
	unload mheap
}

run_shell() {
	insmod $MODDIR/mheap.ko || echo "insmod mheap.ko failed"
	echo "mheap VM: /dev/mheap is ready; modules in $MODDIR; exit to power off"
	setsid cttyhack sh
}

echo "mheap init: mode=$MODE inject=${INJECT:-none}"
# What the race tests run on: verdict.py fails the run when fewer CPUs are
# online than QEMU was given, or a checking kernel does not preempt.
begin machine
echo "cpus_online $(cat /sys/devices/system/cpu/online)" >&3
echo "nproc $(nproc)" >&3
echo "kernel $(uname -v)" >&3
end machine
case $MODE in
demo) run_demo ;;
bench) run_bench ;;
harness) run_harness ;;
shell) run_shell ;;
*) run_check ;;
esac
finish
