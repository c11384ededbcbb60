#!/usr/bin/env bash
# Builds the libcurl that wheels bundle: static, HTTP(S) only, HTTP/2 (nghttp2), zlib/brotli/
# zstd, OpenSSL 3.0, every symbol hidden. Prints the install prefix on its last line.
#
# Sources are Debian's source packages (upstream .orig tarballs, no Debian patches), fetched
# by `apt-get source` from the machine's own archive and pinned here by upstream version and
# sha256. The Debian revision is only a hint: a point release replaces it in the archive but
# the .orig tarball (and so the checksum) stays the same.
#
# Cache: ${ASIOFETCH_DEPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/asiofetch-deps}/<key>, where
# <key> hashes this script and the compiler. Not under build/: CI and `make wheels` run in a
# fresh clone, and OpenSSL alone takes minutes on two cores, so a per-user cache lets every
# clone on the machine reuse one build; the key changes whenever a pin, a flag or the compiler
# does, so a cache hit is exactly what a rebuild would produce. build/deps links to it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/lib/apt-sources.sh"

# name  debian-source  debian-version  .orig file  sha256 of the .orig file
PINS=(
  "zlib      zlib      1:1.2.13.dfsg-1              zlib_1.2.13.dfsg.orig.tar.bz2   71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1"
  "zstd      libzstd   1.5.4+dfsg2-5                libzstd_1.5.4+dfsg2.orig.tar.xz 8cf4bbb65e77ec348d052c8d6230eba66d435bddf64c8b5be2fcb16880c19953"
  "brotli    brotli    1.0.9-2                      brotli_1.0.9.orig.tar.gz        f9e8d81d0405ba66d181529af42a3354f838c939095ff99930da6aa9cdf6fe46"
  "nghttp2   nghttp2   1.52.0-1+deb12u3             nghttp2_1.52.0.orig.tar.gz      6b71561a9950b4a90fa36aa3160763f1437f3730d7a12434e416aa3f4ab145e0"
  "openssl   openssl   3.0.20-1~deb12u2             openssl_3.0.20.orig.tar.gz      c80a01dfc70ece4dc21168932c37739042d404d46ccc81a5986dd75314ecda6f"
  "curl      curl      8.14.1-2+deb13u2~bpo13+1     curl_8.14.1.orig.tar.gz         6766ada7101d292b42b8b15681120acd68effa4a9660935853cf6d61f0d984d4"
)
# Suites whose deb-src entries provide the pins (curl 8.x comes from backports).
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
SRC_SUITES="$codename $codename-updates $codename-backports"

CC=${CC:-cc}
JOBS=${JOBS:-$(nproc)}
# Hidden visibility: the archives' symbols stay inside _core.so (which links them with
# --exclude-libs,ALL as well), so Python's own libssl or another libcurl in the process never
# binds to ours or we to theirs.
CFLAGS_DEPS="-O2 -fPIC -fvisibility=hidden -ffunction-sections -fdata-sections"
export CMAKE_POLICY_VERSION_MINIMUM=3.5   # brotli/nghttp2 still declare CMake 2.x/3.0

# A wrapper script as CC (scripts/zig-toolchain.sh) hashes with its -target (the glibc floor).
cc_path=$(command -v "$CC")
key=$( { cat "$0" "$here/lib/apt-sources.sh"; $CC --version | head -1; grep -o -- '-target [^ ]*' "$cc_path" || true; } \
      | sha256sum | cut -c1-16)
cache=${ASIOFETCH_DEPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/asiofetch-deps}
prefix=$cache/$key
mkdir -p "$root/build"
if [ -f "$prefix/.complete" ]; then
  ln -sfn "$prefix" "$root/build/deps"
  echo "build-deps: cached in $prefix" >&2
  echo "$prefix"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
work=$cache/work-$key
rm -rf "$work" "$prefix"
mkdir -p "$work/src" "$prefix"
log() { echo "build-deps: $(date -u +%H:%M:%S) $*" >&2; }
t0=$(date +%s)

