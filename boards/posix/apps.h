/* The posix board's IoT apps (boards/common/apps): SNTP, and mDNS in the multicast build
 * (make MCAST=1). main.c calls these four; everything else stays in apps.c. */
#ifndef POSIX_APPS_H
#define POSIX_APPS_H
#include <stdint.h>
/* Consumes an app option with its value: 1 taken, 0 not an app option, -1 bad value. */
int apps_arg(const char *opt, const char *val);
/* After asnet_init: starts the configured apps (dhcp_handle < 0 without DHCP). 0 or an error. */
int apps_start(int32_t dhcp_handle);
/* Every loop pass; returns ms until the apps need to run again. */
int32_t apps_poll(void);
/* After a trap (asnet_trapped): reopen the apps' sockets. */
void apps_restart(void);
/* Before exit: mDNS goodbyes (TTL 0), sockets closed. */
void apps_stop(void);
#endif
