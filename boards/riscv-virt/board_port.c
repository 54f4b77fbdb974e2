/* boards/common's board.h and mac.h for riscv-virt: CLINT mtime milliseconds, a xorshift generator
 * stirred with the raw mtime count (the virt machine has no TRNG the firmware could reach without
 * a PCI or virtio-rng driver), virtio-net as the MAC. */
#include <stdio.h>
#include "board.h"
#include "mac.h"
#include "clock.h"
#include "virtio_net.h"
#include "semihost.h"

static uint32_t entropy = 0x2545f491u;

uint32_t board_now_ms(void) { return clock_now_ms(); }

/* xorshift32 (Marsaglia 2003) mixed with the 10 MHz mtime count. */
uint32_t board_random(void)
{
    entropy ^= (uint32_t)clock_ticks();
    entropy ^= entropy << 13;
    entropy ^= entropy >> 17;
    entropy ^= entropy << 5;
    return entropy;
}

void board_log(const char *line) { printf("%s\n", line); }

void board_fatal(const char *why)
{
    printf("wasm trap: %s\n", why);
    semihost_exit(2);
}

/* main.c brought virtio-net up before the stack (self-test first) and took its MAC from it. */
int mac_init(const uint8_t mac[6]) { (void)mac; return 0; }
int mac_link_up(void) { return virtio_net_link_up(); }
int mac_transmit(const uint8_t *frame, uint32_t len) { return virtio_net_send(frame, len) < 0 ? -1 : 0; }
int mac_receive(uint8_t *buf, uint32_t cap) { return virtio_net_recv(buf, cap); }