# -- sources -----------------------------------------------------------------------------
fetch() {  # debian-source debian-version orig sha256
  local pkg=$1 ver=$2 orig=$3 sum=$4
  local dl=$cache/downloads
  mkdir -p "$dl"
  if [ ! -f "$dl/$orig" ]; then
    # The .dsc may be gone from the archive after a point release while the .orig stays:
    # only the pinned .orig matters, so a failed exact-version fetch falls back to the
    # current revision and the checksum decides.
    (cd "$dl" && { apt-get source -qq --download-only "$pkg=$ver" >/dev/null 2>&1 \
                   || apt-get source -qq --download-only "$pkg" >/dev/null 2>&1 || true; })
  fi
  [ -f "$dl/$orig" ] || { echo "build-deps: could not download $orig (apt-get source $pkg=$ver)" >&2; exit 1; }
  echo "$sum  $dl/$orig" | sha256sum -c --quiet - || {
    echo "build-deps: checksum mismatch for $orig" >&2; rm -f "$dl/$orig"; exit 1; }
  tar -xf "$dl/$orig" -C "$work/src"
}

if ! apt_has_suite "$codename-backports" deb-src || ! apt_has_suite "$codename" deb-src; then
  log "adding deb-src entries for $SRC_SUITES (derived from the existing apt sources)"
  apt_add_source deb-src deb-src "$SRC_SUITES"
  $SUDO apt-get update -qq
fi
for pin in "${PINS[@]}"; do
  read -r _ pkg ver orig sum <<<"$pin"
  fetch "$pkg" "$ver" "$orig" "$sum"
done
s=$work/src
log "sources ready ($(( $(date +%s) - t0 ))s)"

# -- zlib --------------------------------------------------------------------------------
t=$(date +%s)
(cd "$s"/zlib-* && CC=$CC CFLAGS="$CFLAGS_DEPS" ./configure --static --prefix="$prefix" >/dev/null \
  && make -j"$JOBS" libz.a >/dev/null && make install >/dev/null)
log "zlib $(( $(date +%s) - t ))s"

# -- zstd (decoder and encoder; libcurl only decodes, the linker drops the rest) ----------
t=$(date +%s)
(cd "$s"/zstd-*/lib && make -j"$JOBS" CC="$CC" CFLAGS="$CFLAGS_DEPS" ZSTD_LEGACY_SUPPORT=0 libzstd.a >/dev/null \
  && make PREFIX="$prefix" install-static install-includes >/dev/null)
log "zstd $(( $(date +%s) - t ))s"

