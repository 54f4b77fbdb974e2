/* Third-party code unchanged on asnet's sockets: the standard names (socket, connect, select,
 * struct sockaddr_in, fd_set, FD_SET, SOL_SOCKET, getaddrinfo, ...) become asnet's, as lwIP's
 * LWIP_COMPAT_SOCKETS does. Off by default: nothing happens unless ASNET_COMPAT_SOCKETS is defined.
 * With ASNET_COMPAT_POSIX_IO also read/write/close/fcntl (then every descriptor those calls see
 * must be a socket; lwIP's LWIP_POSIX_SOCKETS_IO_NAMES).
 *
 * Use it first, e.g. `cc -DASNET_COMPAT_SOCKETS -DASNET_COMPAT_POSIX_IO -include asnet_compat.h
 * net_sockets.c`: the system's socket headers are read here, before the names are redefined, so
 * their own declarations keep the system's names and later #includes of them are no-ops. */
#ifndef ASNET_COMPAT_H
#define ASNET_COMPAT_H
#ifdef ASNET_COMPAT_SOCKETS

#if !defined(ESP_PLATFORM)
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/select.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <fcntl.h>
#include <unistd.h>
#endif
#include <errno.h>
#include "asnet_sockets.h"

/* types */
#define sockaddr asnet_sockaddr
#define sockaddr_in asnet_sockaddr_in
#define sockaddr_storage asnet_sockaddr_storage
#define in_addr asnet_in_addr
#define linger asnet_linger
#define pollfd asnet_pollfd
#define addrinfo asnet_addrinfo
#define socklen_t asnet_socklen_t
#define nfds_t asnet_nfds_t
#define fd_set asnet_fd_set

/* calls */
#define socket asnet_socket
#define bind asnet_bind
#define listen asnet_listen
#define accept asnet_accept
#define connect asnet_connect
#define send asnet_send
#define recv asnet_recv
#define sendto asnet_sendto
#define recvfrom asnet_recvfrom
#define shutdown asnet_shutdown
#define setsockopt asnet_setsockopt
#define getsockopt asnet_getsockopt
#define getsockname asnet_getsockname
#define getpeername asnet_getpeername
#define select asnet_select
#define poll asnet_sock_poll
#define getaddrinfo asnet_getaddrinfo
#define freeaddrinfo asnet_freeaddrinfo
#define gai_strerror asnet_gai_strerror
#define inet_pton asnet_inet_pton
#define inet_ntop asnet_inet_ntop
#define inet_addr asnet_inet_addr
#ifdef ASNET_COMPAT_POSIX_IO
#define read asnet_read
#define write asnet_write
#define close asnet_close
#define fcntl asnet_fcntl
#endif

