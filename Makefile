# Makefile -- builds libdsim (sim/), the dsim program, the tests and the benchmarks.
#
#   make            build build/dsim
#   make run        install what is missing, build, run the default scenario
#   make test       build and run every cmocka test
#   make san        the same suite under AddressSanitizer and UndefinedBehaviorSanitizer,
#                   built by gcc (build/san) and then by clang (build/san-clang)
#   make tsan       two runs in two threads under ThreadSanitizer
#   make bench      benchmarks, printed as figures
#   make swarm      dsim swarm, 10,000 seeds of random faults per protocol
#   make fuzz       the libFuzzer harnesses in tests/fuzz/, FUZZ_SECONDS (60) each
#   make slurm-check  the sweep's Slurm recipe on a one-node Slurm started here
#   make deps       install the Debian/Ubuntu packages dsim needs
#   make install    PREFIX (/usr/local) and DESTDIR as usual; make uninstall
#
# Dependencies are found with pkg-config; when one (or the DejaVu font, gnuplot or GNU
# parallel) is missing, `make` runs `make deps` first (.ci/deps.sh says what that does, and what to run on
# Fedora or with Homebrew).

PKGS      := sdl2 SDL2_ttf libcjson gsl libpng
SAN_CC    := clang
TEST_PKGS := cmocka
DEFAULT_SCENARIO ?= scenarios/gossip-partition.json

