/* The MAC shim every board implements: the only hardware the stack needs (docs/ABI.md "Imports").
 * Frames are whole Ethernet frames without CRC, 14..1514 bytes. */
#ifndef ASNET_MAC_H
#define ASNET_MAC_H
#include <stdint.h>

/* Bring the interface up with this station address. 0, or a negative board error. */
int mac_init(const uint8_t mac[6]);
/* 1 when the link (PHY, TAP carrier) is up. */
int mac_link_up(void);
/* Send one frame. 0 when taken, -1 when the transmitter is busy (the glue queues and retries). */
int mac_transmit(const uint8_t *frame, uint32_t len);
/* Copy the next received frame into buf (cap bytes). Its length, 0 when none is waiting, or -1
 * for a frame that was dropped (too long, bad CRC). Never blocks. */
int mac_receive(uint8_t *buf, uint32_t cap);
#endif
