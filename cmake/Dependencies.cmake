# Boost and libcurl: the system's (development builds, sdists on a prepared machine) or the
# static libcurl stack that scripts/build-deps.sh builds (wheels), with a message naming what
# to install when something is missing.

set(ASIOFETCH_CURL_PREFIX "" CACHE PATH
  "Install prefix of scripts/build-deps.sh (static libcurl + OpenSSL, nghttp2, zlib, brotli, zstd); empty: the system libcurl")
# Debian 12's 7.88.1 breaks reuse of h2c prior-knowledge connections (curl #10634, fixed in
# 7.89); older ones lack options the engine sets.
set(ASIOFETCH_MIN_CURL_VERSION 7.89.0)
option(ASIOFETCH_NO_BUNDLED_BUILD "Never run scripts/build-deps.sh from CMake; fail when the system libcurl is unsuitable" OFF)
set(_asiofetch_debian_hint
  "On Debian/Ubuntu: bash scripts/install-deps.sh (build-essential ninja-build libboost1.81-dev libcurl4-openssl-dev from bookworm-backports, ...); elsewhere: Boost >= 1.81 headers and libcurl >= ${ASIOFETCH_MIN_CURL_VERSION} with its development files, or bash scripts/build-deps.sh and -DASIOFETCH_CURL_PREFIX=<the prefix it prints>.")

