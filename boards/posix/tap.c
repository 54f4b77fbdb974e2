/* mac.h on a Linux TAP device (/dev/net/tun, IFF_TAP | IFF_NO_PI): frames in and out as read()
 * and write() of whole Ethernet frames. Non-blocking; board_wait() sleeps in poll() on it.
 *
 * Receive budget (tap_set_rx_burst): at most N frames per main-loop step, so the application reads
 * between bursts. Without it one step hands the stack up to 64 frames (stack_glue.c's RX_BURST),
 * more than a 64 KiB window holds: measured with bench/tap.ts, the board ACKed the whole burst
 * with a shrinking window down to 0, then sent a window update for every 2 KiB the discard service
 * read (a third more frames than lwIP, and the kernel sender stalled at each zero window). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include "board.h"
#include "impair.h"
#include "mac.h"
#include "posix.h"
#include "linux_host.h"

static int tap_fd = -1;
static char tap_name[IFNAMSIZ];
static uint32_t rx_burst, rx_left;     /* 0: no budget (every frame the stack asks for) */
static int rx_cut;                      /* the budget ran out this step: frames may be waiting */

void tap_set_rx_burst(uint32_t frames) { rx_burst = rx_left = frames; }

int tap_rx_step(void)
{
    int cut = rx_cut;
    rx_cut = 0;
    rx_left = rx_burst;
    return cut;
}

int tap_open(const char *name)
{
    int fd = tun_open_tap(name, tap_name);
    if (fd < 0) return fd;
    tap_fd = fd;
    return 0;
}

int mac_init(const uint8_t mac[6])
{
    (void)mac;                           /* the stack's MAC is ours; the TAP passes every frame */
    return tap_fd >= 0 ? 0 : -1;
}

int mac_link_up(void) { return tap_fd >= 0; }

/* --impair: frames wait in impair.c's queues; the due ones go out (or in) here. */
static void flush_impaired_out(void)
{
    uint8_t f[1536];
    int n;
    while ((n = impair_release(IMPAIR_OUT, board_now_ms(), f, sizeof f)) > 0) (void)!write(tap_fd, f, (size_t)n);
}

int mac_transmit(const uint8_t *frame, uint32_t len)
{
    if (impair_config()->on) {
        impair_submit(IMPAIR_OUT, frame, len, board_now_ms());
        flush_impaired_out();
        return 0;
    }
    ssize_t n = write(tap_fd, frame, len);
    if (n == (ssize_t)len) return 0;
    return (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) ? -1 : 0;   /* other errors: dropped */
}

static int receive_one(uint8_t *buf, uint32_t cap)
{
    if (impair_config()->on) {
        uint8_t f[1536];
        ssize_t r;
        while ((r = read(tap_fd, f, sizeof f)) >= 14) impair_submit(IMPAIR_IN, f, (uint32_t)r, board_now_ms());
        flush_impaired_out();
        return impair_release(IMPAIR_IN, board_now_ms(), buf, cap);
    }
    ssize_t n = read(tap_fd, buf, cap);
    if (n < 0) return 0;
    if (n < 14) return -1;
    return (int)n;
}

int mac_receive(uint8_t *buf, uint32_t cap)
{
    if (rx_burst && rx_left == 0) { rx_cut = 1; return 0; }
    int n = receive_one(buf, cap);
    if (n != 0 && rx_left > 0) rx_left--;
    return n;
}

void board_wait(int32_t ms) { board_wait_fd(ms, -1); }

void board_wait_fd(int32_t ms, int extra_fd)
{
    struct pollfd p[2] = { { .fd = tap_fd, .events = POLLIN }, { .fd = extra_fd, .events = POLLIN } };
    if (impair_config()->on) {
        flush_impaired_out();
        int32_t held = impair_next_ms(board_now_ms());
        if (held >= 0 && held < ms) ms = held;
    }
    (void)poll(p, extra_fd >= 0 ? 2 : 1, ms < 0 ? 0 : ms);
}
