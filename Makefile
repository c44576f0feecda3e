# SPDX-License-Identifier: GPL-2.0
#
# mheap: see README.md. The kernel module itself is built by Kbuild.

# The kernel to build mheap.ko against: the running kernel's build tree when
# there is one, else the debug kernel the VM tests use (built on demand).
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)),$(RUNNING_KDIR),$(shell tests/qemu/build-kernel.sh))

BUILD := build
CC := gcc
CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11
USER_CPPFLAGS := -Iuapi -Iuserspace/lib
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all

# The extracted linux-source tree, for kselftest_harness.h (recursive: only
# extracted when a rule that needs it runs).
LINUX_SRC = $(shell tests/qemu/linux-src.sh)
KSFT = -isystem $(LINUX_SRC)/tools/testing/selftests

LIB_SRC := userspace/lib/libmheap.c
LIB_HDR := userspace/lib/mheap.h uapi/linux/mheap.h
LIB_VERSION := 1.0.0
LIB_SONAME := libmheap.so.1
# The portable core: module/core/, built here as well as in the module
CORE_SRC := $(wildcard module/core/*.c)
CORE_HDR := $(wildcard module/core/*.h) uapi/linux/mheap.h \
	module/tests/core_test.h module/tests/core_util.h \
	$(wildcard module/tests/*_cases.c)

.PHONY: all modules userspace install dkms-source dkms-install dkms-remove htmldocs vm-progs vm-snapshots host-build host-test check check-harness \
	check-kcsan demo bench fuzz vm-shell deps lint clean python

all: modules userspace

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

USER := $(BUILD)/user
userspace: $(USER)/libmheap.a $(USER)/libmheap.so.$(LIB_VERSION) $(USER)/libmheap.pc \
	$(USER)/mheapctl

$(USER)/libmheap.o: $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(USER_CPPFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(USER)/libmheap.a: $(USER)/libmheap.o
	$(AR) rcs $@ $^

$(USER)/libmheap.so.$(LIB_VERSION): $(USER)/libmheap.o userspace/lib/libmheap.map
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script,userspace/lib/libmheap.map -o $@ $<
	ln -sf libmheap.so.$(LIB_VERSION) $(USER)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(USER)/libmheap.so

$(USER)/libmheap.pc: userspace/lib/libmheap.pc.in Makefile
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@VERSION@|$(LIB_VERSION)|' $< >$@

TOOL_SRC := userspace/tools/mheapctl.c userspace/tools/view.c \
	userspace/tools/replay.c userspace/tools/snapshot.c
TOOL_HDR := userspace/tools/view.h userspace/tools/replay.h \
	userspace/tools/snapshot.h
$(USER)/mheapctl: $(TOOL_SRC) $(TOOL_HDR) $(USER)/libmheap.so.$(LIB_VERSION)
	$(CC) $(CFLAGS) $(USER_CPPFLAGS) -o $@ $(TOOL_SRC) -L$(USER) -lmheap

# make install [PREFIX=/usr/local] [DESTDIR=]: library, headers, pkg-config
# file, mheapctl, the man pages (with a page per libmheap function that
# points to libmheap(3)) and the udev rule.
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
MANDIR ?= $(PREFIX)/share/man
UDEVDIR ?= /lib/udev/rules.d
install: userspace
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include/linux \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UDEVDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 0644 $(USER)/libmheap.a $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(USER)/libmheap.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libmheap.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libmheap.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@VERSION@|$(LIB_VERSION)|' userspace/lib/libmheap.pc.in \
		>$(DESTDIR)$(LIBDIR)/pkgconfig/libmheap.pc
	install -m 0644 userspace/lib/mheap.h $(DESTDIR)$(PREFIX)/include/
	install -m 0644 uapi/linux/mheap.h $(DESTDIR)$(PREFIX)/include/linux/
	install -m 0755 $(USER)/mheapctl $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 userspace/tools/mheap-snapshot $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 userspace/udev/70-mheap.rules $(DESTDIR)$(UDEVDIR)/
	install -m 0644 userspace/man/mheapctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 userspace/man/libmheap.3 $(DESTDIR)$(MANDIR)/man3/
	for f in $$(sed -n 's/^[a-z][a-z_ ]*[ *]\(mheap_[a-z0-9_]*\)[(].*/\1/p' \
			userspace/lib/mheap.h); do \
		echo '.so man3/libmheap.3' >$(DESTDIR)$(MANDIR)/man3/$$f.3 || exit 1; \
	done

# DKMS (dkms.conf): the module's sources go to /usr/src/mheap-VERSION, then
# dkms add, build and install for the running kernel (or DKMS_KERNEL);
# dkms-remove undoes it for every kernel. As root. make check builds with
# DKMS in a private tree instead (tests/package.sh).
DKMS_VERSION = $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC ?= /usr/src/mheap-$(DKMS_VERSION)
DKMS_KERNEL ?= $(shell uname -r)
dkms-source:
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)
	cp -r Kbuild dkms.conf module uapi $(DKMS_SRC)/
	find $(DKMS_SRC) \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name 'modules.order' -o -name '*.symvers' \) -delete

