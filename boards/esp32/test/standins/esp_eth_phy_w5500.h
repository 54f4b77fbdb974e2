#pragma once
#include "esp_eth.h"
#if ESP_IDF_VERSION < ESP_IDF_VERSION_VAL(6, 0, 0) && !defined(STANDIN_FROM_ESP_ETH)
#error "esp_eth_phy_w5500.h is the espressif/w5500 component of ESP-IDF 6.x; 5.x declares the driver in esp_eth.h"
#endif
esp_eth_phy_t *esp_eth_phy_new_w5500(const eth_phy_config_t *config);
