# Makefile -- builds libdsim (sim/), the dsim program, the tests and the benchmarks.
#
#   make            build build/dsim
#   make run        install what is missing, build, run the default scenario
#   make test       build and run every cmocka test
#   make san        the same suite under AddressSanitizer and UndefinedBehaviorSanitizer
#   make tsan       two runs in two threads under ThreadSanitizer
#   make bench      benchmarks, printed as figures
#   make slurm-check  the sweep's Slurm recipe on a one-node Slurm started here
#   make deps       install the Debian/Ubuntu packages dsim needs
#
# Dependencies are found with pkg-config; when one (or the DejaVu font, gnuplot or GNU
# parallel) is missing,
# `make` runs `make deps` first (.ci/deps.sh says what that does, and what to run on
# Fedora or with Homebrew).

PKGS      := sdl2 SDL2_ttf libcjson gsl
TEST_PKGS := cmocka
DEFAULT_SCENARIO ?= scenarios/gossip-partition.json

# Install missing packages before anything else is evaluated, but only for goals that
# build something (not for `make clean` or `make deps` itself).
ifeq ($(filter clean deps help,$(MAKECMDGOALS)),)
HAVE_FONT := $(or $(wildcard /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf),$(shell fc-match -f '%{file}' 'DejaVu Sans' 2>/dev/null | grep -i dejavu))
HAVE_TOOLS := $(shell command -v gnuplot >/dev/null 2>&1 && parallel --version 2>/dev/null | grep -q 'GNU parallel' && echo ok)
ifneq ($(shell pkg-config --exists $(PKGS) $(TEST_PKGS) 2>/dev/null && echo ok)$(if $(HAVE_FONT),,nofont)$(if $(HAVE_TOOLS),,notools),ok)
$(info dsim: some packages are missing; running 'make deps' first)
DEPS_STATUS := $(shell sh .ci/deps.sh >&2; echo $$?)
ifneq ($(DEPS_STATUS),0)
$(error dsim: could not install the packages dsim needs; see the message above)
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

.PHONY: all run test san tsan bench slurm-check deps clean help
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

san:
	$(MAKE) BUILD=build/san OPT="-O1 -g" EXTRA_CFLAGS="$(SAN)" \
	  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 test

# Two runs in two threads under ThreadSanitizer: the core keeps no state outside a run.
# Then a sweep on two threads, which is how dsim sweep relies on that.
tsan:
	$(MAKE) BUILD=build/tsan OPT="-O1 -g" EXTRA_CFLAGS="-fsanitize=thread" build/tsan/tests/test_run build/tsan/dsim
	SDL_VIDEODRIVER=dummy TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/test_run
	d=$$(mktemp -d) && TSAN_OPTIONS=halt_on_error=1 build/tsan/dsim sweep scenarios/quorum-r1w1-tail.json \
	  --set protocol.params.r=1,2 --set duration=2s --seeds 1..4 -j 2 --out $$d/sweep; rc=$$?; rm -rf $$d; exit $$rc

bench: $(DSIM) $(BENCHES)
	@sh tests/bench/run.sh $(DSIM) $(BUILD)/bench

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

clean:
	rm -rf build

help:
	@sed -n '3,12p' Makefile

-include $(SIM_OBJ:.o=.d) $(VIZ_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TESTS:=.d)
