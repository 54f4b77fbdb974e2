#pragma once
/* 5.x: part of esp_eth (esp_eth_mac.h); 6.x: component espressif/w5500 1.0.x. The poll field exists
 * from 5.1.4 / 5.2.1 on. */
#include <stdint.h>
#include "driver/spi_master.h"
#include "esp_eth.h"
#if ESP_IDF_VERSION < ESP_IDF_VERSION_VAL(6, 0, 0) && !defined(STANDIN_FROM_ESP_ETH)
#error "esp_eth_mac_w5500.h is the espressif/w5500 component of ESP-IDF 6.x; 5.x declares the driver in esp_eth.h"
#endif
typedef struct {
  int int_gpio_num;
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 2, 1) || (ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 1, 4) && ESP_IDF_VERSION < ESP_IDF_VERSION_VAL(5, 2, 0))
  uint32_t poll_period_ms;
#endif
  spi_host_device_t spi_host_id;
  spi_device_interface_config_t *spi_devcfg;
} eth_w5500_config_t;
#define ETH_W5500_DEFAULT_CONFIG(spi_host, spi_devcfg_p) { .int_gpio_num = 4, .spi_host_id = spi_host, .spi_devcfg = spi_devcfg_p }
esp_eth_mac_t *esp_eth_mac_new_w5500(const eth_w5500_config_t *w5500_config, const eth_mac_config_t *mac_config);
