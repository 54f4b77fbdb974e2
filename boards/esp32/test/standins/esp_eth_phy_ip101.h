#pragma once
/* 6.x only: component espressif/ip101. */
#include "esp_eth.h"
#if ESP_IDF_VERSION < ESP_IDF_VERSION_VAL(6, 0, 0)
#error "esp_eth_phy_ip101.h is the espressif/ip101 component of ESP-IDF 6.x; 5.x declares the driver in esp_eth.h"
#endif
esp_eth_phy_t *esp_eth_phy_new_ip101(const eth_phy_config_t *config);
