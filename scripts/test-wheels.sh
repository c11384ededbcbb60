#!/usr/bin/env bash
# `make test-wheels`: each dist/ wheel installed into a fresh venv of its own CPython, the
# Python suite run against that installed copy (from a directory where the source tree's
# python/ is not importable), then the hidden-system smoke test (tests_wheel/).
# PYTHONS="3.10 3.13" limits the set. Needs the fixture server (make fixture).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PYTHONS=${PYTHONS:-"3.10 3.11 3.12 3.13"}
PYTEST_ARGS=${PYTEST_ARGS:-}
export ASIOFETCH_FIXTURE_SERVER=${ASIOFETCH_FIXTURE_SERVER:-$root/build/cpp/tests_cpp/fixture/asiofetch-fixture-server}
[ -x "$ASIOFETCH_FIXTURE_SERVER" ] || { echo "test-wheels: no fixture server (make fixture)" >&2; exit 1; }
log() { echo "test-wheels: $(date -u +%H:%M:%S) $*" >&2; }

find_python() {
  local v=$1 p
  for p in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python 2>/dev/null | sort -V -r); do
    [ -x "$p" ] && { echo "$p"; return 0; }
  done
  command -v "python$v" || { echo "test-wheels: no CPython $v" >&2; return 1; }
}

status=0
for v in $PYTHONS; do
  tag=cp${v/./}
  wheel=$(ls dist/asiofetch-*-"$tag"-"$tag"-manylinux*.whl 2>/dev/null | head -1)
  [ -n "$wheel" ] || { echo "test-wheels: no $tag wheel in dist/ (make wheels)" >&2; exit 1; }
  py=$(find_python "$v")
  venv=build/wheel-venvs/$tag
  t=$(date +%s)
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip >&2
  "$venv/bin/python" -m pip install -q "$root/$wheel[test,cli,dask]" >&2
  log "$tag venv + install $(( $(date +%s) - t ))s"

  # From an empty directory: neither the repo root nor python/ is on sys.path; the plugin
  # stops the session unless asiofetch resolves to the venv's site-packages.
  run=$(mktemp -d)
  t=$(date +%s)
  rc=0
  (cd "$run" && PYTHONPATH="$root/tests_wheel" "$root/$venv/bin/python" -m pytest \
      -p installed_plugin -p no:cacheprovider --rootdir "$run" -c "$root/pyproject.toml" \
      -q $PYTEST_ARGS "$root/tests_py") || rc=$?
  log "$tag suite $(( $(date +%s) - t ))s (exit $rc)"
  [ $rc -eq 0 ] || status=1
  t=$(date +%s)
  rc=0
  (cd "$run" && "$root/$venv/bin/python" "$root/tests_wheel/smoke_hidden_system.py") || rc=$?
  log "$tag hidden-system smoke $(( $(date +%s) - t ))s (exit $rc)"
  [ $rc -eq 0 ] || status=1
  rm -rf "$run"
done
exit $status
