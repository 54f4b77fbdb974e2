/* Start-up addressing shared by the bare-metal boards: DHCP first, a static address otherwise. */
#ifndef ASNET_DHCP_BOOT_H
#define ASNET_DHCP_BOOT_H
#include <stdint.h>
/* Runs asnet_poll() until a DHCP lease is bound or wait_ms of board_now_ms() pass, then falls back
 * to ip/netmask/gateway (DHCP stopped). Prints `address: a.b.c.d (dhcp)` or
 * `address: a.b.c.d (static, no DHCP lease)`. 1 when leased, 0 when static. */
int dhcp_boot_acquire(uint32_t ip, uint32_t netmask, uint32_t gateway, uint32_t wait_ms);
#endif
