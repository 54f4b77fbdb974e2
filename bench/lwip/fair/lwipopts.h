/* lwIP options of the fair pair harness (bench/lwip/pair.c): lwIP 2.1.3 as a bare-metal user builds
 * it — NO_SYS with the raw API, static pools, no asserts, no stats, no loopback netif — with what the
 * other side of the comparison has: MSS 1460, a 64 KiB receive window and send buffer (this stack's
 * tcp_rmem_default/tcp_wmem_default are set to 65535 in bench/wasm2c/pair.c), no timestamps, and
 * lwIP's fastest portable checksum (LWIP_CHKSUM_ALGORITHM 3). Pools are sized so that a full window
 * of segments fits: nothing in a run waits for memory. */
#ifndef LWIPOPTS_FAIR_H
#define LWIPOPTS_FAIR_H
#define NO_SYS                  1
#define SYS_LIGHTWEIGHT_PROT    0
#define LWIP_SOCKET             0
#define LWIP_NETCONN            0
#define LWIP_IPV4               1
#define LWIP_IPV6               0
#define LWIP_ARP                1
#define LWIP_ETHERNET           1
#define LWIP_ICMP               1
#define LWIP_RAW                0
#define LWIP_UDP                1
#define LWIP_TCP                1
#define LWIP_DHCP               0
#define LWIP_DNS                0
#define LWIP_IGMP               0
#define LWIP_NETIF_LOOPBACK     0
#define IP_REASSEMBLY           0
#define IP_FRAG                 0
#define LWIP_WND_SCALE          0
#define TCP_MSS                 1460
#define TCP_WND                 65535
#define TCP_SND_BUF             65535
#define TCP_SND_QUEUELEN        128
#define MEMP_NUM_TCP_SEG        256
#define TCP_QUEUE_OOSEQ         1
#define LWIP_TCP_TIMESTAMPS     0
#define LWIP_TCP_KEEPALIVE      1
#define MEM_ALIGNMENT           8
#define MEM_SIZE                (256 * 1024)
#define MEMP_NUM_PBUF           64
#define PBUF_POOL_SIZE          256
#define PBUF_POOL_BUFSIZE       1536
#define MEMP_NUM_TCP_PCB        16
#define MEMP_NUM_TCP_PCB_LISTEN 4
#define LWIP_CHKSUM_ALGORITHM   3
#define LWIP_STATS              0
#define LWIP_NOASSERT           1
#define LWIP_PROVIDE_ERRNO      1
#include <stdint.h>
uint32_t bench_lwip_rand(void);
#define LWIP_RAND()             bench_lwip_rand()
#endif
