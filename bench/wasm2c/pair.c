/* bench/wasm2c/pair.c: two instances of the wasm2c-compiled build/stack.wasm in one process,
 * joined by an in-memory Ethernet (frames copied from one's netif_output to the other's rx_buffer),
 * on a virtual millisecond clock that advances only when both sides are idle.
 *
 *   pair bulk MIB [LOSS_PPM SEED]   A sends MIB MiB to B (LOSS_PPM: TCP segments lost per million
 *                                   on the wire, seeded); prints {"bytes":..,"seconds":..,"wire":..}
 *   pair conn N                     N cycles of connect, 1 byte each way, close (both sides)
 *   pair rr N NODELAY               N request/response rounds of 64 bytes on one connection
 *   pair rr-loss N SIZE             N request/response rounds of SIZE bytes (TCP_NODELAY), each
 *                                   round's latency in virtual ms (p50, p99, max), under the
 *                                   wire's impairments
 *   any mode takes the wire's impairment options after its arguments: loss=PPM seed=S delay=MS
 *   (one way) burst=LEN/EVERY nth=N (bench/common/wire.h); bulk and rr-loss report the stack's
 *   RTOs (tcp_timeouts), tail-loss probes and fast retransmits, summed over both sides
 *   pair bulk-zc MIB [LOSS_PPM SEED] bulk through the zero-copy calls: the sender writes each chunk
 *                                   straight into the send buffer (tcp_send_reserve/commit), the
 *                                   receiver copies out of the receive buffer in place
 *                                   (tcp_recv_peek/consume): one copy each way, as lwIP's
 *                                   tcp_write / pbuf_copy_partial, instead of two through io_buffer
 *   pair zc-check                   the zero-copy calls at C level: 4 MiB byte-exact (mixed with
 *                                   tcp_send/tcp_recv) and every misuse's error code; exit 1 on failure
 *
 * The wire is bench/common/wire.c, shared with bench/lwip/pair.c; every run fails (exit 3) when
 * the frames on it do not carry what was delivered. Linked with Debian's wasm2c runtime
 * (wasm-rt-impl.c: one memory per instance; guard pages, or explicit bounds checks when built with
 * WASM_RT_MEMCHECK_SIGNAL_HANDLER=0 as on the boards). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "wasm-rt.h"
#include "stack.h"
#include "stack_abi.h"
#include "wire.h"

#define IP_A 0xC0000201u
#define IP_B 0xC0000202u
#define PORT 5001u
#define SO_RCVBUF_ID 4
#define SO_SNDBUF_ID 5
#define TCP_NODELAY_ID 7
#define EAGAIN_ (-11)

struct Z_env_instance_t { int side; };

static Z_stack_instance_t st[2];
static struct Z_env_instance_t envs[2] = { { 0 }, { 1 } };
static uint32_t now_ms = 1000, rng = 0x9e3779b9u;

u32 Z_envZ_now_ms(struct Z_env_instance_t *e) { (void)e; return now_ms; }
u32 Z_envZ_random(struct Z_env_instance_t *e) { (void)e; rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

/* The wire copies with glibc's memcpy, as lwIP's harness does (pbuf_copy_partial calls it): called
 * directly, gcc expands this bounded-length copy to `rep movsq`, which callgrind counts once per
 * 8 bytes (bench/README.md, "Figures"). */
static void *(*volatile const wire_copy)(void *, const void *, size_t) = memcpy;

void Z_envZ_netif_output(struct Z_env_instance_t *e, u32 ptr, u32 len)
{
    if (len <= WIRE_FRAME) wire_copy(wire_slot(e->side), st[e->side].w2c_memory.data + ptr, len);
    wire_commit(e->side, len);
}

static uint8_t *mem(int s, uint32_t off) { return st[s].w2c_memory.data + off; }

/* Delivers every queued frame; returns how many. */
static int deliver(void)
{
    int n = 0;
    for (int s = 0; s < 2; s++) {
        uint32_t rx = Z_stackZ_rx_buffer(&st[s]);
        const uint8_t *f;
        uint32_t len;
        while ((f = wire_peek(s, &len)) != NULL) {
            memcpy(mem(s, rx), f, len);
            wire_pop(s);
            Z_stackZ_netif_input(&st[s], len);
            n++;
        }
    }
    return n;
}

/* Nothing moved: let virtual time pass (timers: delayed ACKs, retransmissions). */
static void tick(void)
{
    now_ms += 1;
    if (wire_delay_ms) wire_advance();
    Z_stackZ_timers_run(&st[0]);
    Z_stackZ_timers_run(&st[1]);
}