/* constants (the system's may differ: lwIP's SOL_SOCKET is 0xfff) */
#define ASNET_COMPAT_REDEFINE_DONE
#undef AF_UNSPEC
#undef AF_INET
#undef AF_INET6
#undef PF_INET
#undef SOCK_STREAM
#undef SOCK_DGRAM
#undef SOCK_NONBLOCK
#undef IPPROTO_IP
#undef IPPROTO_TCP
#undef IPPROTO_UDP
#undef SOL_SOCKET
#undef SO_REUSEADDR
#undef SO_TYPE
#undef SO_ERROR
#undef SO_SNDBUF
#undef SO_RCVBUF
#undef SO_KEEPALIVE
#undef SO_LINGER
#undef SO_RCVTIMEO
#undef SO_SNDTIMEO
#undef TCP_NODELAY
#undef TCP_MAXSEG
#undef TCP_KEEPIDLE
#undef TCP_KEEPINTVL
#undef TCP_KEEPCNT
#undef MSG_PEEK
#undef MSG_DONTWAIT
#undef MSG_WAITALL
#undef MSG_NOSIGNAL
#undef SHUT_RD
#undef SHUT_WR
#undef SHUT_RDWR
#undef INADDR_ANY
#undef INADDR_LOOPBACK
#undef INADDR_NONE
#undef INET_ADDRSTRLEN
#undef POLLIN
#undef POLLPRI
#undef POLLOUT
#undef POLLERR
#undef POLLHUP
#undef POLLNVAL
#undef POLLRDNORM
#undef POLLWRNORM
#undef AI_PASSIVE
#undef AI_CANONNAME
#undef AI_NUMERICHOST
#undef AI_NUMERICSERV
#undef EAI_BADFLAGS
#undef EAI_NONAME
#undef EAI_AGAIN
#undef EAI_FAIL
#undef EAI_FAMILY
#undef EAI_SOCKTYPE
#undef EAI_SERVICE
#undef EAI_MEMORY
#undef EAI_SYSTEM
#undef FD_SETSIZE
#undef FD_SET
#undef FD_CLR
#undef FD_ISSET
#undef FD_ZERO
#define AF_UNSPEC ASNET_AF_UNSPEC
#define AF_INET ASNET_AF_INET
#define AF_INET6 ASNET_AF_INET6
#define PF_INET ASNET_PF_INET
#define SOCK_STREAM ASNET_SOCK_STREAM
#define SOCK_DGRAM ASNET_SOCK_DGRAM
#define SOCK_NONBLOCK ASNET_SOCK_NONBLOCK
#define IPPROTO_IP ASNET_IPPROTO_IP
#define IPPROTO_TCP ASNET_IPPROTO_TCP
#define IPPROTO_UDP ASNET_IPPROTO_UDP
#define SOL_SOCKET ASNET_SOL_SOCKET
#define SO_REUSEADDR ASNET_SO_REUSEADDR
#define SO_TYPE ASNET_SO_TYPE
#define SO_ERROR ASNET_SO_ERROR
#define SO_SNDBUF ASNET_SO_SNDBUF
#define SO_RCVBUF ASNET_SO_RCVBUF
#define SO_KEEPALIVE ASNET_SO_KEEPALIVE
#define SO_LINGER ASNET_SO_LINGER
#define SO_RCVTIMEO ASNET_SO_RCVTIMEO
#define SO_SNDTIMEO ASNET_SO_SNDTIMEO
#define TCP_NODELAY ASNET_TCP_NODELAY
#define TCP_MAXSEG ASNET_TCP_MAXSEG
#define TCP_KEEPIDLE ASNET_TCP_KEEPIDLE
#define TCP_KEEPINTVL ASNET_TCP_KEEPINTVL
#define TCP_KEEPCNT ASNET_TCP_KEEPCNT
#define MSG_PEEK ASNET_MSG_PEEK
#define MSG_DONTWAIT ASNET_MSG_DONTWAIT
#define MSG_WAITALL ASNET_MSG_WAITALL
#define MSG_NOSIGNAL ASNET_MSG_NOSIGNAL
#define SHUT_RD ASNET_SHUT_RD
#define SHUT_WR ASNET_SHUT_WR
#define SHUT_RDWR ASNET_SHUT_RDWR
#define INADDR_ANY ASNET_INADDR_ANY
#define INADDR_LOOPBACK ASNET_INADDR_LOOPBACK
#define INADDR_NONE ASNET_INADDR_NONE
#define INET_ADDRSTRLEN ASNET_INET_ADDRSTRLEN
#define POLLIN ASNET_POLLIN
#define POLLPRI ASNET_POLLPRI
#define POLLOUT ASNET_POLLOUT
#define POLLERR ASNET_POLLERR
#define POLLHUP ASNET_POLLHUP
#define POLLNVAL ASNET_POLLNVAL
#define POLLRDNORM ASNET_POLLRDNORM
#define POLLWRNORM ASNET_POLLWRNORM
#define AI_PASSIVE ASNET_AI_PASSIVE
#define AI_CANONNAME ASNET_AI_CANONNAME
#define AI_NUMERICHOST ASNET_AI_NUMERICHOST
#define AI_NUMERICSERV ASNET_AI_NUMERICSERV
#define EAI_BADFLAGS ASNET_EAI_BADFLAGS
#define EAI_NONAME ASNET_EAI_NONAME
#define EAI_AGAIN ASNET_EAI_AGAIN
#define EAI_FAIL ASNET_EAI_FAIL
#define EAI_FAMILY ASNET_EAI_FAMILY
#define EAI_SOCKTYPE ASNET_EAI_SOCKTYPE
#define EAI_SERVICE ASNET_EAI_SERVICE
#define EAI_MEMORY ASNET_EAI_MEMORY
#define EAI_SYSTEM ASNET_EAI_SYSTEM
#define FD_SETSIZE ASNET_FD_SETSIZE
#define FD_SET ASNET_FD_SET
#define FD_CLR ASNET_FD_CLR
#define FD_ISSET ASNET_FD_ISSET
#define FD_ZERO ASNET_FD_ZERO
#endif /* ASNET_COMPAT_SOCKETS */
#endif
