#!/usr/bin/env bash
# Internal DRAM budget of the ESP32 firmware, COMPUTED (not measured on hardware) from:
#   - ESP-IDF's heap layout for the ESP32 (components/heap/port/esp32/memory_layout.c: the DRAM and
#     D/IRAM regions between 0x3FFAE000 and 0x40000000, minus the fixed ROM reservations there) and
#     the static-data segment of components/esp_system/ld/esp32/memory.ld.in (dram0_0_seg length);
#   - the sdkconfig kconfgen produced for a preset (task stacks, EMAC DMA buffers), as written by
#     check-idf.sh into OUT/<preset>-esp32/;
#   - the .data/.bss of our own objects compiled there (size(1) of the .o files);
#   - the linear memory of the module (memory section of the .wasm, wasm-objdump).
# What it cannot know without linking and running: ESP-IDF's own .data/.bss and WAMR's module and
# instance structures; they are printed as the unknowns the remainder still has to cover.
# Usage: boards/esp32/dram-budget.sh IDF_PATH CHECK_DIR [module.wasm]
#   CHECK_DIR = the OUT/<preset>-esp32 folder of a check-idf.sh run (sdkconfig + .o files)
set -euo pipefail
IDF=${1:?usage: dram-budget.sh IDF_PATH CHECK_DIR [module.wasm]}
DIR=${2:?usage: dram-budget.sh IDF_PATH CHECK_DIR [module.wasm]}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WASM=${3:-$ROOT/build/stack.wasm}
LAYOUT=$IDF/components/heap/port/esp32/memory_layout.c
LD=$IDF/components/esp_system/ld/esp32/memory.ld.in
CFG=$DIR/sdkconfig
for f in "$LAYOUT" "$LD" "$CFG" "$WASM"; do [ -f "$f" ] || { echo "dram-budget: $f missing" >&2; exit 2; }; done

cfg() { sed -n "s/^CONFIG_$1=//p" "$CFG"; }
on() { grep -qx "CONFIG_$1=y" "$CFG"; }

# Heap regions of type DRAM / DIRAM in the data address range (one table line per region).
regions=$(grep -oE '\{ *0x3FF[0-9A-Fa-f]+, *0x[0-9A-Fa-f]+, *SOC_MEMORY_TYPE_(DRAM|DIRAM)' "$LAYOUT" |
  sed -E 's/\{ *(0x[0-9A-Fa-f]+), *(0x[0-9A-Fa-f]+).*/\1 \2/')
dram_total=0
while read -r start len; do dram_total=$((dram_total + len)); done <<< "$regions"
# Fixed ROM reservations (addresses, not symbols); the APP CPU's only without FREERTOS_UNICORE.
reserve() { local a b; read -r a b < <(grep -oE "SOC_RESERVE_MEMORY_REGION\(0x[0-9a-fA-F]+, *0x[0-9a-fA-F]+, *$1\)" "$LAYOUT" |
  sed -E 's/.*\((0x[0-9a-fA-F]+), *(0x[0-9a-fA-F]+).*/\1 \2/'); echo $((b - a)); }
rom=$(( $(reserve rom_pro_data) + $(reserve rom_data) ))
on FREERTOS_UNICORE || rom=$((rom + $(reserve rom_app_data)))
trace=0
if on ESP32_MEMMAP_TRACEMEM; then trace=16384; on ESP32_MEMMAP_TRACEMEM_TWOBANKS && trace=32768; fi
static_cap=$(( $(grep -oE '#define DRAM0_0_SEG_LEN 0x[0-9a-fA-F]+' "$LD" | awk '{print $3}') ))
bt=$(cfg BTDM_RESERVE_DRAM); bt=$(( ${bt:-0} ))

# Our own static data, from the compiled objects (the firmware's files only: main/ and the runtime).
runtime=runtime_wamr.c.o; on ASNET_RUNTIME_WASM2C && runtime="runtime_wasm2c.c.o wasm_rt_static.c.o"
objs=""
for o in app_main.c.o eth_shim.c.o wifi_shim.c.o frame_queue.c.o services.c.o console_view.c.o ip_config.c.o stack_natives.c.o $runtime; do
  [ -f "$DIR/$o" ] || { echo "dram-budget: $DIR/$o missing (run check-idf.sh first)" >&2; exit 2; }
  objs="$objs $DIR/$o"
