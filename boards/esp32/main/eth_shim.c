/* link_shim.h over esp_eth: the internal EMAC with a LAN87xx/IP101 PHY, or a W5500 in MAC-raw mode.
 * Checked against ESP-IDF v5.1, v5.3, v5.5 and v6.0 headers by boards/esp32/check-idf.sh:
 * - the EMAC SMI pin fields moved into `smi_gpio` in v5.3 (selected with ESP_IDF_VERSION below);
 * - `clock_gpio` is the enum emac_rmii_clock_gpio_t on ESP32 up to v5.5 and a plain int from v6.0:
 *   it is assigned an int, which C converts to either;
 * - the W5500's `poll_period_ms` (interrupt-less polling) exists from v5.1.4 / v5.2.1 on;
 * - v6.0 moved the LAN87xx, IP101 and W5500 drivers out of esp_eth into the registry components
 *   espressif/lan87xx, espressif/ip101 and espressif/w5500 (main/idf_component.yml pulls them in
 *   for idf >= 6.0); their headers are included here on 6.x. */
#include "link_shim.h"
#include "sdkconfig.h"
#if CONFIG_ASNET_MAC_EMAC || CONFIG_ASNET_MAC_W5500
#include <stdatomic.h>
#include <string.h>
#include <stdlib.h>
#include "driver/gpio.h"
#include "esp_check.h"
#include "esp_eth.h"
#include "esp_event.h"
#include "esp_idf_version.h"
#include "esp_log.h"
#include "esp_mac.h"
#if CONFIG_ASNET_MAC_W5500
#include "driver/spi_master.h"
#endif
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(6, 0, 0)
#if CONFIG_ASNET_PHY_LAN87XX
#include "esp_eth_phy_lan87xx.h"
#elif CONFIG_ASNET_PHY_IP101
#include "esp_eth_phy_ip101.h"
#elif CONFIG_ASNET_MAC_W5500
#include "esp_eth_mac_w5500.h"
#include "esp_eth_phy_w5500.h"
#endif
#elif CONFIG_ASNET_MAC_W5500 && !CONFIG_ETH_SPI_ETHERNET_W5500
#error "W5500 board: enable Component config > Ethernet > Support SPI to Ethernet Module > W5500"
#endif
#if CONFIG_ASNET_MAC_EMAC && !(CONFIG_ASNET_PHY_LAN87XX || CONFIG_ASNET_PHY_IP101)
#error "EMAC board without a PHY chip: the board preset must select ASNET_PHY_LAN87XX or ASNET_PHY_IP101"
#endif

#define MIN_FRAME 60 /* IEEE 802.3 §3.2.8 minimum frame without the FCS */

static const char *TAG = "eth";
static esp_eth_handle_t eth;
static struct frame_queue *rx_queue;
static TaskHandle_t wake_task;
static atomic_int link_up;
static uint8_t mac_addr[6];

/* Runs in the driver's RX task; owns `buffer` and must free it (esp_eth_update_input_path). */
static esp_err_t on_frame(esp_eth_handle_t handle, uint8_t *buffer, uint32_t length, void *priv) {
  (void)handle;
  (void)priv;
  frame_queue_push(rx_queue, buffer, length); /* full queue: dropped and counted, TCP recovers */
  free(buffer);
  xTaskNotifyGive(wake_task);
  return ESP_OK;
}

static void on_eth_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
  (void)arg;
  (void)base;
  (void)data;
  if (id == ETHERNET_EVENT_CONNECTED) atomic_store(&link_up, 1);
  else if (id == ETHERNET_EVENT_DISCONNECTED || id == ETHERNET_EVENT_STOP) atomic_store(&link_up, 0);
  else return;
  xTaskNotifyGive(wake_task);
}

#if CONFIG_ASNET_MAC_EMAC
static void phy_power_on(int gpio) {
  if (gpio < 0) return;
  gpio_reset_pin(gpio);
  gpio_set_direction(gpio, GPIO_MODE_OUTPUT);
  gpio_set_level(gpio, 1);
  vTaskDelay(pdMS_TO_TICKS(10)); /* oscillator / PHY supply settle time */
}

static esp_err_t emac_install(esp_eth_mac_t **mac, esp_eth_phy_t **phy) {
  eth_mac_config_t mac_config = ETH_MAC_DEFAULT_CONFIG();
  eth_esp32_emac_config_t emac = ETH_ESP32_EMAC_DEFAULT_CONFIG();
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 3, 0)
  emac.smi_gpio.mdc_num = CONFIG_ASNET_MDC_GPIO;
  emac.smi_gpio.mdio_num = CONFIG_ASNET_MDIO_GPIO;
#else
  emac.smi_mdc_gpio_num = CONFIG_ASNET_MDC_GPIO;
  emac.smi_mdio_gpio_num = CONFIG_ASNET_MDIO_GPIO;
#endif
#if CONFIG_ASNET_RMII_CLK_EXT_IN
  emac.clock_config.rmii.clock_mode = EMAC_CLK_EXT_IN; /* 50 MHz from PHY/oscillator (GPIO0 only) */
#else
  emac.clock_config.rmii.clock_mode = EMAC_CLK_OUT;    /* ESP32 APLL drives the PHY (GPIO16/17) */
#endif
  emac.clock_config.rmii.clock_gpio = CONFIG_ASNET_RMII_CLK_GPIO;
  *mac = esp_eth_mac_new_esp32(&emac, &mac_config);

  eth_phy_config_t phy_config = ETH_PHY_DEFAULT_CONFIG();
  phy_config.phy_addr = CONFIG_ASNET_PHY_ADDR;
  phy_config.reset_gpio_num = CONFIG_ASNET_PHY_RESET_GPIO;
