# nestscope — build, test, install.
#   make            libnestscope, the nestscope CLI and the crash extension (in build/)
#   make test       unit tests (cmocka), CLI tests, integration tests (crash, gdb, QEMU, libvirt)
#   make test-asan  the same suite built with ASan+UBSan (in build-asan/)
#   make test-slow  tests that boot Bochs (the layout-discovery probe; nestscope on the live kernel against a dump)
#   make demo       triage a bundled real kernel dump (no debuginfo download)
#   make bench      benchmarks (ratios against a baseline in the same run)
#   make fuzz       every libFuzzer harness for FUZZ_SECONDS (in build-fuzz/; docs/robustness.md)
#   make samples KERNEL=current   real samples from KVM inside Bochs (samples/README.md)
#   make samples-many KERNEL=...  the many-VMs dump of one kernel (samples/README.md)
#   make install    PREFIX=/usr/local DESTDIR=

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS   ?= -O2 -g
ALLCFLAGS = $(CSTD) $(WARN) $(CFLAGS) -fPIC -Idecoders/include -Idecoders -DNESTSCOPE_DATADIR=\"$(PREFIX)/share/nestscope\"
LDLIBS_TEST = -lcmocka

# decoders/: sdm/ (the SDM's tables and checks), kvm/ (KVM's structures and the
# walker), formats/ (layouts, profiles, migration streams), analyses/ (decode,
# diff, scan, triage), render/ (the only part of the core that writes output:
# tests/cli/render_only.sh); docs/HACKING.md says what goes where
CORE_DIRS := decoders decoders/sdm decoders/kvm decoders/formats decoders/analyses decoders/render
CORE_SRC := $(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
CORE_DEF := $(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.def)) $(wildcard decoders/include/nestscope/*.def)
CORE_HDR := $(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.h)) $(wildcard decoders/include/nestscope/*.h)
# sources/: dumps (libkdumpfile), DWARF (libdwarf), ELF symbols (libelf), for the CLI only
SRC_SRC  := $(wildcard sources/*.c)
SRC_OBJ  := $(SRC_SRC:%.c=$(BUILD)/%.o)
SRC_LIB  := $(BUILD)/libnestscope-sources.a
# Debian 12's libdwarf has no pkg-config file; its headers are in include/libdwarf
SRC_CFLAGS = -I/usr/include/libdwarf $(shell pkg-config --cflags libkdumpfile)
SRC_LDLIBS = $(shell pkg-config --libs libkdumpfile) -ldwarf -lelf -lz $(shell pkg-config --libs libvirt) -pthread
LIB      := $(BUILD)/libnestscope.a
SOLIB    := $(BUILD)/libnestscope.so
CLI      := $(BUILD)/nestscope
CRASH_EXT := $(BUILD)/nestscope.so
# crash's defs.h wants the architecture and its gdb version named
CRASH_BASE_CFLAGS = -O2 -g -Wall -fPIC -DX86_64 -Idecoders/include -DNESTSCOPE_DATADIR=\"$(PREFIX)/share/nestscope\"
CRASH_CFLAGS = $(CRASH_BASE_CFLAGS) -DGDB_10_2 -I/usr/include/crash
# crash 9.0.x (sid's, in the root setup.sh keeps in the cache): the same
# extension built against its own defs.h, whose structs have grown
NESTSCOPE_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/nestscope
SIDROOT  := $(NESTSCOPE_CACHE)/sid-root
CRASH9_EXT := $(BUILD)/crash9/nestscope.so
CRASH9_CFLAGS = $(CRASH_BASE_CFLAGS) -DGDB_16_3 -I$(SIDROOT)/usr/include/crash

TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BUILD)/bench/bench_decode

DEMO_DUMP := samples/6.1.0-56-amd64/dump/vmcore.kdump

KERNEL   ?= current

.PHONY: fuzz fuzz-bins
.PHONY: all test test-unit test-cli test-asan test-slow demo bench samples samples-many install uninstall clean

all: $(LIB) $(SOLIB) $(CLI) $(CRASH_EXT) $(if $(wildcard $(SIDROOT)/usr/include/crash/defs.h),$(CRASH9_EXT))

$(BUILD)/%.o: %.c $(CORE_HDR) $(CORE_DEF)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

$(BUILD)/sources/%.o: sources/%.c sources/sources.h $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(SRC_CFLAGS) -c -o $@ $<

$(SRC_LIB): $(SRC_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(LIB): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(SOLIB): $(CORE_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -o $@ $^

$(BUILD)/cli/%.o: cli/%.c cli/cli.h $(CORE_HDR) sources/sources.h
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -Isources -c -o $@ $<

CLI_OBJ  := $(patsubst cli/%.c,$(BUILD)/cli/%.o,$(wildcard cli/*.c))

$(CLI): $(CLI_OBJ) $(SRC_LIB) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SRC_LDLIBS)

# the crash extension: `extend build/nestscope.so` in crash
$(CRASH_EXT): plugin/crash/nestscope_crash.c $(CORE_OBJ) $(CORE_HDR)
	$(CC) $(CRASH_CFLAGS) $(CFLAGS) -shared -nostartfiles -rdynamic -o $@ $< $(CORE_OBJ) $(LDFLAGS)

$(CRASH9_EXT): plugin/crash/nestscope_crash.c $(CORE_OBJ) $(CORE_HDR) $(SIDROOT)/usr/include/crash/defs.h
	@mkdir -p $(dir $@)
	$(CC) $(CRASH9_CFLAGS) $(CFLAGS) -shared -nostartfiles -rdynamic -o $@ $< $(CORE_OBJ) $(LDFLAGS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/testutil.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -Itests/unit -DSRCDIR='"$(CURDIR)"' -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS_TEST)

$(BENCH_BIN): bench/bench_decode.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -o $@ $< $(LIB) $(LDFLAGS)

# the many-VMs bench's tool: a dump's memory with fewer VMs on vm_list
$(BUILD)/bench/vmlist_cut: bench/vmlist_cut.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(CFLAGS) -o $@ $< $(LDFLAGS) $(shell pkg-config --cflags --libs libkdumpfile libaddrxlat)

# the fuzz harnesses, replayed on saved inputs without libFuzzer (make test)
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
REPLAY_BIN := $(FUZZ_TARGETS:%=$(BUILD)/fuzz-replay/%)

$(BUILD)/fuzz-replay/%: fuzz/fuzz_%.c fuzz/replay.c fuzz/fuzz.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -Ifuzz -o $@ $< fuzz/replay.c $(LIB) $(LDFLAGS)

# the dump harnesses (fuzz_dump*.c) open files through sources/: libkdumpfile too
$(BUILD)/fuzz-replay/dump%: fuzz/fuzz_dump%.c fuzz/replay.c fuzz/fuzz.h fuzz/dumpfuzz.h $(SRC_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(SRC_CFLAGS) -Ifuzz -Isources -o $@ $< fuzz/replay.c $(SRC_LIB) $(LIB) $(LDFLAGS) $(SRC_LDLIBS)

test: all $(TEST_BIN) $(REPLAY_BIN)
	@BUILD=$(BUILD) sh tests/run.sh

test-asan:
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 $(MAKE) BUILD=build-asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" test

# slow tests boot Bochs (about a minute each); CI runs them too
test-slow: all
	@for t in tests/slow/*.sh; do echo "[ RUN      ] $$t"; NESTSCOPE=$(CLI) sh $$t || exit 1; echo "[       OK ] $$t"; done

# triage of a real dump made by KVM, with the profile bundled for its kernel
demo: $(CLI)
	$(CLI) triage $(DEMO_DUMP)

# golden outputs for a refactor (tests/golden/README.md; not a test, not in make test): this
# tree's outputs, recorded into a temporary directory, compared with GOLDEN_BASE (recorded before)
GOLDEN_BASE ?= $(NESTSCOPE_CACHE)/golden/before
.PHONY: golden
golden: all
	@T=$$(mktemp -d) && GOLDEN_BUILD=$(BUILD) NESTSCOPE_CACHE=$(NESTSCOPE_CACHE) sh tests/golden/run.sh . "$$T/now" && \
	if sh tests/golden/compare.sh "$(GOLDEN_BASE)" "$$T/now"; then rm -rf "$$T"; \
	else echo "make golden: outputs differ from $(GOLDEN_BASE); this tree's are kept in $$T/now"; exit 1; fi

bench: $(BENCH_BIN) $(CRASH_EXT) $(CLI) $(BUILD)/bench/vmlist_cut
	$(BENCH_BIN) samples/blobs
	BUILD=$(BUILD) sh bench/crash_vmcs12.sh
	BUILD=$(BUILD) sh bench/triage_vs_crash.sh
	BUILD=$(BUILD) sh bench/scan_vs_cat.sh
	BUILD=$(BUILD) sh bench/scan_threads.sh
	BUILD=$(BUILD) sh bench/triage_many.sh
	BUILD=$(BUILD) sh bench/memory_vs_cat.sh

samples:
	sh samples/gen/generate.sh $(KERNEL)

# one dump of 16+ VMs, 40+ vCPUs in every state, in samples/many-vms/KERNEL/
samples-many:
	BUILD=$(BUILD) sh samples/gen/generate.sh --many $(KERNEL)

# libFuzzer with ASan and UBSan; FUZZ_SECONDS per harness, two at a time
FUZZ_SECONDS ?= 60
FUZZ_SAN := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

fuzz: all
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" \
	  LDFLAGS="-fsanitize=address,undefined" fuzz-bins
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh fuzz/run.sh build-fuzz $(BUILD)/nestscope

fuzz-bins: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/%: fuzz/fuzz_%.c fuzz/fuzz.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -Ifuzz -fsanitize=fuzzer -o $@ $< $(LIB) $(LDFLAGS)

$(BUILD)/fuzz/dump%: fuzz/fuzz_dump%.c fuzz/fuzz.h fuzz/dumpfuzz.h $(SRC_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(SRC_CFLAGS) -Ifuzz -Isources -fsanitize=fuzzer -o $@ $< $(SRC_LIB) $(LIB) $(LDFLAGS) $(SRC_LDLIBS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/nestscope \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/doc/nestscope
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/nestscope
	install -d $(DESTDIR)$(PREFIX)/lib/crash/extensions
	install -m 644 $(CRASH_EXT) $(DESTDIR)$(PREFIX)/lib/crash/extensions/nestscope.so
	install -m 644 $(LIB) $(SOLIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 decoders/include/nestscope/*.h decoders/include/nestscope/*.def $(DESTDIR)$(PREFIX)/include/nestscope/
	install -d $(DESTDIR)$(PREFIX)/share/nestscope/profiles
	install -m 644 profiles/*.json $(DESTDIR)$(PREFIX)/share/nestscope/profiles/
	install -d $(DESTDIR)$(PREFIX)/share/nestscope/gdb/nestscope_gdb
	install -m 644 plugin/gdb/nestscope-gdb.py $(DESTDIR)$(PREFIX)/share/nestscope/gdb/
	install -m 644 plugin/gdb/nestscope_gdb/*.py $(DESTDIR)$(PREFIX)/share/nestscope/gdb/nestscope_gdb/
	install -d $(DESTDIR)$(PREFIX)/share/nestscope/python
	install -m 644 plugin/python/nestscope_abi.py $(DESTDIR)$(PREFIX)/share/nestscope/python/
	install -d $(DESTDIR)$(PREFIX)/share/nestscope/drgn/nestscope_drgn
	install -m 755 plugin/drgn/nestscope-drgn $(DESTDIR)$(PREFIX)/share/nestscope/drgn/
	install -m 644 plugin/drgn/nestscope_drgn/*.py $(DESTDIR)$(PREFIX)/share/nestscope/drgn/nestscope_drgn/
	ln -sf ../share/nestscope/drgn/nestscope-drgn $(DESTDIR)$(PREFIX)/bin/nestscope-drgn
	install -m 644 docs/nestscope.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 docs/*.md docs/json-schema/*.json $(DESTDIR)$(PREFIX)/share/doc/nestscope/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/nestscope $(DESTDIR)$(PREFIX)/bin/nestscope-drgn $(DESTDIR)$(PREFIX)/lib/libnestscope.a \
	  $(DESTDIR)$(PREFIX)/lib/libnestscope.so $(DESTDIR)$(PREFIX)/share/man/man1/nestscope.1
	rm -rf $(DESTDIR)$(PREFIX)/include/nestscope $(DESTDIR)$(PREFIX)/share/doc/nestscope \
	  $(DESTDIR)$(PREFIX)/share/nestscope/gdb $(DESTDIR)$(PREFIX)/share/nestscope/profiles \
	  $(DESTDIR)$(PREFIX)/share/nestscope/python $(DESTDIR)$(PREFIX)/share/nestscope/drgn

clean:
	rm -rf build build-asan build-fuzz
