/* Sends one ARP request (RFC 826) for the gateway and waits for the reply: proves a board's MAC
 * driver transmits and receives end to end (mps2-an385: LAN9118 FIFOs; riscv-virt: virtio
 * rings) before the stack starts. Uses only mac.h and board.h. */
#include <stdio.h>
#include <string.h>
#include "board.h"
#include "mac.h"
#include "mac_selftest.h"

#define ETH_TYPE_ARP 0x0806u
#define ARP_REQUEST 1u
#define ARP_REPLY 2u
#define ARP_FRAME_LEN 42u
#define REPLY_WAIT_MS 1000u

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }
static uint32_t get16(const uint8_t *p) { return ((uint32_t)p[0] << 8) | p[1]; }
static uint32_t get32(const uint8_t *p) { return (get16(p) << 16) | get16(p + 2); }

static void build_arp_request(uint8_t *f, const uint8_t mac[6], uint32_t our_ip, uint32_t peer_ip)
{
    memset(f, 0xff, 6);                 /* broadcast destination */
    memcpy(f + 6, mac, 6);
    put16(f + 12, ETH_TYPE_ARP);
    put16(f + 14, 1);                   /* hardware: Ethernet */
    put16(f + 16, 0x0800);              /* protocol: IPv4 */
    f[18] = 6; f[19] = 4;
    put16(f + 20, ARP_REQUEST);
    memcpy(f + 22, mac, 6);
    put32(f + 28, our_ip);
    memset(f + 32, 0, 6);
    put32(f + 38, peer_ip);
}

static int is_arp_reply_from(const uint8_t *f, int len, uint32_t peer_ip)
{
    return len >= (int)ARP_FRAME_LEN && get16(f + 12) == ETH_TYPE_ARP
        && get16(f + 20) == ARP_REPLY && get32(f + 28) == peer_ip;
}

static int wait_for_reply(uint32_t peer_ip)
{
    static uint8_t frame[1536];
    uint32_t start = board_now_ms();
    while (board_now_ms() - start < REPLY_WAIT_MS) {
        int len = mac_receive(frame, sizeof frame);
        if (len > 0 && is_arp_reply_from(frame, len, peer_ip)) {
            printf("selftest: ARP reply from %lu.%lu.%lu.%lu is %02x:%02x:%02x:%02x:%02x:%02x\n",
                   (unsigned long)(peer_ip >> 24), (unsigned long)((peer_ip >> 16) & 255),
                   (unsigned long)((peer_ip >> 8) & 255), (unsigned long)(peer_ip & 255),
                   frame[22], frame[23], frame[24], frame[25], frame[26], frame[27]);
            return 0;
        }
    }
    return -1;
}

int mac_selftest_arp(const uint8_t mac[6], uint32_t our_ip, uint32_t peer_ip)
{
    uint8_t request[ARP_FRAME_LEN];
    build_arp_request(request, mac, our_ip, peer_ip);
    if (mac_transmit(request, sizeof request) < 0) {
        printf("selftest: transmitter busy\n");
        return -1;
    }
    if (wait_for_reply(peer_ip) < 0) {
        printf("selftest: no ARP reply within %u ms\n", REPLY_WAIT_MS);
        return -1;
    }
    return 0;
}
