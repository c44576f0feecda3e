#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel in QEMU with mheap and its tests in an initramfs, then judge
# the run (verdict.py).
#
#   run-vm.sh [--kernel debug|kcsan|stock]
#             [--mode check|harness|demo|bench|shell] [--parts 1|2]
#             [--inject FAULT] [--timeout SECONDS] [--tally FILE]
#
# --parts 2 (mode check) splits the run into two boots side by side, each
# with the sections tests/qemu/parts gives it, each judged on its own:
# the tests are mostly one thread, so one boot leaves a CPU of the
# 2-core machine idle.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=debug mode=check inject= timeout= tally= parts=1
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--parts) parts=$2; shift 2 ;;
	--inject) inject=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--tally) tally=$2; shift 2 ;;
	*) die "unknown argument: $1" ;;
	esac
done
case $mode:$parts in
*:1 | check:2) ;;
*) die "--parts is 1, or 2 in mode check" ;;
esac

case $kernel in
debug)
	kdir=$("$QEMU_DIR/build-kernel.sh")
	image=$kdir/arch/x86/boot/bzImage
	label="debug kernel"
	;;
kcsan)
	kdir=$("$QEMU_DIR/build-kernel.sh" kcsan)
	image=$kdir/arch/x86/boot/bzImage
	label="KCSAN kernel"
	;;
stock)
	ver=$(stock_version)
	kdir=/usr/src/linux-headers-$ver
	image=/boot/vmlinuz-$ver
	label="stock $ver"
	;;
*) die "--kernel is debug, kcsan or stock" ;;
esac
[ -n "$inject" ] && label="$label, injected $inject"
# a run on a checking kernel takes 4 to 5 minutes on the 2-core machine
if [ -z "$timeout" ]; then
	case $kernel in
	stock) timeout=300 ;;
	*) timeout=900 ;;
	esac
fi
[ "$mode" = check ] || label="$label, $mode"

out=$TOP/build/vm/$kernel-$mode${inject:+-$inject}
src=$(linux_src)
mkdir -p "$out"
rm -f "$out"/*.log "$out/timed-out"

# the checking kernels' module has guard bytes (module/core/object.h) and
# the fault-injection module; the debug kernel's also runs the invariant
# validators at every unlock (module/core/validate.c), which under KCSAN's
# instrumentation slowed the race tests past their timeouts. One build per
# kernel serves every mode.
kmod=$TOP/build/vm/kmod-$kernel
case $kernel in
stock) build_modules "$kdir" "$kmod" "" ;;
kcsan) build_modules "$kdir" "$kmod" inject MHEAP_GUARD=y ;;
*) build_modules "$kdir" "$kmod" inject MHEAP_GUARD=y MHEAP_DEBUG=y ;;
esac
make -s -C "$TOP" vm-progs vm-snapshots python userspace >&2

# The initramfs, written by the kernel's own gen_init_cpio.
gen=$TOP/build/gen_init_cpio
[ -x "$gen" ] || gcc -O2 -o "$gen" "$src/usr/gen_init_cpio.c"
{
	for d in /bin /dev /proc /sys /tmp /root /lib /lib/mheap \
		/lib/mheap/snapshots; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /init $QEMU_DIR/init.sh 0755 0 0"
	echo "file /lib/mheap/parts $QEMU_DIR/parts 0644 0 0"
	echo "dir /etc 0755 0 0"
	echo "dir /etc/udev 0755 0 0"
	echo "dir /etc/udev/rules.d 0755 0 0"
	echo "file /etc/udev/rules.d/70-mheap.rules $TOP/userspace/udev/70-mheap.rules 0644 0 0"
	echo "file /bin/busybox /bin/busybox 0755 0 0"
	for p in "$TOP"/build/vm/progs/*; do
		echo "file /bin/${p##*/} $p 0755 0 0"
	done
	for f in "$TOP"/build/vm/snapshots/*.mhs; do
		echo "file /lib/mheap/snapshots/${f##*/} $f 0644 0 0"
	done
	# make bench: the workloads' snapshots too (tests/realheap/workloads.sh)
	if [ "$mode" = bench ]; then
		echo "dir /lib/mheap/bench 0755 0 0"
		for f in "$TOP"/build/realheap-bench/1/*.mhs*; do
			[ -f "$f" ] && echo "file /lib/mheap/bench/${f##*/} $f 0644 0 0"
		done
	fi
	for m in $(find "$kmod" -name '*.ko'); do
		echo "file /lib/mheap/${m##*/} $m 0644 0 0"
	done
	# Debian's python3 and pytest, the package and its tests, the README's
	# example (python-files.sh); not for the harness's many short boots
	case $mode in
	check | demo | shell) "$QEMU_DIR/python-files.sh" "$out" ;;
	bench) "$QEMU_DIR/python-files.sh" "$out" --bench ;;
	*) rm -f "$out"/readme_example.* ;;
	esac
} | awk '!seen[$0]++' >"$out/initramfs.list"
"$gen" "$out/initramfs.list" >"$out/initramfs.cpio"