static void pump_until_idle(void) { while (deliver()) {} }

static int32_t send_bytes(int s, int32_t h, const uint8_t *data, uint32_t len)
{
    uint32_t io = Z_stackZ_io_buffer(&st[s]);
    uint32_t cap = Z_stackZ_io_buffer_size(&st[s]);
    if (len > cap) len = cap;
    memcpy(mem(s, io), data, len);
    return (int32_t)Z_stackZ_tcp_send(&st[s], (u32)h, io, len);
}

static int32_t recv_bytes(int s, int32_t h, uint32_t max)
{
    uint32_t io = Z_stackZ_io_buffer(&st[s]);
    uint32_t cap = Z_stackZ_io_buffer_size(&st[s]);
    return (int32_t)Z_stackZ_tcp_recv(&st[s], (u32)h, io, max < cap ? max : cap);
}

/* Zero-copy: reserve up to len bytes of the send tail, copy the application's bytes there, commit. */
static int32_t send_zc(int s, int32_t h, const uint8_t *data, uint32_t len)
{
    uint32_t out = Z_stackZ_io_buffer(&st[s]);
    int32_t n = (int32_t)Z_stackZ_tcp_send_reserve(&st[s], (u32)h, len, out);
    if (n <= 0) return n;
    uint32_t at;
    memcpy(&at, mem(s, out), 4);
    memcpy(mem(s, at), data, (size_t)n);
    return (int32_t)Z_stackZ_tcp_send_commit(&st[s], (u32)h, (u32)n);
}

/* Zero-copy: the receive head in place, copied to the application's buffer, then consumed. */
static int32_t recv_zc(int s, int32_t h, uint8_t *dst, uint32_t max)
{
    uint32_t out = Z_stackZ_io_buffer(&st[s]);
    int32_t n = (int32_t)Z_stackZ_tcp_recv_peek(&st[s], (u32)h, max, out);
    if (n <= 0) return n;
    uint32_t at;
    memcpy(&at, mem(s, out), 4);
    memcpy(dst, mem(s, at), (size_t)n);
    return (int32_t)Z_stackZ_tcp_recv_consume(&st[s], (u32)h, (u32)n);
}

static int32_t listener;

static void setup(void)
{
    wasm_rt_init();
    wire_clock(&now_ms);
    Z_stack_init_module();
    for (int s = 0; s < 2; s++) {
        Z_stack_instantiate(&st[s], &envs[s]);
        Z_stackZ_stack_init(&st[s], 0x0200, (u32)(s + 1), s ? IP_B : IP_A, 0xFFFFFF00u, 0);
        Z_stackZ_sysctl_set(&st[s], STACK_SYSCTL_tcp_rmem_default, 65535);
        Z_stackZ_sysctl_set(&st[s], STACK_SYSCTL_tcp_wmem_default, 65535);
        /* lwIP's side runs without timestamps (LWIP_TCP_TIMESTAMPS 0): the same 1460-byte segments */
        Z_stackZ_sysctl_set(&st[s], STACK_SYSCTL_tcp_timestamps, 0);
    }
    listener = (int32_t)Z_stackZ_tcp_socket(&st[1]);
    Z_stackZ_tcp_bind(&st[1], (u32)listener, 0, PORT);
    Z_stackZ_tcp_listen(&st[1], (u32)listener, 64);
}

/* Connects A to B; returns the two handles once both are established. */
static void open_pair(int32_t *a, int32_t *b)
{
    *a = (int32_t)Z_stackZ_tcp_socket(&st[0]);
    Z_stackZ_tcp_connect(&st[0], (u32)*a, IP_B, PORT);
    for (int i = 0; i < 100000; i++) {
        pump_until_idle();
        *b = (int32_t)Z_stackZ_tcp_accept(&st[1], (u32)listener);
        if (*b > 0) return;
        tick();
    }
    fprintf(stderr, "pair: connect failed\n");
    exit(1);
}

/* ,"rto":..,"probes":..,"fast_retrans":.. summed over both sides (the stack's own counters). */
static void print_recovery(void)
{
    uint32_t v[4] = { 0, 0, 0, 0 };
    for (int s = 0; s < 2; s++) {
        v[0] += Z_stackZ_stats_get(&st[s], STACK_STAT_tcp_timeouts);
        v[1] += Z_stackZ_stats_get(&st[s], STACK_STAT_tcp_loss_probes);
        v[2] += Z_stackZ_stats_get(&st[s], STACK_STAT_tcp_fast_retrans);
        v[3] += Z_stackZ_stats_get(&st[s], STACK_STAT_tcp_dsack_undo);
    }
    printf(",\"rto\":%u,\"probes\":%u,\"fast_retrans\":%u,\"undo\":%u", v[0], v[1], v[2], v[3]);
}

