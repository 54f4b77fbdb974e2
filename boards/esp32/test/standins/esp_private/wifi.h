#pragma once
#include <stdint.h>
#include "esp_err.h"
#include "esp_wifi.h"
typedef esp_err_t (*wifi_rxcb_t)(void *buffer, uint16_t len, void *eb);
esp_err_t esp_wifi_internal_reg_rxcb(wifi_interface_t ifx, wifi_rxcb_t fn);
void esp_wifi_internal_free_rx_buffer(void *buffer);
int esp_wifi_internal_tx(wifi_interface_t wifi_if, void *buffer, uint16_t len);
