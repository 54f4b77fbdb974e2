#!/usr/bin/env bash
# Cortex-M3 footprint of this MQTT client beside lwIP 2.1.3's apps/mqtt/mqtt.c, both compiled with
# the mps2-an385 flags (arm-none-eabi-gcc -Os -mcpu=cortex-m3 -mthumb -ffunction-sections
# -fdata-sections). Code = text + data of the objects (arm-none-eabi-size); RAM = the client
# struct (each library keeps its whole state in it; neither has other static data), measured as a
# zero global of the struct (its bss, arm-none-eabi-size). lwIP sources: Debian's source package
# (bench/lwip/source.sh), lwipopts.h of bench/lwip/m3. Prints one line per build.
set -euo pipefail
cd "$(dirname "$0")"
OUT=build/m3
mkdir -p "$OUT"
CFLAGS="-Os -mcpu=cortex-m3 -mthumb -ffunction-sections -fdata-sections -std=c11 -I. -I../.."
LWIP=$(../../../../bench/lwip/source.sh)
probe() {   # $1 out, $2 include, $3 type, $4 extra flags
  printf '#include %s\n%s size_probe;\n' "$2" "$3" > "$OUT/probe_$1.c"
  arm-none-eabi-gcc $CFLAGS $4 -c "$OUT/probe_$1.c" -o "$OUT/probe_$1.o"
  arm-none-eabi-size "$OUT/probe_$1.o" | awk 'NR>1 {print $3}'      # the probe's bss is the struct
}
ours() {    # $1 name, $2 flags
  arm-none-eabi-gcc $CFLAGS $2 -c mqtt_client.c -o "$OUT/client_$1.o"
  arm-none-eabi-gcc $CFLAGS $2 -c mqtt_codec.c -o "$OUT/codec_$1.o"
  local code ram
  code=$(arm-none-eabi-size "$OUT/client_$1.o" "$OUT/codec_$1.o" | awk 'NR>1 {t+=$1+$2} END {print t}')
  ram=$(probe "$1" '"mqtt_client.h"' 'struct mqtt_client' "$2")
  echo "asnet mqtt ($1: ${2:-defaults}): code $code bytes, RAM $ram bytes (struct mqtt_client)"
}
ours default ""
ours lwip-sized "-DMQTT_TX_RING=256 -DMQTT_RX_BUF=128 -DMQTT_RX_CHUNK=128 -DMQTT_MAX_TOPIC=48 -DMQTT_INFLIGHT=4"
LF="-I../../../../bench/lwip/m3 -I$LWIP/include -w"
arm-none-eabi-gcc $CFLAGS $LF -c "$LWIP/apps/mqtt/mqtt.c" -o "$OUT/lwip_mqtt.o"
code=$(arm-none-eabi-size "$OUT/lwip_mqtt.o" | awk 'NR>1 {t+=$1+$2} END {print t}')
ram=$(probe lwip '"lwip/apps/mqtt_priv.h"' 'mqtt_client_t' "$LF")
echo "lwIP 2.1.3 apps/mqtt/mqtt.c (mqtt_opts.h defaults): code $code bytes, RAM $ram bytes (mqtt_client_t)"
arm-none-eabi-gcc $CFLAGS -c mqtt_strerror.c -o "$OUT/strerror.o"
echo "asnet mqtt_strerror.c (optional error names): $(arm-none-eabi-size "$OUT/strerror.o" | awk 'NR>1 {print $1+$2}') bytes"
