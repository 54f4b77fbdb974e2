/* lwIP 2.1.3 options for the size comparison of its sockets layer (boards/common/sockets/size.sh):
 * what boards/common/sockets offers — BSD sockets over netconn with the tcpip thread and its
 * message box (LWIP_TCPIP_CORE_LOCKING 0: the same message model), select and poll, SO_RCVTIMEO /
 * SO_SNDTIMEO / SO_LINGER / keepalive options, getaddrinfo through DNS, 16 sockets — on an IPv4 TCP +
 * UDP core configured as bench/lwip/m3/lwipopts.h has it. */
#ifndef LWIPOPTS_SOCK_SIZE_H
#define LWIPOPTS_SOCK_SIZE_H
#define NO_SYS                  0
#define SYS_LIGHTWEIGHT_PROT    1
#define LWIP_SOCKET             1
#define LWIP_NETCONN            1
#define LWIP_TCPIP_CORE_LOCKING 0
#define LWIP_COMPAT_SOCKETS     0
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SOCKET_SELECT      1
#define LWIP_SOCKET_POLL        1
#define LWIP_SO_RCVTIMEO        1
#define LWIP_SO_SNDTIMEO        1
#define LWIP_SO_LINGER          1
#define LWIP_SO_RCVBUF          0
#define LWIP_TCP_KEEPALIVE      1
#define LWIP_DNS                1
#define LWIP_IPV4               1
#define LWIP_IPV6               0
#define LWIP_ARP                1
#define LWIP_ETHERNET           1
#define LWIP_ICMP               1
#define LWIP_RAW                0
#define LWIP_UDP                1
#define LWIP_TCP                1
#define LWIP_DHCP               0
#define LWIP_IGMP               0
#define IP_REASSEMBLY           0
#define IP_FRAG                 0
#define LWIP_WND_SCALE          1
#define TCP_RCV_SCALE           1
#define TCP_MSS                 1460
#define TCP_WND                 (16 * TCP_MSS)
#define TCP_SND_BUF             (8 * TCP_MSS)
#define MEM_ALIGNMENT           4
#define MEM_SIZE                (32 * 1024)
#define MEMP_NUM_TCP_PCB        16
#define MEMP_NUM_NETCONN        16
#define MEMP_NUM_TCP_PCB_LISTEN 4
#define TCPIP_MBOX_SIZE         8
#define DEFAULT_TCP_RECVMBOX_SIZE 8
#define DEFAULT_UDP_RECVMBOX_SIZE 8
#define DEFAULT_ACCEPTMBOX_SIZE 8
#define LWIP_STATS              0
#define LWIP_NOASSERT           1
#define LWIP_PROVIDE_ERRNO      1
#define LWIP_RAND()             ((u32_t)0x12345678)
#endif
