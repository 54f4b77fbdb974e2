/* boards/common's board.h and mac.h for riscv-virt (the rest of board.h is boards/common/firmware):
 * CLINT mtime milliseconds, the raw 10 MHz mtime count as entropy (the virt machine has no TRNG
 * the firmware could reach without a PCI or virtio-rng driver), virtio-net as the MAC,
 * semihosting to exit. */
#include "board.h"
#include "mac.h"
#include "clock.h"
#include "firmware.h"
#include "virtio_net.h"
#include "semihost.h"

uint32_t board_now_ms(void) { return clock_now_ms(); }
uint32_t fw_entropy(void) { return (uint32_t)clock_ticks(); }
void fw_exit(int code) { semihost_exit(code); }

/* The firmware brought virtio-net up before the stack (self-test first) and took its MAC from it. */
int mac_init(const uint8_t mac[6]) { (void)mac; return 0; }
int mac_link_up(void) { return virtio_net_link_up(); }
int mac_transmit(const uint8_t *frame, uint32_t len) { return virtio_net_send(frame, len) < 0 ? -1 : 0; }
int mac_receive(uint8_t *buf, uint32_t cap) { return virtio_net_recv(buf, cap); }
