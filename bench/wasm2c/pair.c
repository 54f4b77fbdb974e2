/* bench/wasm2c/pair.c: two instances of the wasm2c-compiled build/stack.wasm in one process,
 * joined by an in-memory Ethernet (frames copied from one's netif_output to the other's rx_buffer),
 * on a virtual millisecond clock that advances only when both sides are idle.
 *
 *   pair bulk MIB [LOSS_PPM SEED]   A sends MIB MiB to B (LOSS_PPM: TCP segments lost per million
 *                                   on the wire, seeded); prints {"bytes":..,"seconds":..,"wire":..}
 *   pair conn N                     N cycles of connect, 1 byte each way, close (both sides)
 *   pair rr N NODELAY               N request/response rounds of 64 bytes on one connection
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

void Z_envZ_netif_output(struct Z_env_instance_t *e, u32 ptr, u32 len)
{
    if (len <= WIRE_FRAME) memcpy(wire_slot(e->side), st[e->side].w2c_memory.data + ptr, len);
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

static int32_t listener;

static void setup(void)
{
    wasm_rt_init();
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

static double seconds(struct timespec t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static void bulk(uint64_t total)
{
    static uint8_t chunk[16384];
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
            int32_t n = send_bytes(0, a, chunk, want);
            if (n <= 0) break;
            sent += (uint64_t)n;
            moved = 1;
        }
        if (deliver()) moved = 1;
        for (;;) {
            int32_t r = recv_bytes(1, b, 65536);
            if (r <= 0) break;
            got += (uint64_t)r;
            moved = 1;
        }
        if (!moved) tick();
    }
    double secs = seconds(t0);
    printf("{\"mode\":\"bulk\",\"bytes\":%llu,\"seconds\":%.6f,\"virtual_ms\":%u",
           (unsigned long long)got, secs, now_ms - v0);
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

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: pair bulk MIB [LOSS_PPM SEED] | conn N | rr N NODELAY\n"); return 64; }
    wire_init(argc > 4 && !strcmp(argv[1], "bulk") ? (uint32_t)atol(argv[3]) : 0, argc > 4 ? (uint32_t)atol(argv[4]) : 1);
    setup();
    if (!strcmp(argv[1], "bulk")) bulk((uint64_t)atoll(argv[2]) << 20);
    else if (!strcmp(argv[1], "conn")) conn(atoi(argv[2]));
    else if (!strcmp(argv[1], "rr")) rr(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 0);
    else return 64;
    return 0;
}