#if CONFIG_ASNET_PHY_IP101
  *phy = esp_eth_phy_new_ip101(&phy_config);
#elif CONFIG_ASNET_PHY_LAN87XX
  *phy = esp_eth_phy_new_lan87xx(&phy_config);
#endif
  return (*mac && *phy) ? ESP_OK : ESP_FAIL;
}
#endif

#if CONFIG_ASNET_MAC_W5500
static esp_err_t w5500_install(esp_eth_mac_t **mac, esp_eth_phy_t **phy) {
  spi_bus_config_t bus = {
      .miso_io_num = CONFIG_ASNET_W5500_MISO_GPIO,
      .mosi_io_num = CONFIG_ASNET_W5500_MOSI_GPIO,
      .sclk_io_num = CONFIG_ASNET_W5500_SCLK_GPIO,
      .quadwp_io_num = -1,
      .quadhd_io_num = -1,
  };
  ESP_RETURN_ON_ERROR(spi_bus_initialize(CONFIG_ASNET_W5500_SPI_HOST, &bus, SPI_DMA_CH_AUTO), TAG,
                      "spi bus");
  spi_device_interface_config_t dev = {
      .mode = 0,
      .clock_speed_hz = CONFIG_ASNET_W5500_SPI_MHZ * 1000 * 1000,
      .spics_io_num = CONFIG_ASNET_W5500_CS_GPIO,
      .queue_size = 20,
  };
  eth_w5500_config_t w5500 = ETH_W5500_DEFAULT_CONFIG(CONFIG_ASNET_W5500_SPI_HOST, &dev);
  w5500.int_gpio_num = CONFIG_ASNET_W5500_INT_GPIO;
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 2, 1) || \
    (ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 1, 4) && ESP_IDF_VERSION < ESP_IDF_VERSION_VAL(5, 2, 0))
  if (w5500.int_gpio_num < 0) w5500.poll_period_ms = 10;
#else
  if (w5500.int_gpio_num < 0) {
    ESP_LOGE(TAG, "W5500 without INT pin needs ESP-IDF >= 5.1.4 (5.2.x: >= 5.2.1)");
    return ESP_ERR_NOT_SUPPORTED;
  }
#endif
  if (w5500.int_gpio_num >= 0) gpio_install_isr_service(0);
  eth_mac_config_t mac_config = ETH_MAC_DEFAULT_CONFIG();
  eth_phy_config_t phy_config = ETH_PHY_DEFAULT_CONFIG();
  phy_config.reset_gpio_num = CONFIG_ASNET_W5500_RESET_GPIO;
  *mac = esp_eth_mac_new_w5500(&w5500, &mac_config);
  *phy = esp_eth_phy_new_w5500(&phy_config);
  return (*mac && *phy) ? ESP_OK : ESP_FAIL;
}
#endif

static esp_err_t driver_install(void) {
  esp_eth_mac_t *mac = NULL;
  esp_eth_phy_t *phy = NULL;
#if CONFIG_ASNET_MAC_EMAC
  phy_power_on(CONFIG_ASNET_PHY_POWER_GPIO);
  ESP_RETURN_ON_ERROR(emac_install(&mac, &phy), TAG, "EMAC/PHY");
#else
  ESP_RETURN_ON_ERROR(w5500_install(&mac, &phy), TAG, "W5500");
#endif
  esp_eth_config_t config = ETH_DEFAULT_CONFIG(mac, phy);
  ESP_RETURN_ON_ERROR(esp_eth_driver_install(&config, &eth), TAG, "driver install");
  /* The W5500 has no burnt-in address: give it the chip's Ethernet MAC (eFuse base + 3). */
  ESP_RETURN_ON_ERROR(esp_read_mac(mac_addr, ESP_MAC_ETH), TAG, "read mac");
  return esp_eth_ioctl(eth, ETH_CMD_S_MAC_ADDR, mac_addr);
}

esp_err_t link_shim_start(struct frame_queue *rxq, TaskHandle_t runtime_task) {
  rx_queue = rxq;
  wake_task = runtime_task;
  ESP_RETURN_ON_ERROR(driver_install(), TAG, "install");
  ESP_RETURN_ON_ERROR(esp_event_handler_register(ETH_EVENT, ESP_EVENT_ANY_ID, on_eth_event, NULL),
                      TAG, "events");
  /* No esp_netif glue is attached: every frame comes to us, none to ESP-IDF's lwIP. */
  ESP_RETURN_ON_ERROR(esp_eth_update_input_path(eth, on_frame, NULL), TAG, "input path");
  return esp_eth_start(eth);
}

void link_shim_mac(uint8_t mac[6]) { memcpy(mac, mac_addr, 6); }

int link_shim_link_up(void) { return atomic_load(&link_up); }

void link_shim_output(const uint8_t *frame, uint32_t len) {
  uint8_t padded[MIN_FRAME];
  if (len < MIN_FRAME) {
    memcpy(padded, frame, len);
    memset(padded + len, 0, MIN_FRAME - len);
    frame = padded;
    len = MIN_FRAME;
  }
  /* esp_eth_transmit copies into DMA descriptors (EMAC) or the W5500 TX buffer before returning. */
  if (esp_eth_transmit(eth, (void *)frame, len) != ESP_OK) ESP_LOGD(TAG, "tx dropped");
}
#endif /* CONFIG_ASNET_MAC_EMAC || CONFIG_ASNET_MAC_W5500 */
