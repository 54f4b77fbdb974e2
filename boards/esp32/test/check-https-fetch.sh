#!/usr/bin/env bash
# main/https_fetch.c with CONFIG_ASNET_APP_SOCKETS on, compiled (-fsyntax-only -Wall -Wextra -Werror)
# against real mbedTLS headers (default Debian's libmbedtls-dev; pass another include/ folder, e.g.
# `git archive v3.6.4 include` of Mbed-TLS/mbedtls) and minimal stand-ins for the 4 ESP-IDF headers it
# uses (sdkconfig.h, esp_crt_bundle.h, esp_log.h, FreeRTOS delay/delete). For the trees whose mbedTLS
# submodule is missing, where check-idf.sh reports it NOT CHECKED. Not a check of ESP-IDF's fork.
#   boards/esp32/test/check-https-fetch.sh [MBEDTLS_INCLUDE ...]
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/https-fetch.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/freertos"
printf '#define CONFIG_ASNET_APP_SOCKETS 1\n#define CONFIG_ASNET_HTTPS_HOST "www.example.org"\n#define CONFIG_ASNET_HTTPS_PATH "/"\n' > "$T/sdkconfig.h"
echo 'int esp_crt_bundle_attach(void *conf);' > "$T/esp_crt_bundle.h"
printf '#include <stdio.h>\n#define ESP_LOGI(t, ...) ((void)(t), printf(__VA_ARGS__))\n#define ESP_LOGE(t, ...) ((void)(t), printf(__VA_ARGS__))\n' > "$T/esp_log.h"
printf '#include <stdint.h>\ntypedef uint32_t TickType_t;\n#define pdMS_TO_TICKS(x) ((TickType_t)(x))\n' > "$T/freertos/FreeRTOS.h"
printf 'void vTaskDelay(TickType_t t);\nvoid vTaskDelete(void *t);\n' > "$T/freertos/task.h"
[ $# -gt 0 ] || set -- /usr/include
for inc in "$@"; do
  ver=$(sed -n 's/^#define MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' "$inc/mbedtls/version.h" "$inc/mbedtls/build_info.h" 2>/dev/null | head -1 || true)
  gcc -std=gnu17 -Wall -Wextra -Werror -fsyntax-only -D_GNU_SOURCE -I"$T" -I"$inc" -I"$HERE/../common" "$HERE/main/https_fetch.c"
  echo "ok   https_fetch.c against mbedTLS ${ver:-?} ($inc)"
done
