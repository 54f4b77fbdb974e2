/* The network interface under the stack: one of eth_shim.c (internal EMAC + LAN87xx/IP101 PHY, or
 * a W5500 in MAC-raw mode, through esp_eth) and wifi_shim.c (Wi-Fi station through the Wi-Fi
 * driver's internal rx callback / tx calls), chosen by the board in menuconfig. Either one keeps
 * ESP-IDF's lwIP away from the frames: received frames are copied into a frame_queue and the
 * runtime task is woken; frames go out with the driver's transmit call. */
#ifndef LINK_SHIM_H
#define LINK_SHIM_H
#include <stdint.h>
#include "esp_err.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "frame_queue.h"

/* Install and start the interface selected in menuconfig. Received frames are copied into rxq and
 * runtime_task is notified (xTaskNotifyGive) on every frame and link change. */
esp_err_t link_shim_start(struct frame_queue *rxq, TaskHandle_t runtime_task);
/* The interface's MAC address (valid after link_shim_start). */
void link_shim_mac(uint8_t mac[6]);
/* 1 when the link is up (PHY link, or Wi-Fi associated and authenticated). */
int link_shim_link_up(void);
/* Transmit one Ethernet II frame (14..1514 bytes, no FCS); on Ethernet short
 * frames are padded to 60 bytes. */
void link_shim_output(const uint8_t *frame, uint32_t len);
#endif
