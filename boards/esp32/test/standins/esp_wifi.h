#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "esp_err.h"
#include "esp_event.h"
typedef enum { WIFI_IF_STA = 0, WIFI_IF_AP = 1 } wifi_interface_t;
typedef enum { WIFI_MODE_NULL = 0, WIFI_MODE_STA, WIFI_MODE_AP, WIFI_MODE_APSTA } wifi_mode_t;
typedef enum { WIFI_STORAGE_FLASH, WIFI_STORAGE_RAM } wifi_storage_t;
typedef enum {
  WIFI_AUTH_OPEN = 0, WIFI_AUTH_WEP, WIFI_AUTH_WPA_PSK, WIFI_AUTH_WPA2_PSK, WIFI_AUTH_WPA_WPA2_PSK,
  WIFI_AUTH_ENTERPRISE, WIFI_AUTH_WPA3_PSK, WIFI_AUTH_WPA2_WPA3_PSK
} wifi_auth_mode_t;
typedef struct { int8_t rssi_5g_adjustment; wifi_auth_mode_t authmode; } wifi_scan_threshold_t;
typedef struct { bool capable; bool required; } wifi_pmf_config_t;
typedef struct {
  uint8_t ssid[32];
  uint8_t password[64];
  int scan_method;
  bool bssid_set;
  uint8_t bssid[6];
  uint8_t channel;
  uint16_t listen_interval;
  int sort_method;
  wifi_scan_threshold_t threshold;
  wifi_pmf_config_t pmf_cfg;
} wifi_sta_config_t;
typedef union { wifi_sta_config_t sta; } wifi_config_t;
typedef struct { void *osi_funcs; int static_rx_buf_num; int dynamic_rx_buf_num; int magic; } wifi_init_config_t;
#define WIFI_INIT_CONFIG_MAGIC 0x1F2F3F4F
#define WIFI_INIT_CONFIG_DEFAULT() { .osi_funcs = NULL, .static_rx_buf_num = 10, .dynamic_rx_buf_num = 32, .magic = WIFI_INIT_CONFIG_MAGIC }
typedef enum {
  WIFI_EVENT_WIFI_READY = 0, WIFI_EVENT_SCAN_DONE, WIFI_EVENT_STA_START, WIFI_EVENT_STA_STOP,
  WIFI_EVENT_STA_CONNECTED, WIFI_EVENT_STA_DISCONNECTED
} wifi_event_t;
extern const char *const WIFI_EVENT;
typedef struct { uint8_t ssid[32]; uint8_t ssid_len; uint8_t bssid[6]; uint16_t reason; int8_t rssi; } wifi_event_sta_disconnected_t;
esp_err_t esp_wifi_init(const wifi_init_config_t *config);
esp_err_t esp_wifi_set_storage(wifi_storage_t storage);
esp_err_t esp_wifi_set_mode(wifi_mode_t mode);
esp_err_t esp_wifi_set_config(wifi_interface_t interface, wifi_config_t *conf);
esp_err_t esp_wifi_start(void);
esp_err_t esp_wifi_connect(void);
