#!/usr/bin/env bash
# Unpacks lwIP 2.1.3 from Debian's source package into bench/lwip/build/src (once) and prints the
# path of its src/ folder. `apt-get source` needs a deb-src line: added (bookworm main) when run as
# root and none exists. Used by bench/lwip/Makefile (the fair pair harness) and m3/size.sh.
set -euo pipefail
cd "$(dirname "$0")"
OUT=build/m3
if [ ! -d "$OUT/src/lwip-2.1.3" ]; then
  mkdir -p "$OUT"
  if ! ls "$OUT"/lwip_*.orig.tar.* >/dev/null 2>&1; then
    if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/ ; then
      [ "$(id -u)" = 0 ] || { echo "bench/lwip/source.sh: needs a deb-src line: run as root once" >&2; exit 1; }
      printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > /etc/apt/sources.list.d/asnet-deb-src.sources
      apt-get update -qq >/dev/null
    fi
    (cd "$OUT" && apt-get source --download-only -qq lwip >/dev/null 2>&1) || { echo "bench/lwip/source.sh: apt-get source lwip failed" >&2; exit 1; }
  fi
  mkdir -p "$OUT/src" && tar xf "$OUT"/lwip_*.orig.tar.* -C "$OUT/src"
fi
echo "$(pwd)/$OUT/src/lwip-2.1.3/src"