append="console=ttyS0 panic_on_warn=1 oops=panic panic=-1"
append+=" mheap_mode=$mode${inject:+ mheap_inject=$inject}"
cpus=2
qemu=(qemu-system-x86_64 -accel tcg -smp $cpus -m 1G -no-reboot
      -kernel "$image" -initrd "$out/initramfs.cpio")

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -append "$append" -nographic -serial mon:stdio \
		-serial "file:$out/results.log"
fi

# boot DIR LABEL APPEND: one boot, its logs in DIR. A kernel that dies
# before init writes a line (results.log empty) has run none of mheap's
# code: that boot is tried once more, and said so. Seen once on the stock
# kernel under TCG: an int3 oops while the kernel patched its own text at
# boot ("sched_clock: Marking stable").
boot() {
	local dir=$1 what=$2 try rc
	mkdir -p "$dir"
	rm -f "$dir"/*.log "$dir/timed-out"
	say "booting: $what (logs in $dir)"
	for try in 1 2; do
		rc=0
		timeout -k 10 "$timeout" "${qemu[@]}" -append "$3" \
			-display none -monitor none \
			-serial "file:$dir/console.log" \
			-serial "file:$dir/results.log" </dev/null || rc=$?
		[ $rc -ne 124 ] && [ ! -s "$dir/results.log" ] &&
			[ $try -eq 1 ] || break
		mv "$dir/console.log" "$dir/console-first-boot.log"
		say "$what: the kernel died before init ran; booting again" \
			"(first console: $dir/console-first-boot.log)"
	done
	[ $rc -eq 124 ] && touch "$dir/timed-out"
	return 0
}

# The sections each mode must show; in mode check, the selftests three ways
# each (as root, unprivileged, 32-bit), and the rest.
case $mode in
demo) expect=(demo) ;;
bench) expect=(bench) ;;
harness)
	# FAULT may be a comma-separated list, injected one after another
	expect=()
	case ,$inject, in *,kunit,*) expect+=(kunit:mheap_inject) ;; esac
	case ,$inject, in
	*,selftest,*) expect+=(selftest:mheap_inject_selftest) ;;
	esac ;;
*) expect=()
   for p in "$TOP"/build/vm/progs/*_selftest_32; do
	t=${p##*/}
	t=${t%_32}
	expect+=(selftest:$t selftest:${t}_user selftest:${t}_32)
   done
   expect+=(selftest:mheap_replay selftest:mheap_race_selftest
	    selftest:mheap_limits_selftest selftest:mheap_admin_selftest
	    selftest:python selftest:python_readme)
   [ "$kernel" = stock ] && expect+=(selftest:python_user)
   # the leak scan, in every boot of a checking kernel: a scan that did
   # not run must not read as no leaks
   [ "$kernel" != stock ] && expect+=(kunit:mheap_test
				     selftest:mheap_fault_selftest
				     selftest:mheap_stress kmemleak) ;;
esac

# part_of SECTION: its part in tests/qemu/parts (init.sh's in_part()).
part_of() {
	awk -v s="$1" '$1 == s { p = $2 } END { print p ? p : 2 }' \
		"$QEMU_DIR/parts"
}

if [ "$parts" -eq 1 ]; then
	dirs=("$out") labels=("$label")
	boot "$out" "$label" "$append"
else
	dirs=() labels=()
	for p in $(seq "$parts"); do
		dirs+=("$out/part$p")
		labels+=("$label, part $p of $parts")
		boot "$out/part$p" "${labels[-1]}" "$append mheap_part=$p" &
	done
	wait
fi

# every CPU QEMU gives must run, and the checking kernels must preempt
machine=(--cpus $cpus)
[ "$kernel" != stock ] && machine+=(--preempt)
vrc=0
for i in "${!dirs[@]}"; do
	dir=${dirs[$i]}
	args=()
	for e in "${expect[@]}"; do
		[ "$parts" -eq 1 ] || [ "$e" = kmemleak ] ||
			[ "$(part_of "$e")" -eq $((i + 1)) ] || continue
		args+=(--expect "$e")
	done
	python3 "$QEMU_DIR/verdict.py" --out "$dir" --src "$src" \
		--label "${labels[$i]}" "${args[@]}" "${machine[@]}" \
		${tally:+--tally "$tally"} || vrc=1
	# Where the run's time went: each section's wall time, as init
	# measured it.
	times=$(sed -n 's/^@@mheap time \([^ ]*\) \([0-9.]*\).*/\1 \2s/p' \
		"$dir/results.log" | paste -sd, - | sed 's/,/, /g')
	[ -n "$times" ] && echo "${labels[$i]}: section times: $times"
	# The demo's narration, and the batch benchmark's table, as they ran.
	for section in demo bench; do
		grep -q "^@@mheap begin $section" "$dir/results.log" || continue
		[ $section = bench ] && echo "mheapctl bench (${labels[$i]}):"
		sed -n "/^@@mheap begin $section/,/^@@mheap end $section/{/^@@mheap/d;p}" \
			"$dir/results.log"
	done
done
exit $vrc
