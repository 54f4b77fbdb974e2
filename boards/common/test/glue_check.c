/* A host check of boards/common with the real wasm2c-compiled stack and a fake board (no TAP, no
 * root): the TX ring, the 250/500 ms timers by the clock, trap recovery with a real trap unwinding
 * through the generated code, and random frames and random export calls that must never trap.
 * Linked with -Wl,--wrap=Z_stackZ_tcp_fasttmr,--wrap=Z_stackZ_tcp_slowtmr,--wrap=Z_envZ_now_ms
 * (boards/posix `make check`). Prints one line per check; exit status 0 when all pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "asnet.h"
#include "board.h"
#include "mac.h"
#include "stack_glue.h"
#include "wasm_rt_static.h"
#include "stack.h"

#define OUR_IP 0xC0000202u
static const uint8_t our_mac[6] = { 2, 0, 0, 0, 0, 2 };
static uint32_t clock_ms = 1000;
static uint32_t rng = 0x12345678u;
static int failures;

/* ---- the fake board ---- */

static uint8_t rx_frame[1536];
static int rx_len;                       /* one frame waiting, 0 = none */
static int mac_busy, tx_count;
static uint8_t last_tx[1514];
static uint32_t last_tx_len;
static int fast_ticks, slow_ticks, trap_next_clock_read;

uint32_t board_now_ms(void) { return clock_ms; }
uint32_t board_random(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
void board_log(const char *line) { printf("  log: %s\n", line); }
void board_fatal(const char *why) { printf("FAIL fatal: %s\n", why); exit(1); }

int mac_init(const uint8_t mac[6]) { (void)mac; return 0; }
int mac_link_up(void) { return 1; }

int mac_transmit(const uint8_t *frame, uint32_t len)
{
    if (mac_busy) return -1;
    memcpy(last_tx, frame, len);
    last_tx_len = len;
    tx_count++;
    return 0;
}

int mac_receive(uint8_t *buf, uint32_t cap)
{
    if (rx_len == 0) return 0;
    int n = rx_len <= (int)cap ? rx_len : (int)cap;
    memcpy(buf, rx_frame, (size_t)n);
    rx_len = 0;
    return n;
}

/* Counters around the stack's own functions (ld --wrap). */
u32 __real_Z_stackZ_tcp_fasttmr(Z_stack_instance_t *i);
u32 __real_Z_stackZ_tcp_slowtmr(Z_stack_instance_t *i);
u32 __real_Z_envZ_now_ms(struct Z_env_instance_t *e);
u32 __wrap_Z_stackZ_tcp_fasttmr(Z_stack_instance_t *i) { fast_ticks++; return __real_Z_stackZ_tcp_fasttmr(i); }
u32 __wrap_Z_stackZ_tcp_slowtmr(Z_stack_instance_t *i) { slow_ticks++; return __real_Z_stackZ_tcp_slowtmr(i); }

/* env.now_ms as the module sees it: can raise a real trap inside a call into the module. */
u32 __wrap_Z_envZ_now_ms(struct Z_env_instance_t *e)
{
    if (trap_next_clock_read) { trap_next_clock_read = 0; wasm_rt_trap(WASM_RT_TRAP_OOB); }
    return __real_Z_envZ_now_ms(e);
}

/* ---- helpers ---- */

static void check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) failures++;
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }

/* An ARP request (RFC 826) for our address from 192.0.2.<host>. */
static void inject_arp_request(uint32_t host)
{
    uint8_t *f = rx_frame;
    memset(f, 0, 60);
    memset(f, 0xff, 6);
    const uint8_t peer[6] = { 2, 0, 0, 0, 1, (uint8_t)host };
    memcpy(f + 6, peer, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1); put16(f + 16, 0x0800); f[18] = 6; f[19] = 4; put16(f + 20, 1);
    memcpy(f + 22, peer, 6); put32(f + 28, 0xC0000200u | host);
    put32(f + 38, OUR_IP);
    rx_len = 60;
}

static int last_tx_is_arp_reply(void)
{
    return last_tx_len >= 42 && last_tx[12] == 0x08 && last_tx[13] == 0x06 && last_tx[21] == 2;
}

