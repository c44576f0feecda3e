#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the test VM. The kernel console is ttyS0; results go to ttyS1 in
# sections "@@mheap begin NAME" .. "@@mheap end NAME", then "@@mheap done".
# Kernel command line: mheap_mode=check|demo|shell, mheap_inject=FAULT.

/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

MODE=check
INJECT=
for word in $(cat /proc/cmdline); do
	case $word in
	mheap_mode=*) MODE=${word#*=} ;;
	mheap_inject=*) INJECT=${word#*=} ;;
	esac
done

MODDIR=/lib/mheap
KMEMLEAK=/sys/kernel/debug/kmemleak
exec 3>/dev/ttyS1

begin() { echo "@@mheap begin $1" >&3; }
end() { echo "@@mheap end $1" >&3; }
error() { echo "@@mheap error $*" >&3; }
finish() {
	echo "@@mheap done" >&3
	reboot -f
}

# Load a module whose KUnit suites run at load; its KTAP goes to a section
# of its own, so that the parser sees one block per section.
kunit_module() {
	name=$1
	shift
	dmesg -c >/dev/null
	insmod "$@" || error "insmod $name failed"
	begin "kunit:$name"
	dmesg >&3
	end "kunit:$name"
}

selftest() {
	begin "selftest:$1"
	"/bin/$1" >&3 2>&1 3>&-
	end "selftest:$1"
}

unload() {
	for m in "$@"; do
		grep -q "^$m " /proc/modules || continue
		rmmod "$m" || error "rmmod $m failed"
	done
}

# Report what kmemleak finds (kernels without it have no such file).
kmemleak_report() {
	[ -w $KMEMLEAK ] || return 0
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
	hang) echo 5 >/proc/sys/kernel/hung_task_timeout_secs ;;
	warn | leak) ;;
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

run_check() {
	fault_injection_setup
	if [ -w $KMEMLEAK ]; then
		# forget what boot itself left behind
		echo scan >$KMEMLEAK
		echo clear >$KMEMLEAK
	fi
	insmod $MODDIR/mheap.ko || error "insmod mheap.ko failed"
	[ -f $MODDIR/mheap_test.ko ] &&
		kunit_module mheap_test $MODDIR/mheap_test.ko
	[ "$INJECT" = kunit ] &&
		kunit_module mheap_inject $MODDIR/mheap_inject.ko fault=kunit
	inject_fault
	selftest mheap_selftest
	[ "$INJECT" = selftest ] && selftest mheap_inject_selftest
	unload mheap_inject mheap_test mheap
	kmemleak_report
}

run_demo() {
	insmod $MODDIR/mheap.ko || error "insmod mheap.ko failed"
	begin demo
	mheapctl demo >&3 2>&1 3>&- || error "mheapctl demo failed"
	end demo
	unload mheap
}

run_shell() {
	insmod $MODDIR/mheap.ko || echo "insmod mheap.ko failed"
	echo "mheap VM: /dev/mheap is ready; modules in $MODDIR; exit to power off"
	setsid cttyhack sh
}

echo "mheap init: mode=$MODE inject=${INJECT:-none}"
case $MODE in
demo) run_demo ;;
shell) run_shell ;;
*) run_check ;;
esac
finish
