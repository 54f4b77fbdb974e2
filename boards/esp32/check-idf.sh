#!/usr/bin/env bash
# Compile every C file of boards/esp32 and boards/common against a real ESP-IDF tree, once per
# Kconfig preset and target, without idf.py (which cannot be installed here):
#   1. kconfgen (esp-idf-kconfig) turns IDF's Kconfig tree + the WAMR component's Kconfig +
#      main/Kconfig.projbuild, sdkconfig.defaults and presets/<preset>.defaults into sdkconfig.h,
#      exactly as tools/cmake/kconfig.cmake drives it (same environment variables);
#   2. the preset must have been honoured: every CONFIG_ASNET_*=y it asks for is in the result,
#      exactly one MAC is selected, an EMAC board has exactly one PHY, and the MAC exists on the chip;
#   3. each C file is compiled (-c, -Wall -Wextra -Werror on our code, IDF headers as system headers)
#      with the IDF include directories by a Debian cross compiler: esp32c3 with
#      riscv64-unknown-elf-gcc -march=rv32imc_zicsr_zifencei -mabi=ilp32, esp32 (a header check:
#      the LX6 core has no Debian compiler) with xtensa-lx106-elf-gcc -mlongcalls; the C library
#      headers the configuration selects: newlib (Debian's libnewlib-dev) on 5.x, picolibc (Debian's
#      picolibc-riscv64-unknown-elf / picolibc-xtensa-lx106-elf) where CONFIG_LIBC_PICOLIBC=y (6.x).
# Usage: boards/esp32/check-idf.sh IDF_PATH
# Environment (defaults in parentheses):
#   KCONFIG_DIR  esp-idf-kconfig source tree with kconfgen/ (/work/ext/esp-idf-kconfig)
#   WAMR_DIR     wasm-micro-runtime source tree (/work/ext/wamr-WAMR-2.4.0)
#   ETH_DRIVERS  a folder with the lan87xx, ip101 and w5500 components of espressif/esp-eth-drivers at
#                the versions main/idf_component.yml resolves to (lan87xx@v1.1.0, ip101@v1.1.0,
#                w5500@v1.0.1: `git archive TAG -- NAME`), needed for IDF >= 6 (/work/ext/eth-drivers-pinned)
#   WASM2C_INC   folder with wasm-rt.h (/usr/src/wasm2c)
#   PYTHON       a python3 with rich and pyparsing (/usr/bin/python3: Debian python3-rich, python3-pyparsing)
#   OUT          work folder (a fresh mktemp -d)
#   ONLY         "preset:target" to run one combination
# Prints one line per (preset, target, file) and a summary "N passed, N failed"; exits 1 on any failure.
set -uo pipefail

