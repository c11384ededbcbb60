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
for tool in cc c++; do
  cat > "$dir/$tool" <<WRAP
#!/bin/sh
exec "$dir/venv/bin/python" -m ziglang $tool -target x86_64-linux-gnu.$floor "\$@"
WRAP
  chmod +x "$dir/$tool"
done
for tool in ar ranlib; do
  printf '#!/bin/sh\nexec "%s/venv/bin/python" -m ziglang %s "$@"\n' "$dir" "$tool" > "$dir/$tool"
  chmod +x "$dir/$tool"
done
echo "$dir"
