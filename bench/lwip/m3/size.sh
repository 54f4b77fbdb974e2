#!/usr/bin/env bash
# Code size of lwIP 2.1.3's TCP + IPv4 (+ ARP, ICMP, UDP, pbuf/mem/netif/timeouts core) compiled
# for Cortex-M3 with the flags the mps2-an385 board uses for this stack (-Os -mthumb
# -mcpu=cortex-m3 -ffunction-sections -fdata-sections). Sources: Debian's lwip source package
# (bench/lwip/source.sh). Prints JSON.
set -euo pipefail
cd "$(dirname "$0")"
OUT=../build/m3
mkdir -p "$OUT"
SRC=$(../source.sh 2>/dev/null) || { echo '{"error":"apt-get source lwip failed (bench/lwip/source.sh)"}'; exit 0; }

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