IDF=${1:?usage: check-idf.sh IDF_PATH}
IDF=$(cd "$IDF" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
KCONFIG_DIR=${KCONFIG_DIR:-/work/ext/esp-idf-kconfig}
WAMR_DIR=${WAMR_DIR:-/work/ext/wamr-WAMR-2.4.0}
ETH_DRIVERS=${ETH_DRIVERS:-/work/ext/eth-drivers-pinned}
WASM2C_INC=${WASM2C_INC:-/usr/src/wasm2c}
PYTHON=${PYTHON:-/usr/bin/python3}
OUT=${OUT:-$(mktemp -d /tmp/check-idf.XXXXXX)}
ONLY=${ONLY:-}

die() { echo "check-idf: $*" >&2; exit 2; }
[ -f "$IDF/components/esp_common/include/esp_idf_version.h" ] || die "$IDF is not an ESP-IDF tree"
[ -d "$KCONFIG_DIR/kconfgen" ] || die "no kconfgen in $KCONFIG_DIR (fetch espressif/esp-idf-kconfig)"
[ -f "$WAMR_DIR/core/iwasm/include/wasm_export.h" ] || die "no WAMR headers in $WAMR_DIR"
[ -f "$WASM2C_INC/wasm-rt.h" ] || die "no wasm-rt.h in $WASM2C_INC (apt-get install wabt)"
for cc in riscv64-unknown-elf-gcc xtensa-lx106-elf-gcc; do
  command -v $cc >/dev/null || die "$cc missing (apt-get install gcc-riscv64-unknown-elf gcc-xtensa-lx106)"
done
[ -f /usr/include/newlib/sys/reent.h ] || die "newlib headers missing (apt-get install libnewlib-dev)"
[ -f "$ROOT/build/stack.wasm" ] || die "build/stack.wasm missing: npm run build"

ver_h=$IDF/components/esp_common/include/esp_idf_version.h
ver_part() { sed -n "s/^#define ESP_IDF_VERSION_$1 *\([0-9]*\).*/\1/p" "$ver_h"; }
IDF_MAJOR=$(ver_part MAJOR); IDF_MINOR=$(ver_part MINOR); IDF_PATCH=$(ver_part PATCH)
IDF_VERSION="$IDF_MAJOR.$IDF_MINOR.$IDF_PATCH"
if [ "$IDF_MAJOR" -ge 6 ]; then
  for d in lan87xx ip101 w5500; do
    [ -d "$ETH_DRIVERS/$d/include" ] || die "IDF $IDF_VERSION needs esp-eth-drivers/$d (ETH_DRIVERS=$ETH_DRIVERS)"
  done
fi
[ "$IDF_MAJOR" -ge 6 ] && echo "check-idf: driver components: $(for d in lan87xx ip101 w5500; do printf '%s %s  ' "$d" "$(sed -n 's/^version: *//p' "$ETH_DRIVERS/$d/idf_component.yml")"; done)"
echo "check-idf: ESP-IDF $IDF_VERSION at $IDF, kconfgen $(sed -n 's/__version__ = "\(.*\)"/\1/p' "$KCONFIG_DIR/esp_idf_kconfig/__init__.py"), WAMR $(sed -n 's/^#define WAMR_VERSION_[A-Z]* \([0-9]*\)/\1/p' "$WAMR_DIR/core/version.h" | paste -sd.) headers, work folder $OUT"

# Presets and the targets each is checked on.
PRESETS=(
  "wt32-eth01:esp32"
  "olimex-esp32-poe:esp32"
  "esp32-ethernet-kit:esp32"
  "custom-emac:esp32"
  "w5500:esp32c3"
  "w5500:esp32"
  "wifi-sta:esp32c3"
  "wifi-sta:esp32"
  "wt32-eth01+wasm2c:esp32"
  "w5500+wasm2c:esp32c3"
  "wt32-eth01+sockets:esp32"
  "w5500+sockets:esp32c3"
)

# Every C file the firmware can build (main/CMakeLists.txt SRCS with either runtime) and the rest of
# boards/common, host harnesses included: all of them, found with find(1), so a new file is never
# left out.
mapfile -t C_FILES < <(cd "$ROOT" && find boards/esp32 boards/common -name '*.c' | sort)

join_semicolon() { local IFS=';'; echo "$*"; }

# The component Kconfig lists, as IDF's build gathers them from every component it builds.
kconfig_env() { # $1 = target, $2 = folder
  local target=$1 dir=$2 kconfigs=() projbuilds=() renames=()
  mapfile -t kconfigs < <(ls "$IDF"/components/*/Kconfig 2>/dev/null | sort)
  kconfigs+=("$WAMR_DIR/build-scripts/esp-idf/wamr/Kconfig")
  if [ "$IDF_MAJOR" -ge 6 ]; then
    for d in lan87xx ip101 w5500 wiznet_common; do
      [ -f "$ETH_DRIVERS/$d/Kconfig" ] && kconfigs+=("$ETH_DRIVERS/$d/Kconfig")
    done
  fi
  mapfile -t projbuilds < <(ls "$IDF"/components/*/Kconfig.projbuild 2>/dev/null | sort)
  projbuilds+=("$HERE/main/Kconfig.projbuild")
  mapfile -t renames < <(ls "$IDF"/components/*/sdkconfig.rename "$IDF"/components/*/sdkconfig.rename."$target" 2>/dev/null | sort)
  : > "$dir/kconfigs.in"; : > "$dir/kconfigs_projbuild.in"
  for k in "${kconfigs[@]}"; do echo "source \"$k\"" >> "$dir/kconfigs.in"; done
  for k in "${projbuilds[@]}"; do echo "source \"$k\"" >> "$dir/kconfigs_projbuild.in"; done
  cat > "$dir/config.env" <<EOF
{
  "COMPONENT_KCONFIGS": "$(join_semicolon "${kconfigs[@]}")",
  "COMPONENT_KCONFIGS_PROJBUILD": "$(join_semicolon "${projbuilds[@]}")",
  "COMPONENT_SDKCONFIG_RENAMES": "$(join_semicolon "${renames[@]}")",
  "IDF_TARGET": "$target",
  "IDF_TOOLCHAIN": "gcc",
  "IDF_VERSION": "$IDF_VERSION",
  "IDF_INIT_VERSION": "$IDF_VERSION",
  "IDF_ENV_FPGA": "",
  "IDF_PATH": "$IDF",
  "COMPONENT_KCONFIGS_SOURCE_FILE": "$dir/kconfigs.in",
  "COMPONENT_KCONFIGS_PROJBUILD_SOURCE_FILE": "$dir/kconfigs_projbuild.in",
  "KCONFIG_PROMPTLESS_NO_WARN": "IDF_TARGET"
}
EOF
}

run_kconfgen() { # $1 = target, $2 = folder, $3.. = presets
  local target=$1 dir=$2; shift 2
  local defaults=(--defaults "$HERE/sdkconfig.defaults")
  for p in "$@"; do defaults+=(--defaults "$HERE/presets/$p.defaults"); done
  kconfig_env "$target" "$dir"
  (cd "$dir" && PYTHONPATH="$KCONFIG_DIR" IDF_TARGET=$target "$PYTHON" -m kconfgen \
    --list-separator=semicolon --kconfig "$IDF/Kconfig" --sdkconfig-rename "$IDF/sdkconfig.rename" \
    --config "$dir/sdkconfig" "${defaults[@]}" --env "IDF_MINIMAL_BUILD=n" --env-file "$dir/config.env" \
    --output header "$dir/sdkconfig.h" --output config "$dir/sdkconfig") > "$dir/kconfgen.log" 2>&1
}

# Step 2: the preset's own requests are in the result, and the MAC choice is sound.
check_preset() { # $1 = folder, $2 = target, $3.. = presets; prints the reason on failure
  local dir=$1 target=$2; shift 2
  local cfg=$dir/sdkconfig
  # Every y/n request of sdkconfig.defaults and the presets (later files win) that names a symbol
  # of this IDF/target must be in the result; ASNET ones must exist.
  local requests
  requests=$({ grep -hE '^CONFIG_[A-Z0-9_]+=[yn]$' "$HERE/sdkconfig.defaults"
    for p in "$@"; do grep -hE '^CONFIG_[A-Z0-9_]+=[yn]$' "$HERE/presets/$p.defaults"; done; } |
    awk -F= '{ v[$1] = $2; if (!($1 in o)) { o[$1] = n++; k[n - 1] = $1 } } END { for (i = 0; i < n; i++) print k[i] "=" v[k[i]] }')
  while IFS='=' read -r sym val; do
    if grep -qE "^$sym=|^# $sym is not set$" "$cfg"; then
      if [ "$val" = y ]; then grep -qx "$sym=y" "$cfg" || { echo "asks for $sym=y, kconfgen gave: $(grep -E "^$sym=|^# $sym " "$cfg")"; return 1; }
      else grep -qx "# $sym is not set" "$cfg" || { echo "asks for $sym=n, kconfgen gave: $(grep -E "^$sym=" "$cfg")"; return 1; }; fi
    elif [[ $sym == CONFIG_ASNET_* ]]; then
      echo "asks for $sym=$val, which is not visible here"; return 1
    fi
  done <<< "$requests"
  local macs; macs=$(grep -cE '^CONFIG_ASNET_MAC_(EMAC|W5500|WIFI_STA)=y$' "$cfg")
  [ "$macs" = 1 ] || { echo "$macs MACs selected"; return 1; }
  if grep -qx 'CONFIG_ASNET_MAC_EMAC=y' "$cfg"; then
    grep -qx 'CONFIG_SOC_EMAC_SUPPORTED=y' "$cfg" || { echo "EMAC selected on $target, which has none"; return 1; }
    local phys; phys=$(grep -cE '^CONFIG_ASNET_PHY_(LAN87XX|IP101)=y$' "$cfg")
    [ "$phys" = 1 ] || { echo "EMAC board with $phys PHY chips selected"; return 1; }
  fi
  if grep -qx 'CONFIG_ASNET_MAC_WIFI_STA=y' "$cfg"; then
    grep -qx 'CONFIG_SOC_WIFI_SUPPORTED=y' "$cfg" || { echo "Wi-Fi selected on $target, which has none"; return 1; }
  fi
  return 0
}

# Step 3: include directories of the components the firmware uses, plus what their headers pull in.
include_dirs() { # $1 = target, $2 = arch (xtensa|riscv)
  local t=$1 arch=$2 c=$IDF/components d
  local dirs=(
    "$c/newlib/platform_include" "$c/esp_libc/platform_include"
    "$c/freertos/config/include" "$c/freertos/config/include/freertos" "$c/freertos/config/$arch/include"
    "$c/freertos/FreeRTOS-Kernel/include" "$c/freertos/FreeRTOS-Kernel/include/freertos"
    "$c/freertos/FreeRTOS-Kernel/portable/$arch/include" "$c/freertos/FreeRTOS-Kernel/portable/$arch/include/freertos"
    "$c/freertos/esp_additions/include" "$c/freertos/esp_additions/include/freertos"
    "$c/freertos/esp_additions/arch/$arch/include"
    "$c/esp_hw_support/include" "$c/esp_hw_support/include/soc" "$c/esp_hw_support/include/soc/$t"
    "$c/esp_hw_support/port/$t/include" "$c/esp_hw_support/port/$t/private_include" "$c/esp_hw_support/port/$t"
    "$c/esp_hw_support/dma/include" "$c/esp_hw_support/ldo/include" "$c/esp_hw_support/debug_probe/include"
    "$c/esp_hw_support/mspi_timing_tuning/include" "$c/esp_hw_support/etm/include" "$c/esp_hw_support/power_supply/include"
    "$c/heap/include" "$c/heap/tlsf" "$c/log/include" "$c/log/include/esp_private"
    "$c/soc/include" "$c/soc/$t" "$c/soc/$t/include" "$c/soc/$t/register"
    "$c/hal/include" "$c/hal/platform_port/include" "$c/hal/$t/include"
    "$c/esp_rom/include" "$c/esp_rom/include/$t" "$c/esp_rom/$t" "$c/esp_rom/$t/include" "$c/esp_rom/$t/include/$t"
    "$c/esp_common/include" "$c/esp_system/include" "$c/esp_system/port/include" "$c/esp_system/port/public_compat"
    "$c/esp_timer/include" "$c/esp_event/include" "$c/esp_eth/include" "$c/esp_netif/include"
    "$c/esp_wifi/include" "$c/esp_wifi/include/local" "$c/esp_wifi/wifi_apps/include"
    "$c/esp_wifi/wifi_apps/nan_app/include" "$c/esp_phy/include" "$c/esp_phy/$t/include"
    "$c/esp_coex/include" "$c/nvs_flash/include" "$c/esp_partition/include" "$c/esp_blockdev/include" "$c/spi_flash/include"
    "$c/bootloader_support/include" "$c/bootloader_support/bootloader_flash/include"
    "$c/driver/include" "$c/driver/gpio/include" "$c/driver/spi/include"
    "$c/esp_driver_gpio/include" "$c/esp_driver_spi/include" "$c/esp_pm/include" "$c/esp_mm/include"
    "$c/esp_security/include" "$c/esp_app_format/include" "$c/esp_bootloader_format/include"
    "$c/lwip/include" "$c/lwip/port/include" "$c/lwip/port/freertos/include" "$c/lwip/port/esp32xx/include"
    "$c/esp_hal_gpio/include" "$c/esp_hal_gpio/$t/include" "$c/esp_hal_gpspi/include" "$c/esp_hal_gpspi/$t/include"
    "$c/esp_hal_emac/include" "$c/esp_hal_emac/$t/include" "$c/esp_hal_dma/include" "$c/esp_hal_dma/$t/include"
    "$c/esp_hal_mspi/include" "$c/esp_hal_mspi/$t/include" "$c/esp_hal_timg/include" "$c/esp_hal_timg/$t/include"
    "$c/esp_hal_clock/include" "$c/esp_hal_clock/$t/include" "$c/esp_hal_usb/include" "$c/esp_hal_security/include"
    "$c/esp_hal_wdt/include" "$c/esp_hal_wdt/$t/include" "$c/esp_hal_pmu/include" "$c/esp_hal_pmu/$t/include"
    "$c/esp_hal_ana_conv/include" "$c/esp_hal_ana_conv/$t/include"
    "$c/mbedtls/port/include" "$c/mbedtls/mbedtls/include" ${MBEDTLS_INCLUDE:+"$MBEDTLS_INCLUDE"} "$c/mbedtls/esp_crt_bundle/include"
  )
  if [ "$arch" = xtensa ]; then dirs+=("$c/xtensa/include" "$c/xtensa/$t/include" "$c/xtensa/deprecated_include")
  else dirs+=("$c/riscv/include" "$c/riscv/$t/include"); fi
  if [ "$IDF_MAJOR" -ge 6 ]; then
    for e in lan87xx ip101 w5500 wiznet_common; do dirs+=("$ETH_DRIVERS/$e/include"); done
  fi
  dirs+=("$WAMR_DIR/core/iwasm/include")
  for d in "${dirs[@]}"; do [ -d "$d" ] && printf -- '-isystem\n%s\n' "$d"; done
}

compiler_for() { # $1 = target -> compiler and its flags, one per line
  case $1 in
    esp32c3) printf '%s\n' riscv64-unknown-elf-gcc -march=rv32imc_zicsr_zifencei -mabi=ilp32 ;;
    esp32) printf '%s\n' xtensa-lx106-elf-gcc -mlongcalls ;;
    *) die "no compiler for $1" ;;
  esac
}

