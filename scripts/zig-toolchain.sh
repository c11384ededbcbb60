#!/usr/bin/env bash
# Prints a directory with `cc` and `c++` wrappers around zig (PyPI `ziglang`) that target
# x86_64 Linux with glibc ${GLIBC_FLOOR:-2.17}: the wheels link against that old glibc's
# symbol versions (manylinux_2_17) while building on a new distribution. zig brings its own
# libc++ (linked statically), so no libstdc++ version leaks into the wheel either.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ZIG_VERSION=0.17.1
floor=${GLIBC_FLOOR:-2.17}
dir=$root/build/zig-$ZIG_VERSION-glibc$floor
if [ ! -x "$dir/venv/bin/python" ] || ! "$dir/venv/bin/python" -m ziglang version >/dev/null 2>&1; then
  rm -rf "$dir"
  python3 -m venv "$dir/venv"
  "$dir/venv/bin/python" -m pip install -q "ziglang==$ZIG_VERSION" >&2
fi
# Boost's headers alone (not all of /usr/include, whose glibc headers are the new ones).
mkdir -p "$dir/include"
ln -sfn /usr/include/boost "$dir/include/boost"
# The wrappers exec zig's binary directly: CMake's and curl's configure checks run the
# compiler hundreds of times, and a Python start-up per call tripled the deps build.
zig_bin=$("$dir/venv/bin/python" -c 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')
write_wrapper() {  # name, command line; written aside and renamed (a build may be running it)
  printf '#!/bin/sh\nexec %s "$@"\n' "$2" > "$dir/.$1.tmp"
  chmod +x "$dir/.$1.tmp"
  mv -f "$dir/.$1.tmp" "$dir/$1"
}
write_wrapper cc "\"$zig_bin\" cc -target x86_64-linux-gnu.$floor"
write_wrapper c++ "\"$zig_bin\" c++ -target x86_64-linux-gnu.$floor"
write_wrapper ar "\"$zig_bin\" ar"
write_wrapper ranlib "\"$zig_bin\" ranlib"
echo "$dir"