# -- brotli (common + decoder; its CMake files build shared-only names) ---------------
t=$(date +%s)
(cd "$s"/brotli-*/c && mkdir -p obj/common obj/dec \
  && for f in common/*.c; do $CC $CFLAGS_DEPS -Iinclude -c "$f" -o "obj/${f%.c}.o"; done \
  && for f in dec/*.c; do $CC $CFLAGS_DEPS -Iinclude -c "$f" -o "obj/${f%.c}.o"; done \
  && ar rcs "$prefix/lib/libbrotlicommon.a" obj/common/*.o \
  && ar rcs "$prefix/lib/libbrotlidec.a" obj/dec/*.o \
  && mkdir -p "$prefix/include" && cp -r include/brotli "$prefix/include/")
log "brotli $(( $(date +%s) - t ))s"

# -- nghttp2 (library only) -------------------------------------------------------------
t=$(date +%s)
cmake -S "$s"/nghttp2-* -B "$work/b-nghttp2" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS_DEPS" -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_INSTALL_LIBDIR=lib -DENABLE_LIB_ONLY=ON -DENABLE_STATIC_LIB=ON -DENABLE_SHARED_LIB=OFF \
  -DENABLE_DOC=OFF -DENABLE_PYTHON_BINDINGS=OFF -DWITH_LIBXML2=OFF -DWITH_JEMALLOC=OFF >/dev/null
cmake --build "$work/b-nghttp2" -j "$JOBS" >/dev/null && cmake --install "$work/b-nghttp2" >/dev/null
log "nghttp2 $(( $(date +%s) - t ))s"

# -- OpenSSL (libraries only; no engines/modules loaded from disk) ---------------------------
# --openssldir stays /etc/ssl only for openssl.cnf; CA locations are chosen at run time by
# asiofetch (ca_trust.cpp), not by this compiled-in directory.
t=$(date +%s)
(cd "$s"/openssl-* && CC=$CC ./Configure linux-x86_64 no-shared no-module no-engine no-dso \
    no-tests no-legacy no-comp no-ssl3 no-weak-ssl-ciphers \
    --prefix="$prefix" --libdir=lib --openssldir=/etc/ssl $CFLAGS_DEPS -Wa,--noexecstack >/dev/null \
  && make -j"$JOBS" build_libs >/dev/null && make install_dev >/dev/null)
log "openssl $(( $(date +%s) - t ))s"

# -- libcurl ----------------------------------------------------------------------------
# HTTP and HTTPS only: every other protocol off, no compiled-in CA path (the engine sets
# CURLOPT_CAINFO/CAPATH from ca_trust), no libpsl/idn2/gssapi/ssh.
t=$(date +%s)
cmake -S "$s"/curl-* -B "$work/b-curl" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS_DEPS" -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_ROOT_PATH="$prefix" \
  -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF \
  -DBUILD_EXAMPLES=OFF -DBUILD_LIBCURL_DOCS=OFF -DBUILD_MISC_DOCS=OFF -DENABLE_CURL_MANUAL=OFF \
  -DCURL_USE_PKGCONFIG=OFF \
  -DCURL_USE_OPENSSL=ON -DOPENSSL_ROOT_DIR="$prefix" -DOPENSSL_USE_STATIC_LIBS=ON \
  -DUSE_NGHTTP2=ON -DNGHTTP2_INCLUDE_DIR="$prefix/include" -DNGHTTP2_LIBRARY="$prefix/lib/libnghttp2.a" \
  -DZLIB_INCLUDE_DIR="$prefix/include" -DZLIB_LIBRARY="$prefix/lib/libz.a" \
  -DCURL_BROTLI=ON -DBROTLI_INCLUDE_DIR="$prefix/include" \
  -DBROTLICOMMON_LIBRARY="$prefix/lib/libbrotlicommon.a" -DBROTLIDEC_LIBRARY="$prefix/lib/libbrotlidec.a" \
  -DCURL_ZSTD=ON -DZSTD_INCLUDE_DIR="$prefix/include" -DZSTD_LIBRARY="$prefix/lib/libzstd.a" \
  -DZstd_INCLUDE_DIR="$prefix/include" -DZstd_LIBRARY="$prefix/lib/libzstd.a" \
  -DCURL_USE_LIBPSL=OFF -DUSE_LIBIDN2=OFF -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBSSH=OFF \
  -DCURL_USE_GSSAPI=OFF -DUSE_LIBRTMP=OFF -DUSE_NGTCP2=OFF -DUSE_QUICHE=OFF -DUSE_MSH3=OFF \
  -DENABLE_ARES=OFF -DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON \
  -DCURL_DISABLE_FTP=ON -DCURL_DISABLE_FILE=ON -DCURL_DISABLE_TELNET=ON -DCURL_DISABLE_DICT=ON \
  -DCURL_DISABLE_GOPHER=ON -DCURL_DISABLE_IMAP=ON -DCURL_DISABLE_POP3=ON -DCURL_DISABLE_SMTP=ON \
  -DCURL_DISABLE_MQTT=ON -DCURL_DISABLE_RTSP=ON -DCURL_DISABLE_TFTP=ON -DCURL_DISABLE_SMB=ON \
  -DCURL_DISABLE_IPFS=ON \
  -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none -DCURL_CA_FALLBACK=OFF >"$work/curl-cmake.log"
cmake --build "$work/b-curl" -j "$JOBS" >/dev/null && cmake --install "$work/b-curl" >/dev/null
log "curl $(( $(date +%s) - t ))s"

rm -rf "$prefix/bin" "$prefix/share" "$prefix"/lib/*.so* "$work"
echo "${PINS[*]}" > "$prefix/PINS"
touch "$prefix/.complete"
ln -sfn "$prefix" "$root/build/deps"
log "done in $(( $(date +%s) - t0 ))s -> $prefix"
echo "$prefix"