# A cross toolchain (scripts/zig-toolchain.sh, old-glibc wheels) must not see the build
# host's /usr/include, whose glibc headers would shadow the target's: it gets a directory
# holding only Boost.
set(ASIOFETCH_BOOST_INCLUDE "" CACHE PATH "A directory holding only boost/ (headers); empty: find_package(Boost)")
if(ASIOFETCH_BOOST_INCLUDE)
  if(NOT EXISTS "${ASIOFETCH_BOOST_INCLUDE}/boost/version.hpp")
    message(FATAL_ERROR "ASIOFETCH_BOOST_INCLUDE=${ASIOFETCH_BOOST_INCLUDE} has no boost/version.hpp")
  endif()
  add_library(Boost::headers INTERFACE IMPORTED)
  set_target_properties(Boost::headers PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${ASIOFETCH_BOOST_INCLUDE}")
  set(Boost_FOUND TRUE)
else()
  find_package(Boost 1.81 CONFIG QUIET)
endif()
if(NOT Boost_FOUND)
  message(FATAL_ERROR "asiofetch needs the Boost headers >= 1.81 (Boost.Asio; Debian package libboost1.81-dev, or libboost-dev on newer releases).\n${_asiofetch_debian_hint}")
endif()

# LIBCURL_VERSION from curlver.h: one check for both the system and the bundled libcurl.
function(_asiofetch_curl_version include_dir out)
  if(NOT EXISTS "${include_dir}/curl/curlver.h")
    set(${out} "0" PARENT_SCOPE)  # no headers: as unusable as a too old one
    return()
  endif()
  file(STRINGS "${include_dir}/curl/curlver.h" _line REGEX "^#define LIBCURL_VERSION \"[0-9.]+")
  string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" _v "${_line}")
  set(${out} "${_v}" PARENT_SCOPE)
endfunction()

# No prefix given and no suitable system libcurl (an sdist on a machine without the -dev
# package): build the bundled stack with scripts/build-deps.sh where it can run (Debian's
# apt-get source), else stop naming what to install.
if(NOT ASIOFETCH_CURL_PREFIX)
  find_package(CURL QUIET)
  set(_system_ok FALSE)
  if(CURL_FOUND)
    list(GET CURL_INCLUDE_DIRS 0 _inc)
    _asiofetch_curl_version("${_inc}" _sys_version)
    if(_sys_version VERSION_GREATER_EQUAL ASIOFETCH_MIN_CURL_VERSION)
      set(_system_ok TRUE)
    endif()
  endif()
  set(_build_deps "${PROJECT_SOURCE_DIR}/scripts/build-deps.sh")
  if(NOT _system_ok AND EXISTS "${_build_deps}" AND EXISTS /usr/bin/apt-get
     AND NOT ASIOFETCH_NO_BUNDLED_BUILD)
    message(STATUS "asiofetch: no libcurl >= ${ASIOFETCH_MIN_CURL_VERSION} on the system (found: '${_sys_version}'); building the bundled static libcurl (scripts/build-deps.sh, a few minutes once, cached)")
    execute_process(COMMAND bash "${_build_deps}" OUTPUT_VARIABLE _out RESULT_VARIABLE _rc
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "scripts/build-deps.sh failed (${_rc}).\n${_asiofetch_debian_hint}")
    endif()
    string(REGEX REPLACE ".*\n" "" _out "${_out}")
    set(ASIOFETCH_CURL_PREFIX "${_out}" CACHE PATH "" FORCE)
  endif()
endif()

if(ASIOFETCH_CURL_PREFIX)
  set(_p "${ASIOFETCH_CURL_PREFIX}")
  # Link order: each archive before the ones it uses.
  set(_archives curl nghttp2 ssl crypto zstd brotlidec brotlicommon z)
  set(_libs "")
  foreach(_a IN LISTS _archives)
    if(NOT EXISTS "${_p}/lib/lib${_a}.a")
      message(FATAL_ERROR "ASIOFETCH_CURL_PREFIX=${_p} has no lib/lib${_a}.a: run bash scripts/build-deps.sh and pass the prefix it prints.")
    endif()
    list(APPEND _libs "${_p}/lib/lib${_a}.a")
  endforeach()
  add_library(asiofetch_bundled_curl INTERFACE)
  target_include_directories(asiofetch_bundled_curl SYSTEM INTERFACE "${_p}/include")
  target_compile_definitions(asiofetch_bundled_curl INTERFACE CURL_STATICLIB)
  target_link_libraries(asiofetch_bundled_curl INTERFACE ${_libs} Threads::Threads ${CMAKE_DL_LIBS})
  add_library(CURL::libcurl ALIAS asiofetch_bundled_curl)
  # The TLS session cache (src/asiofetch/tls_sessions.cpp) calls the OpenSSL libcurl runs
  # on: here the bundled archives, already on the link line, headers in the same prefix.
  add_library(asiofetch_openssl INTERFACE)
  _asiofetch_curl_version("${_p}/include" ASIOFETCH_CURL_VERSION)
  set(_curl_from "bundled static (${_p})")
else()
  if(NOT CURL_FOUND)
    message(FATAL_ERROR "asiofetch needs libcurl >= ${ASIOFETCH_MIN_CURL_VERSION} with its headers (Debian package libcurl4-openssl-dev).\n${_asiofetch_debian_hint}")
  endif()
  list(GET CURL_INCLUDE_DIRS 0 _inc)
  _asiofetch_curl_version("${_inc}" ASIOFETCH_CURL_VERSION)
  set(_curl_from "system (${CURL_LIBRARIES})")
  # The TLS session cache calls OpenSSL on libcurl's SSL_CTX; at run time it checks that
  # libcurl reports this same OpenSSL before it does (TlsSessionCache::supported).
  find_package(OpenSSL 3.0 QUIET COMPONENTS SSL Crypto)
  if(NOT OpenSSL_FOUND)
    message(FATAL_ERROR "asiofetch needs the OpenSSL >= 3.0 development files libcurl is built on (Debian package libssl-dev).\n${_asiofetch_debian_hint}")
  endif()
  add_library(asiofetch_openssl INTERFACE)
  target_link_libraries(asiofetch_openssl INTERFACE OpenSSL::SSL OpenSSL::Crypto)
endif()
if(ASIOFETCH_CURL_VERSION STREQUAL "0")
  message(FATAL_ERROR "libcurl from ${_curl_from} has no headers (curl/curlver.h): asiofetch needs libcurl >= ${ASIOFETCH_MIN_CURL_VERSION} with its development files (Debian package libcurl4-openssl-dev).\n${_asiofetch_debian_hint}")
elseif(ASIOFETCH_CURL_VERSION VERSION_LESS ASIOFETCH_MIN_CURL_VERSION)
  message(FATAL_ERROR "libcurl ${ASIOFETCH_CURL_VERSION} from ${_curl_from} is too old: asiofetch needs >= ${ASIOFETCH_MIN_CURL_VERSION}.\n${_asiofetch_debian_hint}")
endif()
message(STATUS "asiofetch: libcurl ${ASIOFETCH_CURL_VERSION}, ${_curl_from}")

# The bundled archives were compiled with -fvisibility=hidden; --exclude-libs keeps any symbol
# they still export (OpenSSL's assembler, libcurl's public API) out of _core.so's dynamic
# table, and the C++ runtime is linked in so the wheel needs no newer libstdc++ than the
# target system's. Called after src/ defines the targets.
function(asiofetch_hide_bundled_symbols)
  if(ASIOFETCH_CURL_PREFIX AND TARGET _core)
    # A version script exporting PyInit__core only works with both linkers (zig's lld has no
    # --exclude-libs); it also hides whatever the archives' assembler left global.
    target_link_options(_core PRIVATE "-Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/extension.map")
    set_property(TARGET _core APPEND PROPERTY LINK_DEPENDS "${PROJECT_SOURCE_DIR}/cmake/extension.map")
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")  # zig's clang links its libc++ statically anyway
      target_link_options(_core PRIVATE -Wl,--exclude-libs,ALL -static-libstdc++ -static-libgcc)
    endif()
  endif()
endfunction()
