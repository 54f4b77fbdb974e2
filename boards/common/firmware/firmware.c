/* The bare-metal boards' firmware flow (firmware.h). */
#include <stdio.h>
#include "firmware.h"
#include "app.h"
#include "asnet.h"
#include "board.h"
#include "dhcp_boot.h"
#include "mac_selftest.h"
#include "wasm_rt_static.h"

#define STATS_EVERY_MS 5000u
#define DHCP_WAIT_MS 10000u            /* RFC 5227 probing alone takes ~3 s after the ACK */

static uint32_t entropy = 0x2545f491u;

/* xorshift32 (Marsaglia 2003) mixed with the board's timer count: neither QEMU machine gives the
 * firmware a TRNG, and the stack keys its ISNs and cookies from its own seed (RFC 6528). */
uint32_t board_random(void)
{
    entropy ^= fw_entropy();
    entropy ^= entropy << 13;
    entropy ^= entropy >> 17;
    entropy ^= entropy << 5;
    return entropy;
}

void board_log(const char *line) { printf("%s\n", line); }

void board_fatal(const char *why)
{
    printf("wasm trap: %s\n", why);
    fw_exit(2);
}

static void print_stats(const struct fw_board *b)
{
    struct fw_nic_stats s;
    b->nic_stats(&s);
    printf("stats: tx %lu rx %lu rx_err %lu tx_busy %lu, C stack high water %lu bytes\n",
           (unsigned long)s.tx_frames, (unsigned long)s.rx_frames, (unsigned long)s.rx_errors,
           (unsigned long)s.tx_busy, (unsigned long)b->stack_used());
}

static void serve_forever(const struct fw_board *b) __attribute__((noreturn));
static void serve_forever(const struct fw_board *b)
{
    uint32_t last_stats = board_now_ms();
    for (;;) {
        (void)app_poll();
        if (board_now_ms() - last_stats >= STATS_EVERY_MS) {
            last_stats = board_now_ms();
            print_stats(b);
        }
    }
}

int fw_main(const struct fw_board *b)
{
    uint8_t mac[6];
    printf("%s\n", b->banner);
    if (b->nic_up(mac) < 0) return 1;
    if (mac_selftest_arp(mac, b->ip, b->gateway) < 0) return 1;
    print_stats(b);
    printf("selftest: PASS\n");
    struct asnet_config cfg = { .ip = 0, .netmask = 0, .gateway = 0 };     /* DHCP first */
    for (int i = 0; i < 6; i++) cfg.mac[i] = mac[i];
    int err = asnet_init(&cfg);
    if (err != 0) {
        printf("stack: stack_init failed (%d)\n", err);
        return 1;
    }
    printf("stack: up, linear memory %lu KiB\n", (unsigned long)(WASM_RT_STATIC_PAGES * 64u));
    (void)dhcp_boot_acquire(b->ip, b->netmask, b->gateway, DHCP_WAIT_MS);  /* DHCP, else static */
    if (app_start() < 0) return 1;
    serve_forever(b);
}
