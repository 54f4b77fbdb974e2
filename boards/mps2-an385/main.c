/* mps2-an385 firmware entry: console, clock, LAN9118 bring-up, then the network application. */
#include <stdio.h>
#include "clock.h"
#include "uart.h"
#include "lan9118.h"
#include "selftest.h"

/* QEMU user networking (slirp): guest 10.0.2.15/24, gateway 10.0.2.2. */
#define OUR_IP 0x0A00020Fu
#define GATEWAY_IP 0x0A000202u
static const uint8_t board_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x93, 0x85 };

static int bring_up_ethernet(void)
{
    printf("lan9118: ID_REV 0x%08lx\n", (unsigned long)lan9118_id_rev());
    int err = lan9118_init(board_mac);
    if (err < 0) {
        printf("lan9118: init failed (%d)\n", err);
        return -1;
    }
    printf("lan9118: reset done, link %s\n", lan9118_link_up() ? "up" : "down");
    return 0;
}

int main(void)
{
    uart_init();
    clock_init();
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("mps2-an385: boot\n");
    if (bring_up_ethernet() < 0) return 1;
    if (selftest_arp(board_mac, OUR_IP, GATEWAY_IP) < 0) return 1;
    const struct lan9118_stats *s = lan9118_stats();
    printf("stats: tx %lu rx %lu rx_err %lu\n", (unsigned long)s->tx_frames,
           (unsigned long)s->rx_frames, (unsigned long)s->rx_errors);
    printf("selftest: PASS\n");
    return 0;
}
