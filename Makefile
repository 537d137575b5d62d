# nestscope — build, test, install.
#   make            libnestscope, the nestscope CLI and the crash extension (in build/)
#   make test       unit tests (cmocka), CLI tests, integration tests (crash, gdb, QEMU, libvirt)
#   make test-unit  the unit tests alone
#   make test-asan  the same suite built with ASan+UBSan (in build-asan/)
#   make test-slow  tests that boot Bochs (the layout-discovery probe; nestscope on the live kernel against a dump)
#   make demo       triage a bundled real kernel dump (no debuginfo download)
#   make bench      benchmarks (ratios against a baseline in the same run)
#   make fuzz       every libFuzzer harness for FUZZ_SECONDS (in build-fuzz/; docs/robustness.md)
#   make samples KERNEL=current   real samples from KVM inside Bochs (samples/README.md)
#   make samples-many KERNEL=...  the many-VMs dump of one kernel (samples/README.md)
#   make samples-svm KERNEL=...   nested-SVM samples of one kernel, in QEMU's TCG (samples/README.md)
#   make install    PREFIX=/usr/local DESTDIR= (LIBDIR= for a multiarch libdir; docs/packaging.md)
#   make uninstall  the same variables: removes every file install put
#   make deb        the Debian packages, built in $(BUILD)/deb (docs/packaging.md)

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS   ?= -O2 -g
# where make install puts things; the binaries look for their data next to themselves first
# (bin/../share/nestscope, lib/crash/extensions/../../../share/nestscope), then in NS_DATADIR
LIBDIR   ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
NS_DATADIR := $(PREFIX)/share/nestscope
MANDIR   ?= $(PREFIX)/share/man
# crash searches /usr/lib/crash/extensions (and $$CRASH_EXTENSIONS) for `extend nestscope.so`: with
# PREFIX=/usr this is that directory, with another PREFIX crash needs CRASH_EXTENSIONS=$(CRASH_EXTDIR)
CRASH_EXTDIR ?= $(PREFIX)/lib/crash/extensions
# gdb auto-loads OBJFILE-gdb.py from $$datadir/auto-load/OBJFILE (gdb's data directory is /usr/share/gdb)
GDB_AUTOLOAD_DIR ?= $(PREFIX)/share/gdb/auto-load
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DATADIR_CFLAGS = -DNESTSCOPE_DATADIR=\"$(NS_DATADIR)\"
# the core's libraries: libaddrxlat (libkdumpfile's address translation) walks page tables
# (decoders/pagewalk.c), json-c reads and writes JSON (formats/json_in.c, render/json.c); everything
# linking the core links them too
CORE_CFLAGS := $(shell pkg-config --cflags libaddrxlat json-c)
CORE_LDLIBS := $(shell pkg-config --libs libaddrxlat json-c)
ALLCFLAGS = $(CSTD) $(WARN) $(CPPFLAGS) $(CFLAGS) -fPIC -Idecoders/include -Idecoders $(CORE_CFLAGS)
LDLIBS_TEST = -lcmocka

# decoders/: sdm/ (the SDM's tables and checks), kvm/ (KVM's structures and the
# walker), formats/ (layouts, profiles, migration streams), analyses/ (decode,
# diff, scan, triage), render/ (the only part of the core that writes output:
# tests/cli/render_only.sh); docs/HACKING.md says what goes where
CORE_DIRS := decoders decoders/sdm decoders/svm decoders/kvm decoders/formats decoders/analyses decoders/render
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
# the shared library: libnestscope.so -> libnestscope.so.SOVERSION (its SONAME) -> libnestscope.so.VERSION.
# SOVERSION changes when an exported ns_* function or a public struct changes incompatibly (the
# ctypes layer's NS_ABI_VERSION in command.h then changes too); only ns_* symbols are exported
# (decoders/libnestscope.map; tests/cli/exports.sh)
VERSION  := $(shell sed -n 's/^\#define NESTSCOPE_VERSION "\(.*\)"/\1/p' decoders/include/nestscope/nestscope.h)
SOVERSION := 0
SONAME   := libnestscope.so.$(SOVERSION)
SOLIB    := $(BUILD)/libnestscope.so
SOLIB_REAL := $(BUILD)/libnestscope.so.$(VERSION)
PCFILE   := $(BUILD)/nestscope.pc
# the data directory compiled into the CLI and the crash extension: a change of PREFIX rebuilds them
PATHS_STAMP := $(BUILD)/paths.stamp
CLI      := $(BUILD)/nestscope
MAN_DIR  := $(BUILD)/man
MAN_STAMP := $(MAN_DIR)/.stamp
CRASH_EXT := $(BUILD)/nestscope.so
# crash's defs.h wants the architecture and its gdb version named
CRASH_BASE_CFLAGS = -O2 -g -Wall $(CPPFLAGS) -fPIC -DX86_64 -Idecoders/include $(DATADIR_CFLAGS)
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
.PHONY: all test test-unit test-cli test-asan test-slow demo bench samples samples-many samples-svm install uninstall clean deb FORCE

