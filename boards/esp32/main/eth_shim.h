/* MAC shim over ESP-IDF's esp_eth: brings up the internal EMAC (+ LAN87xx/IP101 PHY) or a W5500
 * in MAC-raw mode, diverts received frames away from ESP-IDF's lwIP straight into a frame_queue,
 * and wakes the runtime task. Frames go out with esp_eth_transmit. */
#ifndef ETH_SHIM_H
#define ETH_SHIM_H
#include <stdint.h>
#include "esp_err.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "frame_queue.h"

/* Install and start the driver selected in menuconfig. Received frames are copied into rxq and
 * runtime_task is notified (xTaskNotifyGive) on every frame and link change. */
esp_err_t eth_shim_start(struct frame_queue *rxq, TaskHandle_t runtime_task);
/* The interface's MAC address (valid after eth_shim_start). */
void eth_shim_mac(uint8_t mac[6]);
/* 1 when the PHY reports link up. */
int eth_shim_link_up(void);
/* Transmit one frame (14..1514 bytes, no CRC); short frames are padded to 60 bytes. */
void eth_shim_output(const uint8_t *frame, uint32_t len);
#endif
