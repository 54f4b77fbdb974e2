#pragma once
/* 6.x only: component espressif/lan87xx. */
#include "esp_eth.h"
#if ESP_IDF_VERSION < ESP_IDF_VERSION_VAL(6, 0, 0)
#error "esp_eth_phy_lan87xx.h is the espressif/lan87xx component of ESP-IDF 6.x; 5.x declares the driver in esp_eth.h"
#endif
esp_eth_phy_t *esp_eth_phy_new_lan87xx(const eth_phy_config_t *config);
