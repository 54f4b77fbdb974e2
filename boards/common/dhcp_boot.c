/* DHCP (RFC 2131) at boot with a static fallback, over asnet.h: the lease callback prints the
 * leased address; on timeout the client is stopped and the configured address set. */
#include <stdio.h>
#include "asnet.h"
#include "board.h"
#include "dhcp_boot.h"

static int dhcp_bound;

static void print_address(uint32_t ip, const char *how)
{
    printf("address: %lu.%lu.%lu.%lu (%s)\n", (unsigned long)(ip >> 24), (unsigned long)((ip >> 16) & 255),
           (unsigned long)((ip >> 8) & 255), (unsigned long)(ip & 255), how);
}

static void on_dhcp(int32_t h, uint32_t events, void *ctx)
{
    (void)ctx;
    uint32_t info[10];
    if (!(events & STACK_EV_CONNECTED) || asnet_dhcp_info(h, info) < 0) return;
    dhcp_bound = 1;
    print_address(info[1], "dhcp");
}

int dhcp_boot_acquire(uint32_t ip, uint32_t netmask, uint32_t gateway, uint32_t wait_ms)
{
    int32_t handle = asnet_dhcp_start(on_dhcp, NULL);
    uint32_t until = board_now_ms() + wait_ms;
    while (handle > 0 && !dhcp_bound && (int32_t)(board_now_ms() - until) < 0) (void)asnet_poll();
    if (dhcp_bound) return 1;
    if (handle > 0) asnet_dhcp_stop(handle);
    asnet_set_addr(ip, netmask, gateway);
    print_address(ip, "static, no DHCP lease");
    return 0;
}
