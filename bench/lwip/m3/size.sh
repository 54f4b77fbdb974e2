#!/usr/bin/env bash
# Code size of lwIP 2.1.3's TCP + IPv4 (+ ARP, ICMP, UDP, pbuf/mem/netif/timeouts core) compiled
# for Cortex-M3 with the flags the mps2-an385 board uses for this stack (-Os -mthumb
# -mcpu=cortex-m3 -ffunction-sections -fdata-sections). Sources: Debian's lwip source package
# (apt-get source lwip; needs a deb-src line: the script adds one when run as root). Prints JSON.
set -euo pipefail
cd "$(dirname "$0")"
OUT=../build/m3
mkdir -p "$OUT"
if [ ! -d "$OUT/src/lwip-2.1.3" ]; then
  if ! ls "$OUT"/lwip_*.orig.tar.* >/dev/null 2>&1; then
    if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/ ; then
      [ "$(id -u)" = 0 ] || { echo '{"error":"needs deb-src: run as root or apt-get source lwip"}'; exit 0; }
      printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > /etc/apt/sources.list.d/asnet-deb-src.sources
      apt-get update -qq >/dev/null
    fi
    (cd "$OUT" && apt-get source --download-only -qq lwip >/dev/null 2>&1) || { echo '{"error":"apt-get source lwip failed"}'; exit 0; }
  fi
  mkdir -p "$OUT/src" && tar xf "$OUT"/lwip_*.orig.tar.* -C "$OUT/src"
fi
SRC="$OUT/src/lwip-2.1.3/src"
CFLAGS="-Os -mcpu=cortex-m3 -mthumb -ffunction-sections -fdata-sections -I. -I$SRC/include -w"
FILES="core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c core/netif.c core/pbuf.c
       core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c
       core/ipv4/ip4.c core/ipv4/ip4_addr.c core/ipv4/etharp.c core/ipv4/icmp.c netif/ethernet.c"
objs=()
for f in $FILES; do
  o="$OUT/$(basename "$f" .c).o"
  arm-none-eabi-gcc $CFLAGS -c "$SRC/$f" -o "$o"
  objs+=("$o")
done
total=$(arm-none-eabi-size "${objs[@]}" | awk 'NR>1 {t+=$1} END {print t}')
tcp=$(arm-none-eabi-size "$OUT"/tcp.o "$OUT"/tcp_in.o "$OUT"/tcp_out.o | awk 'NR>1 {t+=$1} END {print t}')
echo "{\"text_total\":$total,\"text_tcp\":$tcp}"
