#!/bin/sh
# deps.sh -- install the packages dsim needs, or say exactly how to.
#
# Debian/Ubuntu: apt-get as root, or through sudo when it works without a password.
# Elsewhere: print the command for Fedora and Homebrew and fail.
# tmux drives the terminal lessons' end-to-end test (tests/lesson_tmux.sh).
# clang and its runtime (libclang-rt-dev: libFuzzer and the sanitizers, a separate
# package since Debian 12) are for `make san`, which runs the suite built by gcc and by
# clang, and for `make fuzz`. gnuplot-nox draws the plots of `dsim run --export` and
# `dsim sweep` (without it the data and scripts are still written); parallel is GNU
# parallel, which the sweep tests and the documented multi-machine recipe use; tmux
# drives a lesson in a terminal in the lesson tests; python3 runs the Maelstrom nodes in
# tests/maelstrom/ and scenarios/nodes/.
DEB="libsdl2-dev libsdl2-ttf-dev libpng-dev fonts-dejavu-core libcjson-dev libgsl-dev libcmocka-dev pkg-config clang libclang-rt-dev gnuplot-nox parallel tmux python3"
FEDORA="SDL2-devel SDL2_ttf-devel libpng-devel dejavu-sans-fonts cjson-devel gsl-devel libcmocka-devel pkgconf-pkg-config clang compiler-rt gnuplot parallel tmux python3"
BREW="sdl2 sdl2_ttf libpng cjson gsl cmocka pkg-config llvm gnuplot parallel tmux python3"

# Whether clang can link a libFuzzer program under AddressSanitizer and UBSan (which
# needs everything `make san` needs of it too).
have_fuzzer() {
    command -v clang >/dev/null 2>&1 &&
    echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
        clang -x c -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1
}

if command -v pkg-config >/dev/null 2>&1 &&
   pkg-config --exists sdl2 SDL2_ttf libcjson gsl libpng cmocka 2>/dev/null &&
   command -v gnuplot >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1 && parallel --version 2>/dev/null | grep -q 'GNU parallel' &&
   { [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || fc-match -f '%{file}' 'DejaVu Sans' 2>/dev/null | grep -qi dejavu; } &&
   command -v tmux >/dev/null 2>&1 && have_fuzzer; then
    echo "deps: everything dsim needs is installed"
    exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"
    else
        echo "deps: missing packages; install them with:"
        echo "  sudo apt-get update && sudo apt-get install -y $DEB"
        exit 1
    fi
    echo "deps: installing $DEB"
    $SUDO apt-get update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $DEB >/dev/null && exit 0
    echo "deps: apt-get failed; try: sudo apt-get update && sudo apt-get install -y $DEB"
    exit 1
fi

echo "deps: missing packages and no apt-get here. Install:"
echo "  Debian/Ubuntu: sudo apt-get install -y $DEB"
echo "  Fedora:        sudo dnf install -y $FEDORA"
echo "  Homebrew:      brew install $BREW"
exit 1