static double seconds(struct timespec t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static void bulk(uint64_t total, int zc)
{
    static uint8_t chunk[16384], app[16384];
    for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (uint8_t)(i * 31);
    int32_t a, b;
    open_pair(&a, &b);
    uint32_t v0 = now_ms;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t sent = 0, got = 0;
    while (got < total) {
        int moved = 0;
        while (sent < total) {
            uint32_t want = total - sent < sizeof chunk ? (uint32_t)(total - sent) : sizeof chunk;
            int32_t n = zc ? send_zc(0, a, chunk, want) : send_bytes(0, a, chunk, want);
            if (n <= 0) break;
            sent += (uint64_t)n;
            moved = 1;
        }
        if (deliver()) moved = 1;
        for (;;) {
            int32_t r = zc ? recv_zc(1, b, app, sizeof app) : recv_bytes(1, b, 65536);
            if (r <= 0) break;
            got += (uint64_t)r;
            moved = 1;
        }
        if (!moved) tick();
    }
    double secs = seconds(t0);
    printf("{\"mode\":\"%s\",\"bytes\":%llu,\"seconds\":%.6f,\"virtual_ms\":%u", zc ? "bulk-zc" : "bulk",
           (unsigned long long)got, secs, now_ms - v0);
    print_recovery();
    wire_print(stdout);
    printf("}\n");
    wire_require(wire_check_bulk(got));
}

static void exchange_byte(int from, int32_t hf, int to, int32_t ht)
{
    uint8_t x = 42;
    send_bytes(from, hf, &x, 1);
    for (int i = 0; i < 100000; i++) {
        pump_until_idle();
        if (recv_bytes(to, ht, 1) == 1) return;
        tick();
    }
    fprintf(stderr, "pair: byte lost\n");
    exit(1);
}

static void conn(int n)
{
    Z_stackZ_sysctl_set(&st[0], 12 /* tcp_tw_reuse */, 1);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        int32_t a, b;
        open_pair(&a, &b);
        exchange_byte(0, a, 1, b);
        exchange_byte(1, b, 0, a);
        Z_stackZ_tcp_close(&st[0], (u32)a);
        pump_until_idle();
        Z_stackZ_tcp_close(&st[1], (u32)b);
        pump_until_idle();
    }
    printf("{\"mode\":\"conn\",\"cycles\":%d,\"seconds\":%.6f,\"passive_opens\":%u", n, seconds(t0),
           Z_stackZ_stats_get(&st[1], STACK_STAT_tcp_passive_opens));
    wire_print(stdout);
    printf("}\n");
    wire_require(wire_check_conn((uint32_t)n));
}

static void rr(int n, int nodelay)
{
    int32_t a, b;
    open_pair(&a, &b);
    Z_stackZ_tcp_setsockopt(&st[0], (u32)a, TCP_NODELAY_ID, (u32)nodelay);
    Z_stackZ_tcp_setsockopt(&st[1], (u32)b, TCP_NODELAY_ID, (u32)nodelay);
    static uint8_t msg[64];
    uint32_t v0 = now_ms;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        for (int dir = 0; dir < 2; dir++) {
            int from = dir, to = 1 - dir;
            int32_t hf = dir ? b : a, ht = dir ? a : b;
            send_bytes(from, hf, msg, sizeof msg);
            uint32_t got = 0;
            for (int k = 0; k < 100000 && got < sizeof msg; k++) {
                pump_until_idle();
                int32_t r = recv_bytes(to, ht, sizeof msg - got);
                if (r > 0) got += (uint32_t)r; else tick();
            }
        }
    }
    printf("{\"mode\":\"rr\",\"rounds\":%d,\"nodelay\":%d,\"seconds\":%.6f,\"virtual_ms\":%u", n, nodelay,
           seconds(t0), now_ms - v0);
    wire_print(stdout);
    printf("}\n");
    wire_require(wire_check_rr((uint32_t)n, sizeof msg));
}

/* Request/response rounds of `size` bytes with per-round latency (request written to response
 * fully read), both sides TCP_NODELAY; bounded: a round that takes 600 virtual s fails the run (a
 * frame-counted burst can take one segment and all its retries: exponential backoff). */
