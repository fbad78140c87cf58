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
#   make deps       install the Debian/Ubuntu packages dsim needs
#
# Dependencies are found with pkg-config; when one (or the DejaVu font) is missing,
# `make` runs `make deps` first (.ci/deps.sh says what that does, and what to run on
# Fedora or with Homebrew).

PKGS      := sdl2 SDL2_ttf libcjson gsl libpng
SAN_CC    := clang
TEST_PKGS := cmocka
DEFAULT_SCENARIO ?= scenarios/gossip-partition.json

# Install missing packages before anything else is evaluated, but only for goals that
# build something (not for `make clean` or `make deps` itself).
ifeq ($(filter clean deps help,$(MAKECMDGOALS)),)
HAVE_FONT := $(or $(wildcard /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf),$(shell fc-match -f '%{file}' 'DejaVu Sans' 2>/dev/null | grep -i dejavu))
ifneq ($(shell pkg-config --exists $(PKGS) $(TEST_PKGS) 2>/dev/null && echo ok)$(if $(HAVE_FONT),,nofont),ok)
$(info dsim: some packages are missing; running 'make deps' first)
DEPS_STATUS := $(shell sh .ci/deps.sh >&2; echo $$?)
ifneq ($(DEPS_STATUS),0)
$(error dsim: could not install the packages dsim needs; see the message above)
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

SIM_SRC  := $(wildcard sim/core/*.c sim/proto/*.c sim/check/*.c sim/scenario/*.c sim/run/*.c sim/kit/*.c sim/export/*.c)
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

.PHONY: all run test san tsan bench swarm fuzz fuzz-run deps clean help
all: $(DSIM)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBSIM): $(SIM_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBVIZ): $(VIZ_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(DSIM): $(CLI_OBJ) $(LIBVIZ) $(LIBSIM)
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(LIBVIZ) $(LIBSIM) $(PKG_LIBS) $(SIM_LIBS)

$(BUILD)/tests/%: tests/%.c $(LIBVIZ) $(LIBSIM) $(DSIM)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Itests -MMD -MP -o $@ $< $(LIBVIZ) $(LIBSIM) $(PKG_LIBS) $(SIM_LIBS) $(TEST_LIBS)

$(BUILD)/bench/%: tests/bench/%.c $(LIBSIM)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIBSIM) $(SIM_LIBS)

# Tests run from the repository root so that relative paths (scenarios/, tests/data/)
# resolve; DSIM tells end-to-end tests where the program is.
test: $(DSIM) $(TESTS)
	@sh tests/run.sh $(DSIM) $(TESTS)

# Two compilers catch different undefined behaviour (clang, for one, reports an offset
# added to a null pointer), so the suite runs under both, each in its own build folder.
# For clang: it does not know gcc's -Wno-format-truncation, it warns on the {NULL}
# that ends the registration tables, which gcc (rightly) accepts, and on tests that
# put a reply (it ends in a flexible array) before the storage for its values, a GNU
# extension both compilers support.
san:
	$(MAKE) BUILD=build/san OPT="-O1 -g" EXTRA_CFLAGS="$(SAN)" $(SAN_ENV) DSIM_SWARM_SEEDS=60 test
	$(MAKE) BUILD=build/san-clang CC=$(SAN_CC) OPT="-O1 -g" \
	  EXTRA_CFLAGS="$(SAN) $(SAN_CLANG_NOWARN)" $(SAN_ENV) DSIM_SWARM_SEEDS=60 test

# Two runs in two threads under ThreadSanitizer: the core keeps no state outside a run.
tsan:
	$(MAKE) BUILD=build/tsan OPT="-O1 -g" EXTRA_CFLAGS="-fsanitize=thread" build/tsan/tests/test_run
	SDL_VIDEODRIVER=dummy TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/test_run

# The swarm of make test with 10,000 seeds per protocol, then the protocols make test
# leaves out until known bugs are fixed (tests/test_swarm.c says which and why).
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
	$(MAKE) BUILD=build/fuzzer CC=$(FUZZ_CC) OPT="-O1 -g" WERROR= \
	  EXTRA_CFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link -Wno-unknown-warning-option -Wno-missing-field-initializers" fuzz-run

fuzz-run: $(FUZZERS)
	@sh tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

run: $(DSIM)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] && $(DSIM) help view >/dev/null 2>&1; then \
	  $(DSIM) view $(DEFAULT_SCENARIO); \
	else \
	  echo "(no display: running headless)"; $(DSIM) run $(DEFAULT_SCENARIO); \
	fi

deps:
	@sh .ci/deps.sh

clean:
	rm -rf build

help:
	@sed -n '3,14p' Makefile

-include $(SIM_OBJ:.o=.d) $(VIZ_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TESTS:=.d) $(FUZZERS:=.d)
