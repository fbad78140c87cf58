#!/bin/sh
# deps.sh -- install the packages dsim needs, or say exactly how to.
#
# Debian/Ubuntu: apt-get as root, or through sudo when it works without a password.
# Elsewhere: print the command for Fedora and Homebrew and fail.
# gnuplot-nox draws the plots of `dsim run --export` and `dsim sweep` (without it the
# data and scripts are still written); parallel is GNU parallel, which the sweep tests
# and the documented multi-machine recipe use.
DEB="libsdl2-dev libsdl2-ttf-dev fonts-dejavu-core libcjson-dev libgsl-dev libcmocka-dev pkg-config gnuplot-nox parallel"
FEDORA="SDL2-devel SDL2_ttf-devel dejavu-sans-fonts cjson-devel gsl-devel libcmocka-devel pkgconf-pkg-config gnuplot parallel"
BREW="sdl2 sdl2_ttf cjson gsl cmocka pkg-config gnuplot parallel"

if command -v pkg-config >/dev/null 2>&1 &&
   pkg-config --exists sdl2 SDL2_ttf libcjson gsl cmocka 2>/dev/null &&
   command -v gnuplot >/dev/null 2>&1 && parallel --version 2>/dev/null | grep -q 'GNU parallel' &&
   { [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || fc-match -f '%{file}' 'DejaVu Sans' 2>/dev/null | grep -qi dejavu; }; then
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
