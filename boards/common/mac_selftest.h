/* Board bring-up check that needs no stack: one ARP exchange (RFC 826) through the MAC shim. */
#ifndef ASNET_MAC_SELFTEST_H
#define ASNET_MAC_SELFTEST_H
#include <stdint.h>
/* Sends an ARP request for peer_ip through mac_transmit and waits up to 1 s of board_now_ms for
 * the reply through mac_receive; prints the peer's MAC. 0 when it came, -1 otherwise. */
int mac_selftest_arp(const uint8_t mac[6], uint32_t our_ip, uint32_t peer_ip);
#endif
