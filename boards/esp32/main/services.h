/* The demo services (same as the other boards): TCP echo (RFC 862) and a one-page HTTP/1.0 server
 * (RFC 1945), driven by the stack's event queue (docs/ABI.md "Events"). */
#ifndef SERVICES_H
#define SERVICES_H
#include <stdint.h>
/* Open the listeners; a port of 0 disables that service. 0 or the stack's error. */
int services_start(uint16_t echo_port, uint16_t http_port);
/* Drain ev_poll() and act on every event. */
void services_poll(void);
/* app_main.c: events of the DHCP client's handle (address bound or lost). */
void app_dhcp_event(int32_t handle, uint32_t events);
#endif
