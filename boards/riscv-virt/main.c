/* riscv-virt firmware entry: console, virtio-net bring-up, ARP self-test, then the network
 * application (the echo/HTTP services shared with mps2-an385). */
#include <stdio.h>
#include "clock.h"
#include "uart.h"
#include "virtio_net.h"
#include "mac_selftest.h"
#include "dhcp_boot.h"
#include "asnet.h"
#include "wasm_rt_static.h"
#include "app.h"
#include "startup.h"

/* QEMU user networking (slirp): guest 10.0.2.15/24, gateway 10.0.2.2. */
#define OUR_IP 0x0A00020Fu
#define GATEWAY_IP 0x0A000202u
#define NETMASK 0xFFFFFF00u
#define STATS_EVERY_MS 5000u
#define DHCP_WAIT_MS 10000u            /* RFC 5227 probing alone takes ~3 s after the ACK */

static uint8_t board_mac[6];           /* the device's address (virtio-net config space) */

static int bring_up_ethernet(void)
{
    int err = virtio_net_init(board_mac);
    if (err < 0) {
        printf("virtio-net: init failed (%d)\n", err);
        return -1;
    }
    printf("virtio-net: mmio 0x%08lx version %lu, mac %02x:%02x:%02x:%02x:%02x:%02x, link %s\n",
           (unsigned long)virtio_net_base(), (unsigned long)virtio_net_version(), board_mac[0],
           board_mac[1], board_mac[2], board_mac[3], board_mac[4], board_mac[5],
           virtio_net_link_up() ? "up" : "down");
    return 0;
}

static void print_driver_stats(void)
{
    const struct virtio_net_stats *s = virtio_net_stats();
    printf("stats: tx %lu rx %lu rx_err %lu tx_busy %lu, C stack high water %lu bytes\n",
           (unsigned long)s->tx_frames, (unsigned long)s->rx_frames, (unsigned long)s->rx_errors,
           (unsigned long)s->tx_busy, (unsigned long)startup_stack_used());
}

static void serve_forever(void) __attribute__((noreturn));
static void serve_forever(void)
{
    uint32_t last_stats = clock_now_ms();
    for (;;) {
        (void)app_poll();
        if (clock_now_ms() - last_stats >= STATS_EVERY_MS) {
            last_stats = clock_now_ms();
            print_driver_stats();
        }
    }
}

int main(void)
{
    uart_init();
    printf("riscv-virt: boot, rv32imac\n");
    if (bring_up_ethernet() < 0) return 1;
    if (mac_selftest_arp(board_mac, OUR_IP, GATEWAY_IP) < 0) return 1;
    print_driver_stats();
    printf("selftest: PASS\n");
    struct asnet_config cfg = { .ip = 0, .netmask = 0, .gateway = 0 };     /* DHCP first */
    for (int i = 0; i < 6; i++) cfg.mac[i] = board_mac[i];
    int err = asnet_init(&cfg);
    if (err != 0) {
        printf("stack: stack_init failed (%d)\n", err);
        return 1;
    }
    printf("stack: up, linear memory %lu KiB\n", (unsigned long)(WASM_RT_STATIC_PAGES * 64u));
    (void)dhcp_boot_acquire(OUR_IP, NETMASK, GATEWAY_IP, DHCP_WAIT_MS);
    if (app_start() < 0) return 1;
    serve_forever();
}