# Install missing packages before anything else is evaluated, but only for goals that
# build something (not for `make clean` or `make deps` itself). The libraries and the
# font are needed to build; gnuplot and GNU parallel only draw plots and run the
# sweep's parallel test, so without them (and no way to install them) make says so and
# goes on.
ifeq ($(filter clean deps help,$(MAKECMDGOALS)),)
HAVE_FONT = $(or $(wildcard /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf),$(shell fc-match -f '%{file}' 'DejaVu Sans' 2>/dev/null | grep -i dejavu))
HAVE_CORE = $(shell pkg-config --exists $(PKGS) $(TEST_PKGS) 2>/dev/null && echo ok)$(if $(HAVE_FONT),,nofont)
HAVE_TOOLS = $(shell command -v gnuplot >/dev/null 2>&1 && parallel --version 2>/dev/null | grep -q 'GNU parallel' && echo ok)
ifneq ($(HAVE_CORE)$(if $(HAVE_TOOLS),,notools),ok)
$(info dsim: some packages are missing; running 'make deps' first)
DEPS_STATUS := $(shell sh .ci/deps.sh >&2; echo $$?)
ifneq ($(HAVE_CORE),ok)
$(error dsim: could not install the packages dsim needs; see the message above)
endif
ifeq ($(HAVE_TOOLS),)
$(warning dsim: gnuplot or GNU parallel is missing: plots are written as data and scripts only, and the sweep's parallel test is skipped)
endif
endif
# make san also builds with clang, which needs its sanitizer runtime (a package of its
# own on Debian): check that clang can link a sanitized program, not only that it exists.
ifneq ($(filter san,$(MAKECMDGOALS)),)
SAN_LINK_TEST = t=$$(mktemp) && printf 'int main(void){return 0;}\n' | $(SAN_CC) -x c -fsanitize=address,undefined -o $$t - 2>/dev/null && echo ok; rm -f $$t
ifneq ($(shell $(SAN_LINK_TEST)),ok)
$(info dsim: $(SAN_CC) or its sanitizer runtime is missing; running 'make deps' first)
DEPS_STATUS := $(shell sh .ci/deps.sh >&2; echo $$?)
ifneq ($(shell $(SAN_LINK_TEST)),ok)
$(error dsim: $(SAN_CC) cannot build with -fsanitize=address,undefined; see the message above)
endif
endif
endif
endif

CC       ?= cc
BUILD    ?= build
OPT      ?= -O2 -g
# The program is linked with link-time optimization: the event loop, the network and
# the protocols are in different files, and inlining across them (a protocol's calls
# into the kernel, the kernel's into the queue and the payload pool) is worth about a
# sixth of the time of a run. The objects also keep ordinary code ("fat"), so the
# tests, the benchmarks and the projects that link libdsim.a need no LTO themselves.
# The sanitizer, thread-sanitizer and fuzzing builds turn it off (LTO=).
LTO      ?= $(if $(findstring clang,$(shell $(CC) --version 2>/dev/null | head -n 1)),,-flto=auto -ffat-lto-objects)
WERROR   := $(if $(CI),-Werror,)
CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra \
               -Wno-unused-parameter -Wno-format-truncation -Wshadow -Wstrict-prototypes $(WERROR) $(OPT)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SIM_LIBS   := $(shell pkg-config --libs libcjson gsl 2>/dev/null) -lm -pthread
TEST_CFLAGS := $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS   := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_ENV  := ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1
SAN_CLANG_NOWARN := -Wno-unknown-warning-option -Wno-missing-field-initializers -Wno-gnu-variable-sized-type-not-at-end
CFLAGS   = $(CFLAGS_BASE) $(EXTRA_CFLAGS) $(PKG_CFLAGS) -Isim -Iviz

SIM_SRC  := $(wildcard sim/core/*.c sim/proto/*.c sim/check/*.c sim/scenario/*.c sim/run/*.c sim/kit/*.c sim/export/*.c sim/lesson/*.c)
VIZ_SRC  := $(wildcard viz/*.c)
CLI_SRC  := $(wildcard sim/cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
BENCH_SRC := $(wildcard tests/bench/*.c)

SIM_OBJ  := $(SIM_SRC:%.c=$(BUILD)/obj/%.o)
VIZ_OBJ  := $(VIZ_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TESTS    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCHES  := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
LIBSIM   := $(BUILD)/libdsim.a
LIBVIZ   := $(BUILD)/libdsimviz.a
DSIM     := $(BUILD)/dsim

.PHONY: all run test san tsan bench swarm fuzz fuzz-run slurm-check deps clean help install uninstall
all: $(DSIM)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LTO) -MMD -MP -c $< -o $@

$(LIBSIM): $(SIM_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBVIZ): $(VIZ_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# dsim new protocol writes these into a project's Makefile: the tree it came from.
$(BUILD)/obj/sim/cli/cmd_new.o: CFLAGS += -DDSIM_SOURCE_DIR='"$(CURDIR)"' -DDSIM_BUILD_DIR='"$(abspath $(BUILD))"' \
                                         -DDSIM_SIM_LIBS='"$(SIM_LIBS)"'

$(DSIM): $(CLI_OBJ) $(LIBVIZ) $(LIBSIM)
	$(CC) $(CFLAGS) $(LTO) -o $@ $(CLI_OBJ) $(LIBVIZ) $(LIBSIM) $(PKG_LIBS) $(SIM_LIBS)

$(BUILD)/tests/%: tests/%.c $(LIBVIZ) $(LIBSIM) $(DSIM)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Itests -MMD -MP -o $@ $< $(LIBVIZ) $(LIBSIM) $(PKG_LIBS) $(SIM_LIBS) $(TEST_LIBS)

$(BUILD)/bench/%: tests/bench/%.c $(LIBSIM)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIBSIM) $(SIM_LIBS)

# Tests run from the repository root so that relative paths (scenarios/, tests/data/)
# resolve; DSIM tells end-to-end tests where the program is.
# test_plugin builds plug-ins and projects with the compiler and sanitizers of this build.
test: export DSIM_CC := $(CC)
test: export DSIM_EXTRA_CFLAGS := $(EXTRA_CFLAGS)
test: $(DSIM) $(TESTS)
	@sh tests/run.sh $(DSIM) $(TESTS)

# Two compilers catch different undefined behaviour (clang, for one, reports an offset
# added to a null pointer), so the suite runs under both, each in its own build folder.
# For clang: it does not know gcc's -Wno-format-truncation, it warns on the {NULL}
# that ends the registration tables, which gcc (rightly) accepts, and on tests that
# put a reply (it ends in a flexible array) before the storage for its values, a GNU
# extension both compilers support.
san:
	$(MAKE) BUILD=build/san OPT="-O1 -g" LTO= EXTRA_CFLAGS="$(SAN)" $(SAN_ENV) DSIM_SWARM_SEEDS=60 test
	$(MAKE) BUILD=build/san-clang CC=$(SAN_CC) OPT="-O1 -g" LTO= \
	  EXTRA_CFLAGS="$(SAN) $(SAN_CLANG_NOWARN)" $(SAN_ENV) DSIM_SWARM_SEEDS=60 test

# Two runs in two threads under ThreadSanitizer: the core keeps no state outside a run.
# Then a sweep on two threads, which is how dsim sweep relies on that.
tsan:
	$(MAKE) BUILD=build/tsan OPT="-O1 -g" LTO= EXTRA_CFLAGS="-fsanitize=thread" build/tsan/tests/test_run build/tsan/dsim
	SDL_VIDEODRIVER=dummy TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/test_run
	d=$$(mktemp -d) && TSAN_OPTIONS=halt_on_error=1 build/tsan/dsim sweep scenarios/quorum-r1w1-tail.json \
	  --set protocol.params.r=1,2 --set duration=2s --seeds 1..4 -j 2 --out $$d/sweep; rc=$$?; rm -rf $$d; exit $$rc

# The swarm of make test with 10,000 seeds per protocol, then 10,000 of the full
# streaming scenario (make test runs a shorter one).
swarm: $(DSIM) $(BUILD)/tests/test_swarm
	@st=0; DSIM=$(DSIM) DSIM_SWARM_SEEDS=10000 $(BUILD)/tests/test_swarm || st=1; \
	  $(DSIM) swarm scenarios/stream-acksall-crash.json --seeds 10000 -j 2 || st=1; exit $$st

bench: $(DSIM) $(BENCHES)
	@sh tests/bench/run.sh $(DSIM) $(BUILD)/bench

# Fuzzing: the library again with clang's fuzzer instrumentation and the sanitizers,
# one program per tests/fuzz/fuzz_*.c, each run for FUZZ_SECONDS on its corpus.
FUZZ_SECONDS ?= 60
FUZZ_CC  ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIBSIM)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIBSIM) $(SIM_LIBS)

fuzz:
	$(MAKE) BUILD=build/fuzzer CC=$(FUZZ_CC) OPT="-O1 -g" LTO= WERROR= \
	  EXTRA_CFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link -Wno-unknown-warning-option -Wno-missing-field-initializers" fuzz-run

fuzz-run: $(FUZZERS)
	@sh tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

# The documented Slurm array job on a real one-node Slurm (tests/slurm-check.sh says how).
slurm-check: $(DSIM)
	@sh tests/slurm-check.sh $(DSIM)

run: $(DSIM)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] && $(DSIM) help view >/dev/null 2>&1; then \
	  $(DSIM) view $(DEFAULT_SCENARIO); \
	else \
	  echo "(no display: running headless)"; $(DSIM) run $(DEFAULT_SCENARIO); \
	fi

deps:
	@sh .ci/deps.sh

# make install [PREFIX=/usr/local] [DESTDIR=]: the program, the headers of sim/ under
# include/dsim/ (as <dsim/proto/proto.h>, or "proto/proto.h" with pkg-config's -I),
# libdsim.a for plug-ins' tests, dsim.pc, the manual page (made from dsim help),
# and the scenarios and lessons under share/dsim/ (executables, the Maelstrom nodes
# of scenarios/nodes/, stay executable), where an installed dsim looks for
# a relative path it cannot find. Every file installed is listed in
# share/dsim/install-manifest, which is what make uninstall removes, and no more.
PREFIX  ?= /usr/local
DESTDIR ?=
DSIM_VERSION := 0.14
INSTALL_HEADERS := $(shell find sim -name '*.h' -not -path 'sim/cli/*' | sort)
INSTALL_DATA    := $(shell find scenarios lessons -type f | sort)
I_ROOT     = $(DESTDIR)$(PREFIX)
I_MANIFEST = $(I_ROOT)/share/dsim/install-manifest

$(BUILD)/dsim.pc: Makefile
	@mkdir -p $(dir $@)
	printf '%s\n' 'prefix=$(PREFIX)' 'exec_prefix=$${prefix}' 'bindir=$${exec_prefix}/bin' \
	  'libdir=$${exec_prefix}/lib' 'includedir=$${prefix}/include' 'datadir=$${prefix}/share/dsim' '' \
	  'Name: dsim' 'Description: a deterministic simulator of distributed systems: the protocol interface and test kit' \
	  'Version: $(DSIM_VERSION)' 'Requires: libcjson gsl' 'Cflags: -I$${includedir}/dsim -I$${includedir}' \
	  'Libs: -L$${libdir} -ldsim -lm -pthread' > $@

$(BUILD)/dsim.1: $(DSIM)
	$(DSIM) help --man > $@

install: $(DSIM) $(LIBSIM) $(BUILD)/dsim.pc $(BUILD)/dsim.1
	@set -e; m=$$(mktemp); trap 'rm -f "$$m"' EXIT; \
	put() { mode=$$1 src=$$2 dst=$$3; install -d "$(I_ROOT)/$$(dirname $$dst)"; \
	  install -m $$mode "$$src" "$(I_ROOT)/$$dst"; echo "$$dst" >> "$$m"; }; \
	put 755 $(DSIM) bin/dsim; \
	put 644 $(LIBSIM) lib/libdsim.a; \
	put 644 $(BUILD)/dsim.pc lib/pkgconfig/dsim.pc; \
	put 644 $(BUILD)/dsim.1 share/man/man1/dsim.1; \
	for h in $(INSTALL_HEADERS); do put 644 $$h include/dsim/$${h#sim/}; done; \
	printf '%s\n' '/* dsim.h -- everything a protocol and its tests use: #include <dsim/dsim.h>. */' \
	  '#include "proto/proto.h"' '#include "kit/kit.h"' > "$$m.h"; put 644 "$$m.h" include/dsim/dsim.h; rm -f "$$m.h"; \
	for f in $(INSTALL_DATA); do if [ -x $$f ]; then put 755 $$f share/dsim/$$f; else put 644 $$f share/dsim/$$f; fi; done; \
	echo share/dsim/install-manifest >> "$$m"; install -m 644 "$$m" "$(I_MANIFEST)"; \
	echo "installed dsim in $(I_ROOT) ($$(wc -l < "$$m") files, listed in $(I_MANIFEST))"

uninstall:
	@test -f "$(I_MANIFEST)" || { echo "nothing to uninstall: no $(I_MANIFEST)"; exit 0; }; \
	while read -r f; do rm -f "$(I_ROOT)/$$f"; done < "$(I_MANIFEST)"; \
	for d in include/dsim share/dsim; do \
	  [ -d "$(I_ROOT)/$$d" ] && find "$(I_ROOT)/$$d" -depth -type d -empty -delete; done; \
	echo "uninstalled dsim from $(I_ROOT)"

clean:
	rm -rf build

help:
	@sed -n '3,14p' Makefile

-include $(SIM_OBJ:.o=.d) $(VIZ_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TESTS:=.d) $(FUZZERS:=.d)