all: $(LIB) $(SOLIB) $(PCFILE) $(CLI) $(MAN_STAMP) $(CRASH_EXT) $(if $(wildcard $(SIDROOT)/usr/include/crash/defs.h),$(CRASH9_EXT))

# a man page per command (nestscope-triage(1), ...) and nestscope-debuggers(7), made from the commands'
# own --help by docs/man/mkman.py: remade when the binary or the main page (its ENVIRONMENT and FILES) change
$(MAN_STAMP): $(CLI) docs/man/mkman.py docs/man/nestscope-debuggers.7.in docs/nestscope.1
	rm -rf $(MAN_DIR)
	mkdir -p $(MAN_DIR)
	python3 docs/man/mkman.py $(CLI) docs/nestscope.1 docs/man $(MAN_DIR)
	touch $@

# rewritten only when the data directory changes, so that what embeds it is rebuilt then and only then
$(PATHS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(NS_DATADIR) $(LIBDIR) $(INCLUDEDIR)' | cmp -s - $@ || echo '$(NS_DATADIR) $(LIBDIR) $(INCLUDEDIR)' > $@

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

# -z defs: a symbol the library needs and no library it links gives is an error here, not at dlopen; a
# sanitizer build leaves the sanitizer's symbols to the executable's runtime, so not there
SO_DEFS = $(if $(findstring -fsanitize,$(CFLAGS)),,-Wl,-z,defs)
$(SOLIB_REAL): $(CORE_OBJ) decoders/libnestscope.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=decoders/libnestscope.map \
	  $(SO_DEFS) -o $@ $(CORE_OBJ) $(CORE_LDLIBS)

$(SOLIB): $(SOLIB_REAL)
	ln -sf $(notdir $(SOLIB_REAL)) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

$(PCFILE): decoders/nestscope.pc.in decoders/include/nestscope/nestscope.h $(PATHS_STAMP)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@VERSION@|$(VERSION)|' $< > $@

$(BUILD)/cli/%.o: cli/%.c cli/cli.h $(CORE_HDR) sources/sources.h $(PATHS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(DATADIR_CFLAGS) -Isources -c -o $@ $<

CLI_OBJ  := $(patsubst cli/%.c,$(BUILD)/cli/%.o,$(wildcard cli/*.c))

$(CLI): $(CLI_OBJ) $(SRC_LIB) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SRC_LDLIBS) $(CORE_LDLIBS)

# the crash extension: `extend build/nestscope.so` in crash
$(CRASH_EXT): plugin/crash/nestscope_crash.c $(CORE_OBJ) $(CORE_HDR) $(PATHS_STAMP)
	$(CC) $(CRASH_CFLAGS) $(CFLAGS) -shared -nostartfiles -rdynamic -o $@ $< $(CORE_OBJ) $(LDFLAGS) $(CORE_LDLIBS)

$(CRASH9_EXT): plugin/crash/nestscope_crash.c $(CORE_OBJ) $(CORE_HDR) $(SIDROOT)/usr/include/crash/defs.h $(PATHS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CRASH9_CFLAGS) $(CFLAGS) -shared -nostartfiles -rdynamic -o $@ $< $(CORE_OBJ) $(LDFLAGS) $(CORE_LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -Itests/unit -DSRCDIR='"$(CURDIR)"' -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS_TEST) $(CORE_LDLIBS)

$(BENCH_BIN): bench/bench_decode.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(CORE_LDLIBS)

# the many-VMs bench's tool: a dump's memory with fewer VMs on vm_list
$(BUILD)/bench/vmlist_cut: bench/vmlist_cut.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(CFLAGS) -o $@ $< $(LDFLAGS) $(shell pkg-config --cflags --libs libkdumpfile libaddrxlat)

# the fuzz harnesses, replayed on saved inputs without libFuzzer (make test)
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
REPLAY_BIN := $(FUZZ_TARGETS:%=$(BUILD)/fuzz-replay/%)

$(BUILD)/fuzz-replay/%: fuzz/fuzz_%.c fuzz/replay.c fuzz/fuzz.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -Ifuzz -o $@ $< fuzz/replay.c $(LIB) $(LDFLAGS) $(CORE_LDLIBS)

# the dump harnesses (fuzz_dump*.c) open files through sources/: libkdumpfile too
$(BUILD)/fuzz-replay/dump%: fuzz/fuzz_dump%.c fuzz/replay.c fuzz/fuzz.h fuzz/dumpfuzz.h $(SRC_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(DATADIR_CFLAGS) $(SRC_CFLAGS) -Ifuzz -Isources -o $@ $< fuzz/replay.c $(SRC_LIB) $(LIB) $(LDFLAGS) $(SRC_LDLIBS) $(CORE_LDLIBS)

test: all $(TEST_BIN) $(REPLAY_BIN)
	@BUILD=$(BUILD) sh tests/run.sh

# the unit tests (cmocka) alone: each binary, stopping at the first that fails
test-unit: $(TEST_BIN)
	@for t in $(TEST_BIN); do $$t || exit 1; done

test-asan:
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 $(MAKE) BUILD=build-asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" test

# slow tests boot Bochs or QEMU (about a minute each); CI runs them too
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
	BUILD=$(BUILD) sh bench/triage_svm.sh
	BUILD=$(BUILD) sh bench/scan_vs_cat.sh
	BUILD=$(BUILD) sh bench/scan_threads.sh
	BUILD=$(BUILD) sh bench/triage_many.sh
	BUILD=$(BUILD) sh bench/memory_vs_cat.sh

samples:
	sh samples/gen/generate.sh $(KERNEL)

# nested SVM (AMD): blobs, VMCBs and an L0 dump of one kernel from real KVM in QEMU's TCG, in samples/svm/KERNEL/
samples-svm:
	sh samples/gen/svm/generate.sh $(KERNEL)

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
	$(CC) $(ALLCFLAGS) -Ifuzz -fsanitize=fuzzer -o $@ $< $(LIB) $(LDFLAGS) $(CORE_LDLIBS)

$(BUILD)/fuzz/dump%: fuzz/fuzz_dump%.c fuzz/fuzz.h fuzz/dumpfuzz.h $(SRC_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(DATADIR_CFLAGS) $(SRC_CFLAGS) -Ifuzz -Isources -fsanitize=fuzzer -o $@ $< $(SRC_LIB) $(LIB) $(LDFLAGS) $(SRC_LDLIBS) $(CORE_LDLIBS)

# every file install puts is removed by uninstall (tests/cli/install.sh installs into a DESTDIR, lists
# the files, uninstalls and finds none left)
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/nestscope \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(PREFIX)/share/doc/nestscope $(DESTDIR)$(CRASH_EXTDIR)
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/nestscope
	install -m 644 $(CRASH_EXT) $(DESTDIR)$(CRASH_EXTDIR)/nestscope.so
	install -m 644 $(LIB) $(SOLIB_REAL) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SOLIB_REAL)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libnestscope.so
	install -m 644 $(PCFILE) $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 644 decoders/include/nestscope/*.h decoders/include/nestscope/*.def $(DESTDIR)$(INCLUDEDIR)/nestscope/
	install -d $(DESTDIR)$(NS_DATADIR)/profiles
	install -m 644 profiles/*.json $(DESTDIR)$(NS_DATADIR)/profiles/
	install -d $(DESTDIR)$(NS_DATADIR)/gdb/nestscope_gdb
	install -m 644 plugin/gdb/nestscope-gdb.py $(DESTDIR)$(NS_DATADIR)/gdb/
	install -m 755 plugin/gdb/nestscope-gdb-autoload $(DESTDIR)$(NS_DATADIR)/gdb/
	install -m 644 plugin/gdb/nestscope_gdb/*.py $(DESTDIR)$(NS_DATADIR)/gdb/nestscope_gdb/
	install -d $(DESTDIR)$(NS_DATADIR)/python
	install -m 644 plugin/python/nestscope_abi.py $(DESTDIR)$(NS_DATADIR)/python/
	install -d $(DESTDIR)$(NS_DATADIR)/drgn/nestscope_drgn
	install -m 755 plugin/drgn/nestscope-drgn $(DESTDIR)$(NS_DATADIR)/drgn/
	install -m 644 plugin/drgn/nestscope_drgn/*.py $(DESTDIR)$(NS_DATADIR)/drgn/nestscope_drgn/
	ln -sf ../share/nestscope/drgn/nestscope-drgn $(DESTDIR)$(PREFIX)/bin/nestscope-drgn
	install -m 644 docs/nestscope.1 docs/nestscope-drgn.1 $(MAN_DIR)/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN_DIR)/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 cli/nestscope.bash-completion $(DESTDIR)$(BASHCOMPDIR)/nestscope
	install -m 644 docs/*.md docs/json-schema/*.json $(DESTDIR)$(PREFIX)/share/doc/nestscope/
	# gdb's auto-load links for the kernels whose kvm-intel.ko debug files are on this machine (not
	# into a DESTDIR: a package makes them where it is installed, docs/packaging.md)
	$(if $(DESTDIR),,$(NS_DATADIR)/gdb/nestscope-gdb-autoload $(GDB_AUTOLOAD_DIR) $(NS_DATADIR)/gdb/nestscope-gdb.py)

uninstall:
	$(if $(DESTDIR),,[ ! -x $(NS_DATADIR)/gdb/nestscope-gdb-autoload ] || \
	  $(NS_DATADIR)/gdb/nestscope-gdb-autoload --remove $(GDB_AUTOLOAD_DIR) $(NS_DATADIR)/gdb/nestscope-gdb.py)
	rm -f $(DESTDIR)$(PREFIX)/bin/nestscope $(DESTDIR)$(PREFIX)/bin/nestscope-drgn \
	  $(DESTDIR)$(CRASH_EXTDIR)/nestscope.so \
	  $(DESTDIR)$(LIBDIR)/libnestscope.a $(DESTDIR)$(LIBDIR)/libnestscope.so $(DESTDIR)$(LIBDIR)/$(SONAME) \
	  $(DESTDIR)$(LIBDIR)/$(notdir $(SOLIB_REAL)) $(DESTDIR)$(LIBDIR)/pkgconfig/nestscope.pc \
	  $(DESTDIR)$(MANDIR)/man1/nestscope.1 $(DESTDIR)$(MANDIR)/man1/nestscope-*.1 \
	  $(DESTDIR)$(MANDIR)/man7/nestscope-debuggers.7 $(DESTDIR)$(BASHCOMPDIR)/nestscope
	rm -rf $(DESTDIR)$(INCLUDEDIR)/nestscope $(DESTDIR)$(PREFIX)/share/doc/nestscope $(DESTDIR)$(NS_DATADIR)

# the Debian packages (debian/), built from a copy of the source in $(BUILD)/deb so that the tree stays
# clean: the .debs, the .changes and lintian's report (lintian.txt) land in $(BUILD)/deb
DEB_DIR  := $(BUILD)/deb
DEB_SRC  := $(DEB_DIR)/nestscope-$(VERSION)
DEB_FILES := Makefile README.md cli decoders sources plugin profiles docs debian
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then \
	  git ls-files -z -- $(DEB_FILES) | tar --null -T - -cf - | tar -xf - -C $(DEB_SRC); \
	else \
	  tar -cf - $(DEB_FILES) | tar -xf - -C $(DEB_SRC); \
	fi
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	lintian --info --display-info $(DEB_DIR)/*.changes > $(DEB_DIR)/lintian.txt 2>&1 || true; \
	  cat $(DEB_DIR)/lintian.txt; ls $(DEB_DIR)/*.deb; \
	  if grep -q '^E:' $(DEB_DIR)/lintian.txt; then echo "make deb: lintian reports errors"; exit 1; fi

clean:
	rm -rf build build-asan build-fuzz