# Debian ships newlib 3.3; ESP-IDF's toolchains ship newlib 4.x, which declares _global_impure_ptr
# without `const` (as components/newlib/platform_include/sys/reent.h redeclares it) and has a
# machine/setjmp.h case for Xtensa. A two-header overlay in the work folder, searched before
# Debian's newlib, bridges exactly those two differences.
NEWLIB_OVERLAY=$OUT/newlib-overlay
mkdir -p "$NEWLIB_OVERLAY/sys" "$NEWLIB_OVERLAY/machine"
sed 's/^extern struct _reent \*const _global_impure_ptr/extern struct _reent *_global_impure_ptr/' \
  /usr/include/newlib/sys/reent.h > "$NEWLIB_OVERLAY/sys/reent.h"
grep -q '^extern struct _reent \*_global_impure_ptr' "$NEWLIB_OVERLAY/sys/reent.h" || die "newlib reent.h overlay failed"
cat > "$NEWLIB_OVERLAY/machine/setjmp.h" <<'EOF2'
/* check-idf.sh overlay: Xtensa jmp_buf (newlib 4.x); every other target uses Debian's newlib. */
#ifdef __XTENSA__
#define _JBLEN 96
#define _JBTYPE int
#endif
#include_next <machine/setjmp.h>
EOF2
# Debian ships picolibc 1.8; the newer picolibc of ESP-IDF 6.x's toolchains declares ssize_t in
# stdio.h, which components/esp_libc/platform_include/stdio.h relies on. One overlay header.
PICOLIBC_OVERLAY=$OUT/picolibc-overlay
mkdir -p "$PICOLIBC_OVERLAY"
cat > "$PICOLIBC_OVERLAY/stdio.h" <<'EOF2'
/* check-idf.sh overlay: ssize_t for stdio.h users, as newer picolibc provides it. */
#include <sys/types.h>
#include_next <stdio.h>
EOF2

