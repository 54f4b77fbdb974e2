/* What Linux gives a program that runs a TCP/IP stack on a TAP device: the device, a millisecond
 * clock and random words. Shared by the posix board (tap.c, main.c, mqtt_main.c) and the lwIP TAP
 * benchmark (bench/lwip/tap.c), so both stacks get them the same way. */
#ifndef LINUX_HOST_H
#define LINUX_HOST_H
#include <errno.h>
#include <stdint.h>
#include <time.h>
#include <sys/random.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/if.h>
#include <linux/if_tun.h>

/* Opens the TAP device `name` (/dev/net/tun, IFF_TAP | IFF_NO_PI: whole Ethernet frames per read()
 * and write(), no packet-info header), non-blocking. Returns the descriptor, or -errno. The
 * kernel's name for the device is copied to `got` (IFNAMSIZ bytes) when it is not NULL. */
static inline int tun_open_tap(const char *name, char *got)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) { int e = -errno; close(fd); return e; }
    if (got) memcpy(got, ifr.ifr_name, IFNAMSIZ);
    return fd;
}

/* Milliseconds of CLOCK_MONOTONIC (wraps after 49 days, as the stack's u32 clock expects). */
static inline uint32_t linux_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

/* A word from the kernel's CSPRNG (getrandom); a clock-derived word if that ever fails. */
static inline uint32_t linux_random(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) v = linux_now_ms() * 2654435761u;
    return v;
}
#endif
