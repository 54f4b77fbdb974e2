#!/usr/bin/env bash
# Code and static RAM of the sockets layer on Cortex-M3 and RV32 beside lwIP 2.1.3's sockets layer
# (api/sockets.c + api_lib.c + api_msg.c + tcpip.c, and api/netdb.c for getaddrinfo), both compiled
# the same way: -Os -ffunction-sections -fdata-sections, arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb /
# riscv64-unknown-elf-gcc -march=rv32imac_zicsr -mabi=ilp32 (Debian newlib headers), newlib headers; size(1) of the objects
# (text = code + constants, data + bss = static RAM). Neither OS port is in the first figures (lwIP's
# sys_arch.c, our osal/): osal_freertos.c is not measured here (no FreeRTOS port headers for these
# cores on this machine); osal_pthread.c is not what an MCU runs. lwIP comes from Debian's source
# package (bench/lwip/source.sh), options in size/lwipopts.h. Prints one JSON line per target.
#   boards/common/sockets/size.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
LWIP=$("$ROOT/bench/lwip/source.sh")
OUT=${OUT:-$(mktemp -d /tmp/sock-size.XXXXXX)}
COMMON_FLAGS="-Os -ffunction-sections -fdata-sections -std=gnu17"
OURS=(sock_core.c sock_api.c sock_stream.c sock_dgram.c sock_opt.c sock_poll.c sock_names.c)
LWIP_API=(api/sockets.c api/api_lib.c api/api_msg.c api/tcpip.c)

measure() { # $1 = name, $2 = size tool, rest: objects -> "text data bss"
  local tool=$2; shift 2
  "$tool" "$@" | awk 'NR>1 { t += $1; d += $2; b += $3 } END { printf "%d %d %d", t, d, b }'
}

for target in cortex-m3 rv32imac; do
  case $target in
    cortex-m3) CC=arm-none-eabi-gcc; SIZE=arm-none-eabi-size; ARCH="-mcpu=cortex-m3 -mthumb" ;;
    rv32imac) CC=riscv64-unknown-elf-gcc; SIZE=riscv64-unknown-elf-size; ARCH="-march=rv32imac_zicsr -mabi=ilp32 -isystem /usr/include/newlib" ;;
  esac
  d=$OUT/$target; mkdir -p "$d/ours" "$d/lwip"
  ours=()
  for f in "${OURS[@]}"; do
    $CC $COMMON_FLAGS $ARCH -Wall -Wextra -I"$ROOT/boards/common" -c "$HERE/$f" -o "$d/ours/${f%.c}.o"
    ours+=("$d/ours/${f%.c}.o")
  done
  lw=()
  for f in "${LWIP_API[@]}" api/netdb.c; do
    $CC $COMMON_FLAGS $ARCH -w -I"$HERE/size" -I"$LWIP/include" -c "$LWIP/$f" -o "$d/lwip/$(basename "${f%.c}").o"
    lw+=("$d/lwip/$(basename "${f%.c}").o")
  done
  read -r ot od ob <<< "$(measure ours "$SIZE" "${ours[@]}")"
  read -r lt ld lb <<< "$(measure lwip "$SIZE" "${lw[@]:0:4}")"
  read -r nt nd nb <<< "$(measure netdb "$SIZE" "${lw[4]}")"
  # Per-object RAM that is not in the objects: lwIP's memp pools (netconn, API messages, tcpip messages,
  # select callbacks, netbufs; counts from size/lwipopts.h and lwIP's defaults) and our message (on the
  # calling task's stack, one per call in progress). sizeof() read as symbol sizes, nothing is run.
  cat > "$d/sizes.c" <<'EOC'
#include "lwip/opt.h"
#include "lwip/api.h"
#include "lwip/priv/api_msg.h"
#include "lwip/priv/tcpip_priv.h"
#include "lwip/priv/sockets_priv.h"
const char lwip_pools[MEMP_NUM_NETCONN * sizeof(struct netconn) + MEMP_NUM_API_MSG * sizeof(struct api_msg)
    + MEMP_NUM_TCPIP_MSG_API * sizeof(struct tcpip_msg) + MEMP_NUM_SELECT_CB * sizeof(struct lwip_select_cb)
    + MEMP_NUM_NETBUF * sizeof(struct netbuf)];
EOC
  cat > "$d/ours_sizes.c" <<'EOC'
#include "sockets/sock_internal.h"
const char asnet_msg[sizeof(struct sock_msg)];
const char asnet_sock[sizeof(struct sock)];
EOC
  $CC $COMMON_FLAGS $ARCH -w -I"$HERE/size" -I"$LWIP/include" -c "$d/sizes.c" -o "$d/sizes.o"
  $CC $COMMON_FLAGS $ARCH -w -I"$ROOT/boards/common" -c "$d/ours_sizes.c" -o "$d/ours_sizes.o"
  sym() { "${SIZE%size}nm" -S "$1" | awk -v n="$2" '$4 == n { print $2 }' | { read -r h; echo $((16#$h)); }; }
  pools=$(sym "$d/sizes.o" lwip_pools); msg=$(sym "$d/ours_sizes.o" asnet_msg); sk=$(sym "$d/ours_sizes.o" asnet_sock)
  echo "{\"target\":\"$target\",\"lwip_memp_pools\":$pools,\"asnet_sock_bytes\":$sk,\"asnet_msg_on_caller_stack\":$msg,\"asnet_sockets\":{\"text\":$ot,\"data\":$od,\"bss\":$ob},\"lwip_sockets_api_msg_tcpip\":{\"text\":$lt,\"data\":$ld,\"bss\":$lb},\"lwip_netdb\":{\"text\":$nt,\"data\":$nd,\"bss\":$nb}}"
done
