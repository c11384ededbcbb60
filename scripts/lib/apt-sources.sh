# Sourced by install-deps.sh and build-deps.sh: finds the machine's own Debian archive in its
# apt configuration, so the repo never names a package-mirror host.
# apt_archive_uri CODENAME   -> prints "URI|SIGNED_BY" of the first source serving CODENAME
#                               (SIGNED_BY may be empty); non-zero when none does.

apt_archive_uri() {
  local codename=$1 f
  # deb822 stanzas (Debian 12's default: /etc/apt/sources.list.d/debian.sources).
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v want="$codename" '
      function flush() {
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && uris != "" && (" " suites " ") ~ (" " want " ")) {
          split(uris, u, /[ \t]+/); print u[1] "|" signed; found = 1; exit
        }
        types = uris = suites = signed = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "types:"     { sub(/^[^:]*:[ \t]*/, ""); types = $0 }
      tolower($1) == "uris:"      { sub(/^[^:]*:[ \t]*/, ""); uris = $0 }
      tolower($1) == "suites:"    { sub(/^[^:]*:[ \t]*/, ""); suites = $0 }
      tolower($1) == "signed-by:" { sub(/^[^:]*:[ \t]*/, ""); signed = $0 }
      END { if (!found) flush(); if (!found) exit 1 }
    ' "$f" && return 0
  done
  # One-line format: "deb [opts] URI SUITE COMPONENTS...".
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v want="$codename" '
      $1 == "deb" {
        i = 2; signed = ""
        if ($2 ~ /^\[/) {
          while (i <= NF) {
            if ($i ~ /signed-by=/) { s = $i; sub(/.*signed-by=/, "", s); sub(/\]$/, "", s); signed = s }
            if ($i ~ /\]$/) { i++; break }
            i++
          }
        }
        if ($(i + 1) == want) { print $i "|" signed; found = 1; exit }
      }
      END { if (!found) exit 1 }
    ' "$f" && return 0
  done
  return 1
}

# apt_has_suite SUITE TYPE -> zero when some enabled apt source already serves SUITE as TYPE
# (deb or deb-src).
apt_has_suite() {
  local suite=$1 type=$2 f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && grep -Eq "^[[:space:]]*${type}[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+[[:space:]]+${suite}([[:space:]]|$)" "$f" && return 0
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" -v type="$type" '
      function flush() {
        if ((" " types " ") ~ (" " type " ") && (" " suites " ") ~ (" " suite " ")) { hit = 1; exit }
        types = suites = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "types:"  { sub(/^[^:]*:[ \t]*/, ""); types = $0 }
      tolower($1) == "suites:" { sub(/^[^:]*:[ \t]*/, ""); suites = $0 }
      END { if (!hit) flush(); exit hit ? 0 : 1 }
    ' "$f" && return 0
  done
  return 1
}

# apt_add_source NAME TYPES "SUITE..." -> writes /etc/apt/sources.list.d/asiofetch-NAME.sources,
# one stanza per suite, pointing at the machine's own archive. A suite already served as "deb"
# keeps that entry's URI and Signed-By (apt refuses two Signed-By values for one URI+suite);
# a new suite takes the running release's.
apt_add_source() {
  local name=$1 types=$2 suites=$3 codename found uri signed file suite
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  file=/etc/apt/sources.list.d/asiofetch-${name}.sources
  for suite in $suites; do
    found=$(apt_archive_uri "$suite") || found=$(apt_archive_uri "$codename") || {
      echo "apt: no apt source serves '$codename'; add one for $suite ($types) by hand" >&2
      return 1
    }
    uri=${found%%|*}; signed=${found#*|}
    echo "Types: $types"
    echo "URIs: $uri"
    echo "Suites: $suite"
    echo "Components: main"
    [ -z "$signed" ] || echo "Signed-By: $signed"
    echo
  done | ${SUDO:-} tee "$file" >/dev/null
}