passed=0 failed=0 unchecked=0 othertarget=0
declare -a FAILURES=() UNCHECKED=()
# mbedTLS is a git submodule of ESP-IDF (components/mbedtls/mbedtls); a tree unpacked without it
# cannot compile the files that include mbedTLS headers: they are listed as NOT CHECKED and counted.
# MBEDTLS_INCLUDE: the include/ folder of espressif/mbedtls at the commit the tree pins stands in for
# the missing submodule. Upstream Mbed-TLS headers do not fit: IDF's port headers use the fork's
# additions (v3.6.4 with IDF 5.5.5: port/include/mbedtls/gcm.h needs mbedtls_gcm_context_soft).
MBEDTLS_INCLUDE=${MBEDTLS_INCLUDE:-}
HAVE_MBEDTLS=0
[ -f "$IDF/components/mbedtls/mbedtls/include/mbedtls/ssl.h" ] && HAVE_MBEDTLS=1
[ -n "$MBEDTLS_INCLUDE" ] && [ -f "$MBEDTLS_INCLUDE/mbedtls/ssl.h" ] && HAVE_MBEDTLS=1
[ -n "$MBEDTLS_INCLUDE" ] && echo "check-idf: mbedTLS headers from $MBEDTLS_INCLUDE ($(sed -n 's/^#define MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' "$MBEDTLS_INCLUDE/mbedtls/build_info.h" 2>/dev/null))"
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); FAILURES+=("$*"); echo "FAIL $*"; }

