#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel in QEMU with mheap and its tests in an initramfs, then judge
# the run (verdict.py).
#
#   run-vm.sh [--kernel debug|kcsan|stock]
#             [--mode check|harness|demo|bench|shell]
#             [--inject FAULT] [--timeout SECONDS] [--tally FILE]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=debug mode=check inject= timeout= tally=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--inject) inject=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--tally) tally=$2; shift 2 ;;
	*) die "unknown argument: $1" ;;
	esac
done

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
      -kernel "$image" -initrd "$out/initramfs.cpio" -append "$append")

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -nographic -serial mon:stdio \
		-serial "file:$out/results.log"
fi

say "booting: $label (logs in $out)"
# A kernel that dies before init writes a line (results.log empty) has run
# none of mheap's code: that boot is tried once more, and said so. Seen
# once on the stock kernel under TCG: an int3 oops while the kernel patched
# its own text at boot ("sched_clock: Marking stable").
rm -f "$out/console-first-boot.log"
for boot in 1 2; do
	rc=0
	timeout -k 10 "$timeout" "${qemu[@]}" -display none -monitor none \
		-serial "file:$out/console.log" -serial "file:$out/results.log" \
		</dev/null || rc=$?
	[ $rc -ne 124 ] && [ ! -s "$out/results.log" ] && [ $boot -eq 1 ] ||
		break
	mv "$out/console.log" "$out/console-first-boot.log"
	say "$label: the kernel died before init ran; booting again" \
		"(first console: $out/console-first-boot.log)"
done
[ $rc -eq 124 ] && touch "$out/timed-out"

case $mode in
demo) expect=(--expect demo) ;;
bench) expect=(--expect bench) ;;
harness)
	# FAULT may be a comma-separated list, injected one after another
	expect=()
	case ,$inject, in *,kunit,*) expect+=(--expect kunit:mheap_inject) ;; esac
	case ,$inject, in
	*,selftest,*) expect+=(--expect selftest:mheap_inject_selftest) ;;
	esac ;;
*) expect=()
   for p in "$TOP"/build/vm/progs/*_selftest_32; do
	t=${p##*/}
	t=${t%_32}
	expect+=(--expect selftest:$t --expect selftest:${t}_user
		 --expect selftest:${t}_32)
   done
   expect+=(--expect selftest:mheap_replay
	   --expect selftest:mheap_race_selftest
	   --expect selftest:mheap_limits_selftest
	   --expect selftest:mheap_admin_selftest
	   --expect selftest:python --expect selftest:python_readme)
   [ "$kernel" = stock ] && expect+=(--expect selftest:python_user)
   [ "$kernel" != stock ] && expect+=(--expect kunit:mheap_test
				     --expect selftest:mheap_fault_selftest
				     --expect selftest:mheap_stress) ;;
esac
# every CPU QEMU gives must run, and the checking kernels must preempt
machine=(--cpus $cpus)
[ "$kernel" != stock ] && machine+=(--preempt)
vrc=0
python3 "$QEMU_DIR/verdict.py" --out "$out" --src "$src" --label "$label" \
	"${expect[@]}" "${machine[@]}" ${tally:+--tally "$tally"} || vrc=$?
# Where the run's time went: each section's wall time, as init measured it.
times=$(sed -n 's/^@@mheap time \([^ ]*\) \([0-9.]*\).*/\1 \2s/p' \
	"$out/results.log" | paste -sd, - | sed 's/,/, /g')
[ -n "$times" ] && echo "$label: section times: $times"
# The demo's narration, and the batch benchmark's table, as they ran.
for section in demo bench; do
	grep -q "^@@mheap begin $section" "$out/results.log" || continue
	[ $section = bench ] && echo "mheapctl bench ($label):"
	sed -n "/^@@mheap begin $section/,/^@@mheap end $section/{/^@@mheap/d;p}" \
		"$out/results.log"
done
exit $vrc