dkms-install: dkms-source
	dkms add -m mheap -v $(DKMS_VERSION)
	dkms build -m mheap -v $(DKMS_VERSION) -k $(DKMS_KERNEL)
	dkms install -m mheap -v $(DKMS_VERSION) -k $(DKMS_KERNEL)

dkms-remove:
	dkms remove -m mheap -v $(DKMS_VERSION) --all
	rm -rf $(DKMS_SRC)

# make htmldocs: Documentation/ with Sphinx and the kernel's kernel-doc
# extension (from the linux-source tree); any warning is an error.
htmldocs:
	tests/deps.sh --quiet
	LINUX_SRC=$(LINUX_SRC) sphinx-build -q -W --keep-going -b html \
		Documentation $(BUILD)/htmldocs
	@echo "documentation: $(BUILD)/htmldocs/index.html"

# The Python package (python/, Documentation/python.rst), built for
# Debian's /usr/bin/python3 into build/python (a directory for
# PYTHONPATH): setuptools compiles the extension with libmheap's source.
PYTHON := /usr/bin/python3
PY_SRC := $(wildcard python/mheap/*.py python/mheap/*.pyi python/src/*.[ch]) \
	python/setup.py python/pyproject.toml python/mheap/py.typed
python: $(BUILD)/python/.built
$(BUILD)/python/.built: $(PY_SRC) $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(@D)
	cd python && $(PYTHON) -W ignore setup.py -q build \
		--build-lib ../$(BUILD)/python \
		--build-temp ../$(BUILD)/python-tmp >/dev/null
	@touch $@

# Static programs for the VM's initramfs: mheapctl, and one program per
# tests/selftests/*.c (the kselftest harness wants one translation unit).
# Those in SELFTESTS_32 also run unprivileged and as 32-bit programs (the
# compat_ioctl path): init.sh runs every NAME_32 it finds three ways.
SELFTESTS := $(basename $(notdir $(wildcard tests/selftests/*.c)))
SELFTESTS_32 := mheap_selftest mheap_table_selftest mheap_batch_selftest \
	mheap_gc_selftest mheap_roots_selftest mheap_events_selftest \
	mheap_mmap_selftest
SELFTEST_HDR := $(wildcard tests/selftests/*.h)
VM_PROGS := $(addprefix $(BUILD)/vm/progs/,mheapctl $(SELFTESTS) \
	$(addsuffix _32,$(SELFTESTS_32)) mheap_inject_selftest ops_bench \
	pause_bench core_nodes)
vm-progs: $(VM_PROGS)

# Real heaps (Documentation/snapshot.rst): a small snapshot for the VMs,
# docutils rendering Documentation/index.rst (its trees are cycles);
# tests/realheap/workloads.sh makes the large ones at test time.
SNAPSHOT := userspace/tools/mheap-snapshot
VM_SNAPSHOTS := $(BUILD)/vm/snapshots/docutils-index.mhs
vm-snapshots: $(VM_SNAPSHOTS)

$(BUILD)/vm/snapshots/docutils-index.mhs: $(SNAPSHOT) \
		tests/realheap/docutils_workload.py Documentation/index.rst
	@mkdir -p $(@D)
	/usr/bin/python3 $(SNAPSHOT) -o $@ tests/realheap/docutils_workload.py \
		Documentation/index.rst >/dev/null

$(BUILD)/vm/progs/mheapctl: $(TOOL_SRC) $(TOOL_HDR) $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(USER_CPPFLAGS) -static -o $@ $(TOOL_SRC) $(LIB_SRC)

# libmheap's rates for the Python benchmark (tests/bench/python_bench.py)
$(BUILD)/vm/progs/ops_bench: tests/bench/ops_bench.c $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(USER_CPPFLAGS) -static -o $@ $< $(LIB_SRC)

# issue 20's pause table (make bench)
$(BUILD)/vm/progs/pause_bench: tests/bench/pause_bench.c $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(USER_CPPFLAGS) -static -pthread -o $@ $< $(LIB_SRC)

$(BUILD)/vm/progs/%: tests/selftests/%.c $(SELFTEST_HDR) $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(USER_CPPFLAGS) $(KSFT) -static -pthread -o $@ $< $(LIB_SRC)

$(BUILD)/vm/progs/%_32: tests/selftests/%.c $(SELFTEST_HDR) $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) -m32 $(CFLAGS) $(USER_CPPFLAGS) $(KSFT) -static -pthread -o $@ $< $(LIB_SRC)

$(BUILD)/vm/progs/mheap_inject_selftest: tests/inject/mheap_inject_selftest.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(KSFT) -static -o $@ $<

# The portable core on the host, under ASan and UBSan.
HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/%,\
	$(wildcard tests/host/*_test.c))

SNAPSHOT_SRC := userspace/tools/snapshot.c
SNAPSHOT_DEPS := $(SNAPSHOT_SRC) userspace/tools/snapshot.h tests/realheap/replay_core.c

# The core, the seam's host side and the snapshot parser are compiled once
# per flavour, and every test links them: a test's own file is the only
# one compiled for it.
HOST_LIB_SRC := $(CORE_SRC) tests/host/prim_host.c $(SNAPSHOT_SRC)
HOST_LIB_HDR := $(wildcard module/core/*.h) uapi/linux/mheap.h \
	tests/host/prim_host.h userspace/tools/snapshot.h
HOST_CPPFLAGS := -Imodule/core -Imodule/tests -Itests/host -Iuapi -Iuserspace/tools
HOST_OBJ := $(patsubst %.c,$(BUILD)/host-obj/%.o,$(HOST_LIB_SRC))
VG_OBJ := $(patsubst %.c,$(BUILD)/host-vg-obj/%.o,$(HOST_LIB_SRC))
# kept, not deleted as intermediate files once the tests are linked
.SECONDARY: $(HOST_OBJ) $(VG_OBJ)

$(BUILD)/host-obj/%.o: %.c $(HOST_LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(SANITIZE) -DMHEAP_GUARD -DMHEAP_DEBUG \
		$(HOST_CPPFLAGS) -c -o $@ $<

$(BUILD)/host/%: tests/host/%.c $(HOST_OBJ) $(HOST_LIB_HDR) $(CORE_HDR) \
		$(SNAPSHOT_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(SANITIZE) -DMHEAP_GUARD -DMHEAP_DEBUG $(HOST_CPPFLAGS) \
		$(KSFT) -o $@ $< $(HOST_OBJ)

# The same tests without sanitizers, for valgrind (memcheck; leaks are the
# tests' own business: the seam counts live allocations).
VG_TESTS := $(patsubst $(BUILD)/host/%,$(BUILD)/host-vg/%,$(HOST_TESTS))
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=no

$(BUILD)/host-vg-obj/%.o: %.c $(HOST_LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 -DMHEAP_DEBUG $(HOST_CPPFLAGS) -c -o $@ $<

$(BUILD)/host-vg/%: tests/host/%.c $(VG_OBJ) $(HOST_LIB_HDR) $(CORE_HDR) \
		$(SNAPSHOT_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 -DMHEAP_DEBUG $(HOST_CPPFLAGS) $(KSFT) -o $@ $< $(VG_OBJ)

# Real heaps on the host core: mheap-snapshot files replayed, compared
# with CPython's garbage (make check) and timed beside it (make bench).
$(BUILD)/realheap/replay_core: tests/realheap/replay_core.c \
		userspace/tools/snapshot.c userspace/tools/snapshot.h \
		tests/host/prim_host.c tests/host/prim_host.h $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DNDEBUG -Imodule/core -Itests/host -Iuapi -Iuserspace/tools \
		-o $@ $< userspace/tools/snapshot.c tests/host/prim_host.c $(CORE_SRC)

# make bench: the core with optimisation, beside glibc and mimalloc; the
# collector beside CPython; one-op ioctls beside batches (stock kernel, VM).
#
# The benchmarks' core is compiled as the kernel compiles it on x86
# (arch/x86/Makefile): without vector registers. With them, gcc fused the
# updates of two adjacent counters into one 16-byte load and store, which
# the next call's 8-byte stores could not forward to: an alloc+free pair
# took 7.8 ns with SSE, 4.4 ns without, figures mheap.ko never sees.
BENCH_CORE_CFLAGS := $(CFLAGS) -DNDEBUG -mno-sse -mno-mmx -mno-sse2 \
	-mno-3dnow -mno-avx
BENCH_CORE_OBJ := $(patsubst module/core/%.c,$(BUILD)/bench/core/%.o,$(CORE_SRC))

$(BUILD)/bench/core/%.o: module/core/%.c tests/host/prim_host.h $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CORE_CFLAGS) -Imodule/core -Itests/host -Iuapi -c -o $@ $<

$(BUILD)/bench/alloc_bench: tests/bench/alloc_bench.c tests/host/prim_host.c \
		tests/host/prim_host.h $(BENCH_CORE_OBJ) $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DNDEBUG -Imodule/core -Itests/host -Iuapi -o $@ $< \
		tests/host/prim_host.c $(BENCH_CORE_OBJ) -ldl

# The node pattern on the core alone, for the VM (make bench): what the
# core's work per node costs under the VM's emulation, beside the ioctls.
$(BUILD)/vm/progs/core_nodes: tests/bench/core_nodes.c tests/bench/bench_core.h \
		tests/bench/bench_util.h tests/host/prim_host.c \
		tests/host/prim_host.h $(BENCH_CORE_OBJ) $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DNDEBUG -Imodule/core -Itests/host -Iuapi -static -o $@ $< \
		tests/host/prim_host.c $(BENCH_CORE_OBJ)

# Boehm GC (Debian's libgc) on the same shapes, the collector's reference.
$(BUILD)/bench/boehm_bench: tests/bench/boehm_bench.c tests/bench/bench_util.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lgc

$(BUILD)/bench/gc_bench: tests/bench/gc_bench.c tests/host/prim_host.c \
		tests/host/prim_host.h tests/bench/bench_util.h tests/bench/bench_core.h \
		$(BENCH_CORE_OBJ) $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DNDEBUG -Imodule/core -Itests/host -Iuapi -o $@ $< \
		tests/host/prim_host.c $(BENCH_CORE_OBJ)

$(BUILD)/bench/pause_core: tests/bench/pause_core.c tests/host/prim_host.c \
		tests/host/prim_host.h tests/bench/bench_util.h tests/bench/bench_core.h \
		$(BENCH_CORE_OBJ) $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DNDEBUG -Imodule/core -Itests/host -Iuapi -o $@ $< \
		tests/host/prim_host.c $(BENCH_CORE_OBJ)

bench:
	tests/deps.sh --quiet
	$(MAKE) -s $(BUILD)/bench/alloc_bench $(BUILD)/bench/gc_bench \
		$(BUILD)/bench/boehm_bench $(BUILD)/bench/pause_core
	$(BUILD)/bench/alloc_bench
	@echo
	/usr/bin/python3 tests/bench/gc_bench.py >$(BUILD)/bench/cpython.txt
	$(BUILD)/bench/boehm_bench >$(BUILD)/bench/boehm.txt
	$(BUILD)/bench/gc_bench $(BUILD)/bench/cpython.txt $(BUILD)/bench/boehm.txt
	@echo
	$(BUILD)/bench/pause_core
	@echo
	$(MAKE) -s $(BUILD)/realheap/replay_core
	for run in 1 2 3; do \
		tests/realheap/workloads.sh $(BUILD)/realheap-bench/$$run || exit 1; \
	done
	$(BUILD)/realheap/replay_core --bench $(BUILD)/realheap-bench/*/*.mhs*
	@echo
	tests/qemu/run-vm.sh --kernel stock --mode bench

# The core's libFuzzer target (tests/fuzz/core_fuzz.c), with ASan and UBSan.
FUZZ_CC := clang-14
FUZZ_CFLAGS := -g -O1 -Wall -Wextra -Werror -std=gnu11 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(BUILD)/fuzz/core_fuzz: tests/fuzz/core_fuzz.c tests/host/prim_host.c \
		tests/host/prim_host.h $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DMHEAP_DEBUG -Imodule/core -Itests/host -Iuapi -o $@ $< \
		tests/host/prim_host.c $(CORE_SRC)

# The snapshot parser's libFuzzer target (tests/fuzz/snapshot_fuzz.c).
$(BUILD)/fuzz/snapshot_fuzz: tests/fuzz/snapshot_fuzz.c $(SNAPSHOT_SRC) \
		userspace/tools/snapshot.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Iuserspace/tools -o $@ $< $(SNAPSHOT_SRC)

# make fuzz: open-ended (stop it with ^C); new inputs go to build/fuzz/corpus,
# crashes to build/fuzz/crash-*. make check runs a bounded run.
fuzz:
	tests/deps.sh --quiet
	$(MAKE) -s $(BUILD)/fuzz/core_fuzz
	mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/core_fuzz -max_len=4096 -artifact_prefix=$(BUILD)/fuzz/ \
		$(BUILD)/fuzz/corpus tests/fuzz/corpus

host-build: $(HOST_TESTS) $(VG_TESTS)

host-test: $(HOST_TESTS) $(VG_TESTS)
	@for t in $(HOST_TESTS); do $$t || exit 1; done
	@for t in $(VG_TESTS); do $(VALGRIND) $$t || exit 1; done

deps:
	tests/deps.sh

check:
	tests/deps.sh --quiet
	tests/check.sh

check-harness:
	tests/deps.sh --quiet
	tests/check.sh --only harness

# Optional, not part of make check: the VM tests on a second kernel flavour
# with KCSAN (data races) in place of KASAN; its own build, about 10 minutes.
check-kcsan:
	tests/deps.sh --quiet
	tests/qemu/run-vm.sh --kernel kcsan --timeout 900
	tests/qemu/check-harness.sh --kernel kcsan

demo:
	tests/deps.sh --quiet
	tests/qemu/run-vm.sh --kernel debug --mode demo

vm-shell:
	tests/deps.sh --quiet
	tests/qemu/run-vm.sh --kernel debug --mode shell

lint:
	tests/deps.sh --quiet
	tests/lint.sh

clean:
	rm -rf $(BUILD) Module.symvers modules.order .module-common.o \
		.Module.symvers.cmd .modules.order.cmd ..module-common.o.cmd
	find module \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name 'modules.order' \) -delete
