/* lwIP options for the Cortex-M3 code-size comparison (bench/lwip/m3/size.sh): a bare-metal
 * NO_SYS build with what this stack has — IPv4, ARP, ICMP, TCP with window scaling, SACK-less
 * (lwIP 2.1.3 receives SACK only with LWIP_TCP_SACK_OUT), keepalive, timestamps off (lwIP's are
 * partial) — and static pools, as an embedded user would configure it. */
#ifndef LWIPOPTS_M3_H
#define LWIPOPTS_M3_H
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
#define IP_REASSEMBLY           0
#define IP_FRAG                 0
#define LWIP_WND_SCALE          1
#define TCP_RCV_SCALE           1
#define TCP_MSS                 1460
#define TCP_WND                 (16 * TCP_MSS)
#define TCP_SND_BUF             (8 * TCP_MSS)
#define LWIP_TCP_KEEPALIVE      1
#define LWIP_TCP_SACK_OUT       1
#define TCP_QUEUE_OOSEQ         1
#define MEM_ALIGNMENT           4
#define MEM_SIZE                (32 * 1024)
#define MEMP_NUM_TCP_PCB        16
#define MEMP_NUM_TCP_PCB_LISTEN 4
#define MEMP_NUM_TCP_SEG        64
#define PBUF_POOL_SIZE          32
#define LWIP_STATS              0
#define LWIP_NOASSERT           1
#define LWIP_PROVIDE_ERRNO      1
#define LWIP_RAND()             ((u32_t)0x12345678)
#endif
