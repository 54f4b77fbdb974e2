#!/usr/bin/env bash
# Unpacks mbedTLS from Debian's source package (the version of the installed libmbedtls-dev) into
# boards/posix/build/mbedtls (once) and prints the path of its library/ folder, whose net_sockets.c
# the sockets program compiles against asnet_compat.h. Needs the deb-src line bench/lwip/source.sh adds.
set -euo pipefail
cd "$(dirname "$0")/.."
VER=$(dpkg-query -W -f '${Version}' libmbedtls-dev 2>/dev/null) || { echo "mbedtls-source.sh: libmbedtls-dev is not installed (apt-get install libmbedtls-dev)" >&2; exit 1; }
UP=${VER%-*}
OUT=build/mbedtls
if [ ! -f "$OUT/src/library/net_sockets.c" ]; then
  mkdir -p "$OUT"
  if ! ls "$OUT"/mbedtls_"$UP".orig.tar.* >/dev/null 2>&1; then
    if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/ ; then
      echo "mbedtls-source.sh: no deb-src line: run bench/lwip/source.sh as root once" >&2; exit 1
    fi
    (cd "$OUT" && apt-get source --download-only -qq "mbedtls=$VER" >/dev/null 2>&1) || { echo "mbedtls-source.sh: apt-get source mbedtls=$VER failed" >&2; exit 1; }
  fi
  rm -rf "$OUT/src" && mkdir -p "$OUT/src" && tar xf "$OUT"/mbedtls_"$UP".orig.tar.* -C "$OUT/src" --strip-components=1
fi
echo "$(pwd)/$OUT/src/library"