for entry in "${PRESETS[@]}"; do
  [ -n "$ONLY" ] && [ "$ONLY" != "$entry" ] && continue
  presets=${entry%%:*}; target=${entry##*:}
  IFS=+ read -r -a preset_list <<< "$presets"
  dir=$OUT/$presets-$target
  mkdir -p "$dir"
  if ! run_kconfgen "$target" "$dir" "${preset_list[@]}"; then
    fail "$presets $target kconfgen: $(tail -5 "$dir/kconfgen.log" | tr '\n' ' ')"; continue
  fi
  if grep -qiE '^(error|warning).*ASNET' "$dir/kconfgen.log"; then
    fail "$presets $target kconfgen reports on our Kconfig: $(grep -iE 'ASNET' "$dir/kconfgen.log" | head -3 | tr '\n' ' ')"
  fi
  if reason=$(check_preset "$dir" "$target" "${preset_list[@]}"); then pass "$presets $target preset"
  else fail "$presets $target preset: $reason"; continue; fi

  mapfile -t cc < <(compiler_for "$target")
  arch=xtensa; [ "$target" = esp32c3 ] && arch=riscv
  mapfile -t incs < <(include_dirs "$target" "$arch")
  # The wasm2c runtime compiles against the translation of the build the firmware embeds.
  wasm2c_dir=$dir/wasm2c
  mkdir -p "$wasm2c_dir"
  wasm2c "$ROOT/build/stack.wasm" -n stack -o "$wasm2c_dir/stack.c" || { fail "$presets $target wasm2c"; continue; }
  # boards/common/test/sandbox_check.c (host harness of test/sandbox.test.ts) includes the translation
  # of that test's one-store/one-load module, m.h: made here the same way, so the file is compiled too.
  printf '(module (memory (export "memory") 1 1)\n (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store offset=200)\n (func (export "load") (param i32) (result i32) local.get 0 i32.load offset=200))\n' > "$wasm2c_dir/m.wat"
  { wat2wasm "$wasm2c_dir/m.wat" -o "$wasm2c_dir/m.wasm" && wasm2c "$wasm2c_dir/m.wasm" -n m -o "$wasm2c_dir/m.c"; } || { fail "$presets $target wasm2c m.h"; continue; }
  gcc_inc=$("${cc[0]}" -print-file-name=include)
  # The C library the configuration selects: newlib (5.x), or picolibc (6.x's default,
  # CONFIG_LIBC_PICOLIBC) from Debian's picolibc package for that compiler.
  if grep -qx 'CONFIG_LIBC_PICOLIBC=y' "$dir/sdkconfig"; then
    case $target in
      esp32c3) libc=(-isystem /usr/lib/picolibc/riscv64-unknown-elf/include) ;;
      *) libc=(-isystem /usr/lib/xtensa-lx106-elf/include) ;;
    esac
    [ -f "${libc[1]}/picolibc.h" ] || { fail "$presets $target: picolibc headers missing in ${libc[1]} (apt-get install picolibc-riscv64-unknown-elf picolibc-xtensa-lx106-elf)"; continue; }
    libc=(-isystem "$PICOLIBC_OVERLAY" "${libc[@]}")
  else
    libc=(-isystem "$NEWLIB_OVERLAY" -isystem /usr/include/newlib)
  fi
  # The multicast build (build/stack.mcast.wasm) for files that call its exports (the mDNS responder).
  mkdir -p "$dir/wasm2c-mcast"
  wasm2c "$ROOT/build/stack.mcast.wasm" -n stack -o "$dir/wasm2c-mcast/stack.c" || { fail "$presets $target wasm2c mcast"; continue; }
  for f in "${C_FILES[@]}"; do
    log=$dir/$(basename "$f").log
    # A file marked `asnet-target: wasm32` is built only by clang for wasm32 (the MQTT client's Node
    # module): listed and counted apart, never as passed.
    if grep -q 'asnet-target: wasm32' "$ROOT/$f"; then
      othertarget=$((othertarget + 1)); echo "WASM32 ONLY $presets $target $f"; continue
    fi
    # Apps (and their fuzz harnesses one folder down) include their own headers.
    local_incs=(-I "$ROOT/$(dirname "$f")" -I "$ROOT/$(dirname "$(dirname "$f")")")
    rt_dir=$wasm2c_dir; rt_def=()
    if grep -q 'STACK_RT_mcast_' "$ROOT/$f"; then rt_dir=$dir/wasm2c-mcast; rt_def=(-DSTACK_RT_MCAST); fi
    if [ "$HAVE_MBEDTLS" = 0 ] && grep -q '^#include "mbedtls/' "$ROOT/$f" && grep -qx 'CONFIG_ASNET_APP_SOCKETS=y' "$dir/sdkconfig"; then
      unchecked=$((unchecked + 1)); UNCHECKED+=("$presets $target $f")
      echo "NOT CHECKED $presets $target $f: $IDF has no mbedTLS submodule (components/mbedtls/mbedtls is empty)"
      continue
    fi
    if "${cc[@]}" -std=gnu17 -Os -ffunction-sections -fdata-sections -Wall -Wextra -Werror \
      -Wno-error=unused-parameter -nostdinc -isystem "$gcc_inc" -isystem "$gcc_inc-fixed" \
      -DESP_PLATFORM -DIDF_VER="\"v$IDF_VERSION\"" -D_GNU_SOURCE -D_POSIX_READER_WRITER_LOCKS \
      -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 -DMBEDTLS_CONFIG_FILE='"mbedtls/esp_config.h"' \
      -I "$dir" -I "$HERE/main" -I "$ROOT/boards/common" -I "$rt_dir" -I "$wasm2c_dir" -I "$WASM2C_INC" \
      "${local_incs[@]}" "${rt_def[@]}" "${incs[@]}" "${libc[@]}" \
      -c "$ROOT/$f" -o "$dir/$(basename "$f").o" > "$log" 2>&1; then
      pass "$presets $target $f"
    else
      fail "$presets $target $f: $(grep -m3 -E 'error|warning' "$log" | tr '\n' ' ')"
    fi
  done
done

echo
echo "check-idf: ESP-IDF $IDF_VERSION"
for f in "${FAILURES[@]}"; do echo "  failed: $f"; done
for f in "${UNCHECKED[@]}"; do echo "  not checked (no mbedTLS headers in this IDF tree): $f"; done
echo "$passed passed, $failed failed, $unchecked not checked, $othertarget wasm32-only (not firmware)"
[ "$failed" = 0 ]
