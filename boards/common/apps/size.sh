#!/usr/bin/env bash
# Cortex-M3 footprint of one app (sntp or mdns) beside lwIP 2.1.3's apps/<app>/<app>.c, all compiled
# with the mps2-an385 flags (arm-none-eabi-gcc -Os -mcpu=cortex-m3 -mthumb -ffunction-sections
# -fdata-sections), objects only (no link, so nothing is garbage-collected away: every function
# counts). Code = text + data (arm-none-eabi-size); static RAM = data + bss. lwIP allocates more at
# run time: its RAM line adds what it takes from its pools/heap (measured as sizeof of the struct
# it allocates, through a probe object). lwIP sources: Debian's package (bench/lwip/source.sh),
# lwipopts.h of bench/lwip/m3 plus the options each app needs (below).
#   bash boards/common/apps/size.sh sntp|mdns
set -euo pipefail
cd "$(dirname "$0")"
APP=${1:?usage: size.sh sntp|mdns}
OUT=build/m3
mkdir -p "$OUT"
CFLAGS="-Os -mcpu=cortex-m3 -mthumb -ffunction-sections -fdata-sections -std=c11 -I.. -I$APP -I/usr/src/wasm2c"
LWIP=$(../../../bench/lwip/source.sh)
# bench/lwip/m3's lwipopts.h has DHCP and IGMP off: a wrapper turns on what the apps need.
mkdir -p "$OUT/opts"
cat > "$OUT/opts/lwipopts.h" <<OPTS
#include "$(cd ../../../bench/lwip/m3 && pwd)/lwipopts.h"
#undef LWIP_DHCP
#define LWIP_DHCP 1
#undef LWIP_IGMP
#define LWIP_IGMP 1
#define LWIP_NUM_NETIF_CLIENT_DATA 1
OPTS
LF="-Os -mcpu=cortex-m3 -mthumb -ffunction-sections -fdata-sections -I$OUT/opts -I../../../bench/lwip/m3 -I$LWIP/include -w"
sz() { arm-none-eabi-size "$@" | awk 'NR>1 {c+=$1+$2; r+=$2+$3} END {print c, r}'; }
probe() {   # $1 name, $2 C text defining 'probe' in section .probe, $3 flags: prints the section size
  printf '%s\n' "$2" > "$OUT/probe_$1.c"
  arm-none-eabi-gcc $3 -c "$OUT/probe_$1.c" -o "$OUT/probe_$1.o"
  arm-none-eabi-size -A "$OUT/probe_$1.o" | awk '$1 == ".probe" {print $2}'
}
if [ "$APP" = sntp ]; then
  arm-none-eabi-gcc $CFLAGS -c sntp/sntp.c -o "$OUT/sntp.o"
  arm-none-eabi-gcc $CFLAGS -c sntp/sntp_wire.c -o "$OUT/sntp_wire.o"
  read -r code ram < <(sz "$OUT/sntp.o" "$OUT/sntp_wire.o")
  echo "asnet sntp (sntp.c + sntp_wire.c): code $code bytes, static RAM $ram bytes (the UDP socket lives in the stack's pools)"
  pcb=$(probe lwip_udp '#include "lwip/udp.h"
__attribute__((section(".probe"))) char probe[sizeof(struct udp_pcb)];' "$LF")
  for check in 0 2; do   # SNTP_CHECK_RESPONSE: 0 = lwIP's default (no origin check), 2 = origin checked (as ours)
    O="-DSNTP_SERVER_DNS=0 -DSNTP_GET_SERVERS_FROM_DHCP=1 -DLWIP_DHCP_GET_NTP_SRV=1 -DSNTP_CHECK_RESPONSE=$check -DSNTP_COMP_ROUNDTRIP=$((check > 0))"
    arm-none-eabi-gcc $LF $O -c "$LWIP/apps/sntp/sntp.c" -o "$OUT/lwip_sntp.o"
    read -r code ram < <(sz "$OUT/lwip_sntp.o")
    echo "lwIP 2.1.3 apps/sntp/sntp.c (SNTP_CHECK_RESPONSE=$check, SNTP_COMP_ROUNDTRIP=$((check > 0)), servers from DHCP, no DNS): code $code bytes, static RAM $ram bytes + one udp_pcb ($pcb bytes) from MEMP_UDP_PCB"
  done
else
  arm-none-eabi-gcc $CFLAGS -DSTACK_RT_MCAST -c mdns/mdns.c -o "$OUT/mdns.o"
  arm-none-eabi-gcc $CFLAGS -c mdns/mdns_wire.c -o "$OUT/mdns_wire.o"
  read -r code ram < <(sz "$OUT/mdns.o" "$OUT/mdns_wire.o")
  echo "asnet mdns (mdns.c + mdns_wire.c, 4 services max): code $code bytes, static RAM $ram bytes (of which 1,472 rx + 1,024 tx buffers)"
  O="-DLWIP_MDNS_RESPONDER=1 -DMDNS_MAX_SERVICES=4"
  arm-none-eabi-gcc $LF $O -c "$LWIP/apps/mdns/mdns.c" -o "$OUT/lwip_mdns.o"
  read -r code ram < <(sz "$OUT/lwip_mdns.o")
  host=$(probe lwip_mdns "#include \"$LWIP/apps/mdns/mdns.c\"
__attribute__((section(\".probe\"))) char probe[sizeof(struct mdns_host)];" "$LF $O")
  echo "lwIP 2.1.3 apps/mdns/mdns.c (MDNS_MAX_SERVICES=4, IPv4 only): code $code bytes, static RAM $ram bytes + struct mdns_host ($host bytes, mem_malloc per netif) + an outgoing pbuf per reply from the pool"
fi
