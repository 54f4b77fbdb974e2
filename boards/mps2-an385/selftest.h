/* Board bring-up checks that need no stack: chip identity, link, one ARP exchange with slirp. */
#ifndef SELFTEST_H
#define SELFTEST_H
#include <stdint.h>
/* 0 when the LAN9118 answered, came up and an ARP reply for `peer_ip` arrived. */
int selftest_arp(const uint8_t mac[6], uint32_t our_ip, uint32_t peer_ip);
#endif
