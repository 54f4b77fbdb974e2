/* SMSC LAN9118 Ethernet controller driver (SMSC LAN9118 datasheet rev 1.5), polled. */
#ifndef LAN9118_H
#define LAN9118_H
#include <stdint.h>

struct lan9118_stats {
    uint32_t tx_frames, rx_frames, rx_errors, rx_dropped, tx_busy;
};

/* Soft reset, check the chip, program the MAC address, enable TX/RX. 0 or a negative code. */
int lan9118_init(const uint8_t mac[6]);
uint32_t lan9118_id_rev(void);
int lan9118_link_up(void);
/* Queue one frame (14..1514 bytes, no CRC). 0, or -1 if the TX data FIFO has no room. */
int lan9118_send(const uint8_t *frame, uint32_t len);
/* Copy the next received frame (CRC stripped) into buf; its length, 0 if none, -1 if dropped. */
int lan9118_recv(uint8_t *buf, uint32_t cap);
const struct lan9118_stats *lan9118_stats(void);
#endif
