/* link_shim.h over the Wi-Fi station: the Wi-Fi driver hands us every received frame of WIFI_IF_STA
 * (esp_wifi_internal_reg_rxcb, already converted to Ethernet II by the driver) and sends ours with
 * esp_wifi_internal_tx. No esp_netif is created for the station, so ESP-IDF's lwIP never sees a
 * frame: the callback is registered on WIFI_EVENT_STA_START, which is where ESP-IDF's own glue
 * (esp_wifi/src/wifi_default.c) registers lwIP's. Association uses the menuconfig SSID/password with
 * WPA2-PSK as the weakest accepted auth mode, and a lost association is retried after
 * CONFIG_ASNET_WIFI_RECONNECT_MS from an esp_timer (never from inside the event handler).
 * Checked against ESP-IDF v5.1, v5.3, v5.5 and v6.0 headers by boards/esp32/check-idf.sh. */
#include "link_shim.h"
#include "sdkconfig.h"
#if CONFIG_ASNET_MAC_WIFI_STA
#include <stdatomic.h>
#include <string.h>
#include "esp_check.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_mac.h"
#include "esp_private/wifi.h"
#include "esp_timer.h"
#include "esp_wifi.h"
#include "nvs_flash.h"

static const char *TAG = "wifi";
static struct frame_queue *rx_queue;
static TaskHandle_t wake_task;
static atomic_int link_up;
static uint8_t mac_addr[6];
static esp_timer_handle_t reconnect_timer;

/* Runs in the Wi-Fi driver's task. `buffer` is the frame, `eb` the driver's buffer that holds it:
 * copy, then hand the buffer back (esp_wifi_internal_free_rx_buffer). */
static esp_err_t on_frame(void *buffer, uint16_t len, void *eb) {
  frame_queue_push(rx_queue, buffer, len); /* full queue: dropped and counted, TCP recovers */
  esp_wifi_internal_free_rx_buffer(eb);
  xTaskNotifyGive(wake_task);
  return ESP_OK;
}

static void reconnect(void *arg) {
  (void)arg;
  esp_err_t err = esp_wifi_connect();
  if (err != ESP_OK) ESP_LOGW(TAG, "esp_wifi_connect: %s", esp_err_to_name(err));
}

static void set_link(int up) {
  atomic_store(&link_up, up);
  xTaskNotifyGive(wake_task);
}

static void on_wifi_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
  (void)arg;
  (void)base;
  if (id == WIFI_EVENT_STA_START) {
    ESP_ERROR_CHECK(esp_wifi_internal_reg_rxcb(WIFI_IF_STA, on_frame));
    reconnect(NULL);
  } else if (id == WIFI_EVENT_STA_CONNECTED) {
    ESP_LOGI(TAG, "associated with \"%s\"", CONFIG_ASNET_WIFI_SSID);
    set_link(1);
  } else if (id == WIFI_EVENT_STA_DISCONNECTED) {
    const wifi_event_sta_disconnected_t *d = data;
    ESP_LOGW(TAG, "disconnected (reason %d), retrying in %d ms", d ? (int)d->reason : -1,
             CONFIG_ASNET_WIFI_RECONNECT_MS);
    set_link(0);
    esp_timer_stop(reconnect_timer); /* not running is fine */
    esp_timer_start_once(reconnect_timer, (uint64_t)CONFIG_ASNET_WIFI_RECONNECT_MS * 1000u);
  } else if (id == WIFI_EVENT_STA_STOP) {
    set_link(0);
  }
}

/* Wi-Fi keeps PHY calibration and (by default) its settings in NVS. */
static esp_err_t nvs_ready(void) {
  esp_err_t err = nvs_flash_init();
  if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
    ESP_RETURN_ON_ERROR(nvs_flash_erase(), TAG, "nvs erase");
    err = nvs_flash_init();
  }
  return err;
}

static esp_err_t station_config(void) {
  wifi_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  _Static_assert(sizeof CONFIG_ASNET_WIFI_SSID <= sizeof cfg.sta.ssid + 1, "SSID longer than 32");
  _Static_assert(sizeof CONFIG_ASNET_WIFI_PASSWORD <= sizeof cfg.sta.password, "password longer than 63");
  memcpy(cfg.sta.ssid, CONFIG_ASNET_WIFI_SSID, strlen(CONFIG_ASNET_WIFI_SSID));
  memcpy(cfg.sta.password, CONFIG_ASNET_WIFI_PASSWORD, strlen(CONFIG_ASNET_WIFI_PASSWORD));
  cfg.sta.threshold.authmode = WIFI_AUTH_WPA2_PSK; /* refuse open, WEP and WPA networks */
  cfg.sta.pmf_cfg.capable = true;
  cfg.sta.pmf_cfg.required = false;
  ESP_RETURN_ON_ERROR(esp_wifi_set_mode(WIFI_MODE_STA), TAG, "mode");
  return esp_wifi_set_config(WIFI_IF_STA, &cfg);
}

esp_err_t link_shim_start(struct frame_queue *rxq, TaskHandle_t runtime_task) {
  rx_queue = rxq;
  wake_task = runtime_task;
  ESP_RETURN_ON_ERROR(nvs_ready(), TAG, "nvs");
  const esp_timer_create_args_t timer = {.callback = reconnect, .name = "wifi-reconnect"};
  ESP_RETURN_ON_ERROR(esp_timer_create(&timer, &reconnect_timer), TAG, "timer");
  wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
  ESP_RETURN_ON_ERROR(esp_wifi_init(&init), TAG, "init");
  ESP_RETURN_ON_ERROR(esp_wifi_set_storage(WIFI_STORAGE_RAM), TAG, "storage");
  ESP_RETURN_ON_ERROR(esp_event_handler_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_wifi_event, NULL),
                      TAG, "events");
  ESP_RETURN_ON_ERROR(station_config(), TAG, "config");
  ESP_RETURN_ON_ERROR(esp_read_mac(mac_addr, ESP_MAC_WIFI_STA), TAG, "read mac");
  return esp_wifi_start(); /* WIFI_EVENT_STA_START registers on_frame and connects */
}

void link_shim_mac(uint8_t mac[6]) { memcpy(mac, mac_addr, 6); }

int link_shim_link_up(void) { return atomic_load(&link_up); }

void link_shim_output(const uint8_t *frame, uint32_t len) {
  if (!atomic_load(&link_up)) return;
  /* No padding: 802.11 has no minimum frame. esp_wifi_internal_tx copies the frame before it returns (the non-"by_ref" variant). */
  int err = esp_wifi_internal_tx(WIFI_IF_STA, (void *)frame, (uint16_t)len);
  if (err != ESP_OK) ESP_LOGD(TAG, "tx dropped: %d", err);
}
#endif /* CONFIG_ASNET_MAC_WIFI_STA */