static void rr_loss(int n, uint32_t size)
{
    static uint8_t msg[16384];
    static uint32_t lat[100000];
    if (size == 0 || size > sizeof msg || n <= 0 || n > 100000) { fprintf(stderr, "pair: rr-loss N (1..100000) SIZE (1..16384)\n"); exit(64); }
    int32_t a, b;
    open_pair(&a, &b);
    Z_stackZ_tcp_setsockopt(&st[0], (u32)a, TCP_NODELAY_ID, 1);
    Z_stackZ_tcp_setsockopt(&st[1], (u32)b, TCP_NODELAY_ID, 1);
    uint32_t v0 = now_ms;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        uint32_t start = now_ms;
        for (int dir = 0; dir < 2; dir++) {
            int from = dir, to = 1 - dir;
            int32_t hf = dir ? b : a, ht = dir ? a : b;
            uint32_t put = 0, got = 0;
            while (got < size) {
                if (now_ms - start > 600000) { fprintf(stderr, "pair: round %d stalled\n", i); exit(1); }
                int moved = 0;
                if (put < size) {
                    int32_t w = send_bytes(from, hf, msg + put, size - put);
                    if (w > 0) { put += (uint32_t)w; moved = 1; }
                }
                if (deliver()) moved = 1;
                int32_t r = recv_bytes(to, ht, size - got);
                if (r > 0) { got += (uint32_t)r; moved = 1; }
                if (!moved) tick();
            }
        }
        lat[i] = now_ms - start;
    }
    printf("{\"mode\":\"rr-loss\",\"rounds\":%d,\"size\":%u,\"seconds\":%.6f,\"virtual_ms\":%u", n, size,
           seconds(t0), now_ms - v0);
    wire_print_latencies(lat, n);
    print_recovery();
    wire_print(stdout);
    printf("}\n");
    wire_require(wire_check_rr((uint32_t)n, size));
}

static int zc_failures;
static void expect(int32_t got, int32_t want, const char *what)
{
    if (got == want) return;
    fprintf(stderr, "zc-check FAILED: %s: got %d, want %d\n", what, got, want);
    zc_failures++;
}

static uint8_t pattern_at(uint64_t i) { return (uint8_t)(i * 13 + (i >> 8) + 7); }

/* 4 MiB A->B alternating tcp_send and reserve/commit, read alternating tcp_recv and peek/consume,
 * every byte compared; then the error codes of every misuse (docs/ABI.md "Zero-copy"). */
