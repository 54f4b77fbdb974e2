/* impair-relay: bridges two TAP devices, each opened inside its own network namespace, through the
 * seeded impairment of impair.c (the same model and seed as the posix board's --impair), so that two
 * Linux kernels can talk through exactly the impairment the board sees: the reference beside the
 * board in test/impair.test.ts. Frames from A go to B as direction OUT, from B to A as IN.
 *
 *   impair-relay NS_A TAP_A NS_B TAP_B SPEC       runs until SIGTERM, then prints its counters */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include "impair.h"

static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s; stop = 1; }

static uint32_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static int open_tap_in(const char *ns, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "/var/run/netns/%s", ns);
    int nfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nfd < 0 || setns(nfd, CLONE_NEWNET) < 0) { perror(path); return -1; }
    close(nfd);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) { perror("/dev/net/tun"); return -1; }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror(name); close(fd); return -1; }
    return fd;
}

static void flush(const int *fd)
{
    uint8_t f[1536];
    int n;
    while ((n = impair_release(IMPAIR_OUT, now_ms(), f, sizeof f)) > 0) (void)!write(fd[1], f, (size_t)n);
    while ((n = impair_release(IMPAIR_IN, now_ms(), f, sizeof f)) > 0) (void)!write(fd[0], f, (size_t)n);
}

int main(int argc, char **argv)
{
    if (argc != 6) { fprintf(stderr, "usage: impair-relay NS_A TAP_A NS_B TAP_B SPEC\n"); return 64; }
    if (impair_parse(argv[5]) < 0) { fprintf(stderr, "bad impairment spec: %s\n", argv[5]); return 64; }
    int fd[2] = { open_tap_in(argv[1], argv[2]), open_tap_in(argv[3], argv[4]) };
    if (fd[0] < 0 || fd[1] < 0) return 1;
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("relay: up\n");
    uint8_t f[1536];
    while (!stop) {
        for (int side = 0; side < 2; side++) {
            ssize_t n;
            while ((n = read(fd[side], f, sizeof f)) >= 14) {
                impair_submit(side == 0 ? IMPAIR_OUT : IMPAIR_IN, f, (uint32_t)n, now_ms());
                flush(fd);                   /* frames due now leave at once: the queue only holds delayed ones */
            }
        }
        flush(fd);
        int32_t wait = impair_next_ms(now_ms());
        struct pollfd p[2] = { { .fd = fd[0], .events = POLLIN }, { .fd = fd[1], .events = POLLIN } };
        (void)poll(p, 2, wait < 0 || wait > 50 ? 50 : wait);
    }
    impair_print(stdout);
    return 0;
}
