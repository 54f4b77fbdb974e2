/* boards/common's board.h and mac.h for mps2-an385: APB timer milliseconds, a xorshift generator
 * stirred with the 25 MHz timer count (QEMU's AN385 has no TRNG), the LAN9118 as the MAC. */
#include <stdio.h>
#include "board.h"
#include "mac.h"
#include "clock.h"
#include "lan9118.h"
#include "semihost.h"

static uint32_t entropy = 0x2545f491u;

uint32_t board_now_ms(void) { return clock_now_ms(); }

/* xorshift32 (Marsaglia 2003) mixed with the timer count. */
uint32_t board_random(void)
{
    entropy ^= clock_raw();
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
    for (;;) {
    }
}

/* main.c brought the LAN9118 up before the stack (self-test first). */
int mac_init(const uint8_t mac[6]) { (void)mac; return 0; }
int mac_link_up(void) { return lan9118_link_up(); }
int mac_transmit(const uint8_t *frame, uint32_t len) { return lan9118_send(frame, len) < 0 ? -1 : 0; }
int mac_receive(uint8_t *buf, uint32_t cap) { return lan9118_recv(buf, cap); }