static void zc_check(void)
{
    const uint64_t total = 4u << 20;
    static uint8_t src[3000], dst[4096];
    int32_t a, b;
    open_pair(&a, &b);
    uint64_t sent = 0, got = 0, zc_in = 0, zc_out = 0;
    for (uint32_t i = 0; got < total && i < 10000000u; i++) {
        int moved = 0;
        if (sent < total) {
            uint32_t want = total - sent < sizeof src ? (uint32_t)(total - sent) : sizeof src;
            for (uint32_t k = 0; k < want; k++) src[k] = pattern_at(sent + k);
            int32_t n = 0;
            if (i & 1) {                      /* reserved regions are one block at most: fill several */
                for (int32_t r; (uint32_t)n < want && (r = send_zc(0, a, src + n, want - (uint32_t)n)) > 0; ) n += r;
                zc_in += (uint64_t)n;
            } else {
                n = send_bytes(0, a, src, want);
            }
            if (n > 0) { sent += (uint64_t)n; moved = 1; }
        }
        if (deliver()) moved = 1;
        for (uint32_t j = 0; j < 8; j++) {
            int z = ((i + j) & 1) != 0;
            int32_t r = z ? recv_zc(1, b, dst, sizeof dst) : recv_bytes(1, b, sizeof dst);
            if (r <= 0) break;
            const uint8_t *p = z ? dst : mem(1, Z_stackZ_io_buffer(&st[1]));
            for (int32_t k = 0; k < r; k++) {
                if (p[k] != pattern_at(got + (uint64_t)k)) {
                    fprintf(stderr, "zc-check FAILED: byte %llu is %u, want %u\n", (unsigned long long)(got + (uint64_t)k), p[k], pattern_at(got + (uint64_t)k));
                    exit(1);
                }
            }
            if (z) zc_out += (uint64_t)r;
            got += (uint64_t)r;
            moved = 1;
        }
        if (!moved) tick();
    }
    expect(got == total, 1, "all bytes delivered");
    expect(zc_in > total / 16 && zc_out > total / 16, 1, "a good share went through the zero-copy calls");

    uint32_t io = Z_stackZ_io_buffer(&st[0]), io_b = Z_stackZ_io_buffer(&st[1]);
    expect((int32_t)Z_stackZ_tcp_send_reserve(&st[0], 0x7f01, 10, io), STACK_EBADF, "reserve on a bad handle");
    expect((int32_t)Z_stackZ_tcp_send_commit(&st[0], 0x7f01, 1), STACK_EBADF, "commit on a bad handle");
    expect((int32_t)Z_stackZ_tcp_recv_peek(&st[1], 0x7f01, 10, io_b), STACK_EBADF, "peek on a bad handle");
    expect((int32_t)Z_stackZ_tcp_recv_consume(&st[1], 0x7f01, 1), STACK_EBADF, "consume on a bad handle");
    expect((int32_t)Z_stackZ_tcp_send_reserve(&st[1], (u32)listener, 10, io_b), STACK_EOPNOTSUPP, "reserve on a listener");
    expect((int32_t)Z_stackZ_tcp_recv_peek(&st[1], (u32)listener, 10, io_b), STACK_EOPNOTSUPP, "peek on a listener");
    expect((int32_t)Z_stackZ_tcp_send_commit(&st[0], (u32)a, 1), STACK_EINVAL, "commit without a reservation");
    expect((int32_t)Z_stackZ_tcp_send_reserve(&st[0], (u32)a, 0, io), STACK_EINVAL, "reserve of 0 bytes");
    expect((int32_t)Z_stackZ_tcp_send_reserve(&st[0], (u32)a, 10, 0), STACK_EFAULT, "out outside io_buffer");
    expect((int32_t)Z_stackZ_tcp_recv_peek(&st[1], (u32)b, 10, io_b), STACK_EAGAIN, "peek with nothing queued");
    expect((int32_t)Z_stackZ_tcp_recv_consume(&st[1], (u32)b, 1), STACK_EINVAL, "consume more than is queued");
    int32_t n = (int32_t)Z_stackZ_tcp_send_reserve(&st[0], (u32)a, 100, io);
    expect(n, 100, "reserve 100 bytes");
    expect((int32_t)Z_stackZ_tcp_send_commit(&st[0], (u32)a, 101), STACK_EINVAL, "commit more than reserved");
    expect((int32_t)Z_stackZ_tcp_send_commit(&st[0], (u32)a, 0), 0, "commit 0 cancels");
    Z_stackZ_tcp_shutdown(&st[0], (u32)a, 1);
    expect((int32_t)Z_stackZ_tcp_send_reserve(&st[0], (u32)a, 10, io), STACK_EPIPE, "reserve after shutdown(SHUT_WR)");
    pump_until_idle();
    expect((int32_t)Z_stackZ_tcp_recv_peek(&st[1], (u32)b, 10, io_b), 0, "peek at end of stream");
    printf("{\"mode\":\"zc-check\",\"bytes\":%llu,\"zero_copy_in\":%llu,\"zero_copy_out\":%llu,\"failures\":%d}\n",
           (unsigned long long)got, (unsigned long long)zc_in, (unsigned long long)zc_out, zc_failures);
    if (zc_failures) exit(1);
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "zc-check")) { wire_init(0, 1); setup(); zc_check(); return 0; }
    int nopt = 0;                      /* trailing key=value options are the wire's */
    while (nopt < argc - 1 && strchr(argv[argc - 1 - nopt], '=')) nopt++;
    argc -= nopt;
    if (argc < 3) { fprintf(stderr, "usage: pair bulk|bulk-zc MIB [LOSS_PPM SEED] | conn N | rr N NODELAY | rr-loss N SIZE | zc-check  [wire options]\n"); return 64; }
    wire_init(argc > 4 && !strncmp(argv[1], "bulk", 4) ? (uint32_t)atol(argv[3]) : 0, argc > 4 ? (uint32_t)atol(argv[4]) : 1);
    for (int i = 0; i < nopt; i++)
        if (!wire_option(argv[argc + i])) { fprintf(stderr, "pair: bad wire option %s\n", argv[argc + i]); return 64; }
    setup();
    if (!strcmp(argv[1], "bulk")) bulk((uint64_t)atoll(argv[2]) << 20, 0);
    else if (!strcmp(argv[1], "bulk-zc")) bulk((uint64_t)atoll(argv[2]) << 20, 1);
    else if (!strcmp(argv[1], "conn")) conn(atoi(argv[2]));
    else if (!strcmp(argv[1], "rr")) rr(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 0);
    else if (!strcmp(argv[1], "rr-loss") && argc > 3) rr_loss(atoi(argv[2]), (uint32_t)atol(argv[3]));
    else return 64;
    return 0;
}