static void run_for(uint32_t ms, uint32_t step)
{
    for (uint32_t t = 0; t < ms; t += step) { clock_ms += step; (void)asnet_poll(); }
}

/* ---- checks ---- */

static void check_tx_path(void)
{
    inject_arp_request(1);
    (void)asnet_poll();
    check(tx_count == 1 && last_tx_is_arp_reply(), "ARP request in, ARP reply out through mac_transmit");
    mac_busy = 1;
    for (uint32_t h = 10; h < 10 + STACK_GLUE_TX_RING + 2; h++) { inject_arp_request(h); (void)asnet_poll(); }
    const struct stack_glue_stats *s = stack_glue_stats();
    check(s->tx_queued == STACK_GLUE_TX_RING && s->tx_drops == 2, "busy MAC: 4 frames wait in the TX ring, the rest are dropped");
    mac_busy = 0;
    (void)asnet_poll();
    check(tx_count == 1 + STACK_GLUE_TX_RING, "the ring drains once the MAC takes frames again");
}

static void check_timers(void)
{
    int f0 = fast_ticks, s0 = slow_ticks;
    run_for(10000, 10);
    int f = fast_ticks - f0, s = slow_ticks - s0;
    printf("  10 s of 10 ms steps: %d fast ticks, %d slow ticks\n", f, s);
    check(f >= 39 && f <= 41 && s >= 19 && s <= 21, "fast timer every 250 ms, slow timer every 500 ms");
    f0 = fast_ticks;
    clock_ms += 60000;                                    /* a long stall: no burst of 240 ticks */
    (void)asnet_poll();
    run_for(1000, 10);
    f = fast_ticks - f0;
    check(f >= 4 && f <= 6, "after a 60 s stall the timers resynchronise instead of bursting");
}

static void check_trap_recovery(void)
{
    int32_t before = asnet_tcp_listen(7, 4, NULL, NULL);
    inject_arp_request(3);
    (void)asnet_poll();
    int32_t arp_in = asnet_stat(STACK_STAT_arp_in), arp_out = asnet_stat(STACK_STAT_arp_out);
    trap_next_clock_read = 1;
    clock_ms += 250;
    (void)asnet_poll();
    const char *why = NULL;
    int trapped = asnet_trapped(&why);
    check(trapped == 1 && why && strstr(why, "out-of-bounds"), "a trap inside the module is caught and reported");
    check(asnet_trapped(NULL) == 0, "the trap is reported once");
    check(before > 0 && asnet_tcp_state(before) < 0, "the restarted module has none of the old handles");
    int32_t after = asnet_tcp_listen(7, 4, NULL, NULL);
    check(after > 0 && asnet_tcp_state(after) == STACK_LISTEN, "the restarted module accepts new listeners");
    int tx0 = tx_count;
    inject_arp_request(3);
    (void)asnet_poll();
    check(tx_count == tx0 + 1 && last_tx_is_arp_reply(), "the restarted module answers ARP");
    check(arp_in > 0 && asnet_stat(STACK_STAT_arp_in) == arp_in + 1 && asnet_stat(STACK_STAT_arp_out) == arp_out + 1,
          "protocol counters survive the restart (carried + live)");
}

/* The zero-copy calls through asnet.c (docs/ABI.md "Zero-copy"): pointers into linear memory,
 * the data queued in place, every misuse's error code. */
