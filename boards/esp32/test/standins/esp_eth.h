#pragma once
/* esp_eth.h of ESP-IDF 5.x/6.x: driver, MAC, PHY; on 5.x also the W5500, LAN87xx and IP101 drivers. */
#include <stdint.h>
#include "esp_err.h"
#include "esp_event.h"
#include "esp_idf_version.h"
#include "sdkconfig.h"
typedef void *esp_eth_handle_t;
typedef struct esp_eth_mac_s esp_eth_mac_t;
typedef struct esp_eth_phy_s esp_eth_phy_t;
typedef enum { ETH_CMD_G_MAC_ADDR, ETH_CMD_S_MAC_ADDR } esp_eth_io_cmd_t;
typedef enum { ETHERNET_EVENT_START, ETHERNET_EVENT_STOP, ETHERNET_EVENT_CONNECTED, ETHERNET_EVENT_DISCONNECTED } eth_event_t;
extern const char *const ETH_EVENT;
typedef struct { uint32_t sw_reset_timeout_ms; uint32_t rx_task_stack_size; uint32_t rx_task_prio; uint32_t flags; } eth_mac_config_t;
#define ETH_MAC_DEFAULT_CONFIG() { .sw_reset_timeout_ms = 100, .rx_task_stack_size = 4096, .rx_task_prio = 15, .flags = 0 }
typedef struct { int32_t phy_addr; uint32_t reset_timeout_ms; uint32_t autonego_timeout_ms; int reset_gpio_num; int32_t hw_reset_assert_time_us; int32_t post_hw_reset_delay_ms; } eth_phy_config_t;
#define ETH_PHY_DEFAULT_CONFIG() { .phy_addr = -1, .reset_timeout_ms = 100, .autonego_timeout_ms = 4000, .reset_gpio_num = 5 }
typedef struct { esp_eth_mac_t *mac; esp_eth_phy_t *phy; uint32_t check_link_period_ms; } esp_eth_config_t;
#define ETH_DEFAULT_CONFIG(emac, ephy) { .mac = emac, .phy = ephy, .check_link_period_ms = 2000 }
typedef enum { EMAC_CLK_DEFAULT, EMAC_CLK_EXT_IN, EMAC_CLK_OUT } emac_rmii_clock_mode_t;
#if ESP_IDF_VERSION < ESP_IDF_VERSION_VAL(6, 0, 0)
typedef enum { EMAC_CLK_IN_GPIO = 0, EMAC_APPL_CLK_OUT_GPIO = 0, EMAC_CLK_OUT_GPIO = 16, EMAC_CLK_OUT_180_GPIO = 17 } emac_rmii_clock_gpio_t;
#define CLOCK_GPIO_TYPE emac_rmii_clock_gpio_t
#else
#define CLOCK_GPIO_TYPE int
#endif
typedef union { struct { emac_rmii_clock_mode_t clock_mode; CLOCK_GPIO_TYPE clock_gpio; } rmii; } eth_mac_clock_config_t;
#undef CLOCK_GPIO_TYPE
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 3, 0)
typedef struct { int mdc_num; int mdio_num; } emac_esp_smi_gpio_config_t;
typedef struct { emac_esp_smi_gpio_config_t smi_gpio; int interface; eth_mac_clock_config_t clock_config; uint32_t dma_burst_len; int intr_priority; } eth_esp32_emac_config_t;
#define ETH_ESP32_EMAC_DEFAULT_CONFIG() { .smi_gpio = { .mdc_num = 23, .mdio_num = 18 } }
#else
typedef struct { int smi_mdc_gpio_num; int smi_mdio_gpio_num; int interface; eth_mac_clock_config_t clock_config; uint32_t dma_burst_len; } eth_esp32_emac_config_t;
#define ETH_ESP32_EMAC_DEFAULT_CONFIG() { .smi_mdc_gpio_num = 23, .smi_mdio_gpio_num = 18 }
#endif
esp_eth_mac_t *esp_eth_mac_new_esp32(const eth_esp32_emac_config_t *esp32_config, const eth_mac_config_t *config);
esp_err_t esp_eth_driver_install(const esp_eth_config_t *config, esp_eth_handle_t *out_hdl);
esp_err_t esp_eth_start(esp_eth_handle_t hdl);
esp_err_t esp_eth_transmit(esp_eth_handle_t hdl, void *buf, size_t length);
esp_err_t esp_eth_update_input_path(esp_eth_handle_t hdl, esp_err_t (*stack_input)(esp_eth_handle_t hdl, uint8_t *buffer, uint32_t length, void *priv), void *priv);
esp_err_t esp_eth_ioctl(esp_eth_handle_t hdl, esp_eth_io_cmd_t cmd, void *data);
#if ESP_IDF_VERSION < ESP_IDF_VERSION_VAL(6, 0, 0)
esp_eth_phy_t *esp_eth_phy_new_ip101(const eth_phy_config_t *config);
esp_eth_phy_t *esp_eth_phy_new_lan87xx(const eth_phy_config_t *config);
#if CONFIG_ETH_SPI_ETHERNET_W5500
#define STANDIN_FROM_ESP_ETH
#include "esp_eth_mac_w5500.h"
#include "esp_eth_phy_w5500.h"
#undef STANDIN_FROM_ESP_ETH
#endif
#endif