done
ours=$(size $objs 2>/dev/null | awk 'NR > 1 { s += $2 + $3 } END { print s + 0 }')
command -v xtensa-lx106-elf-size >/dev/null && ours=$(xtensa-lx106-elf-size $objs | awk 'NR > 1 { s += $2 + $3 } END { print s + 0 }')

pages=$(wasm-objdump -x -j Memory "$WASM" | sed -nE 's/.*pages: initial=([0-9]+).*/\1/p')
linear=$((pages * 65536))
psram=0; on SPIRAM && psram=1
on ASNET_RUNTIME_WASM2C && linear_where="in our .bss (wasm_rt_static.c)" || linear_where="WAMR os_mmap"

dma=0
if on ASNET_MAC_EMAC; then dma=$(( ($(cfg ETH_DMA_RX_BUFFER_NUM) + $(cfg ETH_DMA_TX_BUFFER_NUM)) * $(cfg ETH_DMA_BUFFER_SIZE) )); fi
eth_rx_task=0; { on ASNET_MAC_EMAC || on ASNET_MAC_W5500; } && eth_rx_task=4096 # ETH_MAC_DEFAULT_CONFIG rx_task_stack_size
cores=2; on FREERTOS_UNICORE && cores=1
tasks=$(( cores * $(cfg FREERTOS_IDLE_TASK_STACKSIZE) + cores * $(cfg ESP_IPC_TASK_STACK_SIZE) + $(cfg ESP_TIMER_TASK_STACK_SIZE) + $(cfg ESP_SYSTEM_EVENT_TASK_STACK_SIZE) ))
runtime_task=10240 # app_main.c RUNTIME_TASK_STACK
wamr_stack=0; on ASNET_RUNTIME_WASM2C || wamr_stack=8192 # runtime_wamr.c WASM_STACK_BYTES (exec env)

row() { printf '| %-72s | %9s |\n' "$1" "$2"; }
heap_dram=$((dram_total - rom - trace - bt))
echo "ESP32 internal DRAM budget (computed from ESP-IDF $(basename "$IDF") and $(basename "$DIR"); not measured on hardware)"
echo
row "item" "bytes"; row "---" "---:"
row "DRAM + D/IRAM heap regions 0x3FFAE000-0x40000000 (memory_layout.c)" "$dram_total"
row "- ROM data reservations (rom_pro_data, rom_data$(on FREERTOS_UNICORE || echo ', rom_app_data'))" "-$rom"
[ "$trace" = 0 ] || row "- trace memory" "-$trace"
[ "$bt" = 0 ] || row "- Bluetooth reserve" "-$bt"
row "= internal DRAM for static data + heap" "$heap_dram"
row "- our .data/.bss (firmware objects, size(1))" "-$ours"
if [ "$psram" = 1 ] && [ "$pages" -ge 3 ] && ! on ASNET_RUNTIME_WASM2C; then
  row "  linear memory: $pages page(s); no internal block that large: os_mmap's MALLOC_CAP_8BIT -> PSRAM" "0"
  linear_internal=0
elif on ASNET_RUNTIME_WASM2C; then
  row "  linear memory: $pages page(s), counted in our .bss above" "0"
  linear_internal=0
else
  row "- linear memory: $pages page(s) x 65,536 ($linear_where)" "-$linear"
  linear_internal=$linear
fi
[ "$wamr_stack" = 0 ] || row "- WAMR exec env stack (runtime_wamr.c)" "-$wamr_stack"
row "- runtime task stack (app_main.c)" "-$runtime_task"
[ "$dma" = 0 ] || row "- EMAC DMA buffers ($(cfg ETH_DMA_RX_BUFFER_NUM) RX + $(cfg ETH_DMA_TX_BUFFER_NUM) TX x $(cfg ETH_DMA_BUFFER_SIZE))" "-$dma"
[ "$eth_rx_task" = 0 ] || row "- esp_eth RX task stack" "-$eth_rx_task"
row "- system task stacks ($cores idle, $cores IPC, esp_timer, event loop)" "-$tasks"
left=$((heap_dram - ours - linear_internal - wamr_stack - runtime_task - dma - eth_rx_task - tasks))
row "= left before ESP-IDF's own .data/.bss and WAMR's module + instance" "$left"
row "  of which may go to those two and still leave 150 KB (150,000 B)" "$((left - 150000))"
echo
echo "static data cap: dram0_0_seg is $static_cap bytes (memory.ld.in)"
on ASNET_MAC_WIFI_STA && echo "Wi-Fi: the Wi-Fi driver's static and dynamic buffers are not counted here"
exit 0