static void check_zero_copy(void)
{
    uint8_t *w = NULL;
    const uint8_t *r = NULL;
    int32_t l = asnet_tcp_listen(9, 4, NULL, NULL);
    check(asnet_tcp_send_reserve(0x7f01, 10, &w) == STACK_EBADF && w == NULL, "zero-copy: reserve on a bad handle: EBADF");
    check(asnet_tcp_send_reserve(l, 10, &w) == STACK_EOPNOTSUPP, "zero-copy: reserve on a listener: EOPNOTSUPP");
    check(asnet_tcp_recv_peek(l, 10, &r) == STACK_EOPNOTSUPP, "zero-copy: peek on a listener: EOPNOTSUPP");
    int32_t c = asnet_tcp_connect(0xC0000201u, 80, NULL, NULL);    /* SYN_SENT: data may be queued already */
    check(asnet_tcp_send_commit(c, 1) == STACK_EINVAL, "zero-copy: commit without a reservation: EINVAL");
    check(asnet_tcp_send_reserve(c, 0, &w) == STACK_EINVAL, "zero-copy: reserve of 0 bytes: EINVAL");
    int32_t n = asnet_tcp_send_reserve(c, 5000, &w);
    check(n > 0 && n <= 1024 && w != NULL && stack_glue_mem(0, 1) != NULL && w >= stack_glue_mem(0, 1),
          "zero-copy: reserve gives at most one block, inside linear memory");
    if (n > 0 && w != NULL) memset(w, 0x5a, (size_t)n);
    check(asnet_tcp_send_commit(c, (size_t)n + 1) == STACK_EINVAL, "zero-copy: commit more than reserved: EINVAL");
    check(asnet_tcp_send_commit(c, (size_t)n) == n, "zero-copy: commit queues the reserved bytes");
    uint32_t info[17];
    uint32_t size, io = stack_glue_io(&size);
    int32_t ir = stack_glue_call2(STACK_RT_tcp_info, (uint32_t)c, io);
    if (ir == 0) memcpy(info, stack_glue_mem(io, sizeof info), sizeof info);
    check(ir == 0 && info[9] == (uint32_t)n, "zero-copy: tcp_info's send queue holds the committed bytes");
    check(asnet_tcp_recv_peek(c, 10, &r) == STACK_EAGAIN && r == NULL, "zero-copy: peek with nothing received: EAGAIN");
    check(asnet_tcp_recv_consume(c, 1) == STACK_EINVAL, "zero-copy: consume more than is queued: EINVAL");
    asnet_tcp_abort(c);
    asnet_tcp_close(l);
}

/* Random frames, half of them addressed to us with an IPv4 or ARP type (RFC 894 framing). */
static void fuzz_frames(int n)
{
    for (int i = 0; i < n; i++) {
        int len = (int)(board_random() % 1537);
        for (int b = 0; b < len; b++) rx_frame[b] = (uint8_t)board_random();
        if (len >= 34 && (i & 1)) {
            memcpy(rx_frame, our_mac, 6);
            put16(rx_frame + 12, (i & 2) ? 0x0800 : 0x0806);
            rx_frame[14] = 0x45;
            put32(rx_frame + 30, OUR_IP);
        }
        rx_len = len;
        clock_ms += board_random() % 3;
        (void)asnet_poll();
    }
}

/* Random calls of every export with random arguments: misuse returns errors (docs/ABI.md). */
static void fuzz_calls(int n)
{
    for (int i = 0; i < n; i++) {
        enum stack_rt_export fn = (enum stack_rt_export)(board_random() % STACK_RT_EXPORT_COUNT);
        if (fn == STACK_RT_stack_init || fn == STACK_RT_netif_set_addr) continue;   /* keep our address */
        static const uint8_t argc[] = {
#define ARGC(name, n) n,
            STACK_RT_EXPORTS(ARGC)
#undef ARGC
        };
        uint32_t a[STACK_RT_MAX_ARGS];
        for (unsigned k = 0; k < STACK_RT_MAX_ARGS; k++) {
            uint32_t r = board_random();
            a[k] = (r & 3) == 0 ? r : (r & 3) == 1 ? r % 8 : (r & 3) == 2 ? stack_glue_io(NULL) + r % 64 : r % 70000;
        }
        (void)stack_glue_call(fn, a, argc[fn]);
        if ((i & 15) == 0) (void)asnet_poll();
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct asnet_config cfg = { .ip = OUR_IP, .netmask = 0xFFFFFF00u, .gateway = 0xC0000201u };
    memcpy(cfg.mac, our_mac, 6);
    check(asnet_init(&cfg) == 0, "asnet_init on the wasm2c runtime with static linear memory");
    check_tx_path();
    check_timers();
    check_zero_copy();
    check_trap_recovery();
    uint32_t traps = stack_glue_stats()->traps;
    fuzz_frames(20000);
    check(stack_glue_stats()->traps == traps, "20000 random frames: no trap");
    fuzz_calls(50000);
    check(stack_glue_stats()->traps == traps, "50000 random export calls: no trap");
    printf("%s\n", failures ? "glue-check: FAIL" : "glue-check: PASS");
    return failures ? 1 : 0;
}
