#!/usr/bin/env bash
# Installs the Debian packages asiofetch builds, tests and benchmarks with; a no-op when present.
set -euo pipefail
. "$(dirname "$0")/lib/apt-sources.sh"

packages=(
  build-essential pkg-config ninja-build
  libboost1.81-dev libgtest-dev libgmock-dev
  libssl-dev zlib1g-dev libbrotli-dev libzstd-dev libnghttp2-dev libmimalloc2.0
  nginx-light wrk nghttp2-client openssl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Debian 12's libcurl 7.88.1 breaks reuse of h2c prior-knowledge connections
# (curl issue #10634, fixed in 7.89 by PR #10643): the second request on a reused
# connection fails with "Error in the HTTP2 framing layer". bookworm-backports ships 8.x.
curl_ok() {
  command -v curl-config >/dev/null 2>&1 || return 1
  local v; v=$(curl-config --vernum)   # hex, e.g. 080e01
  [ $((16#$v)) -ge $((16#075900)) ]
}

need_backports=0
curl_ok || need_backports=1

[ ${#missing[@]} -eq 0 ] && [ $need_backports -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

if [ $need_backports -eq 1 ]; then
  # The backports suite comes from the archive this machine already uses (its own mirror,
  # proxy or snapshot), never from a host name written here.
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  apt_has_suite "${codename}-backports" deb || apt_add_source backports deb "${codename}-backports"
fi

$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ $need_backports -eq 1 ]; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  $SUDO apt-get install -y -qq --no-install-recommends -t "${codename}-backports" libcurl4-openssl-dev curl
fi
curl_ok || { echo "install-deps: libcurl >= 7.89 is required (found $(curl-config --version))" >&2; exit 1; }
