/* Footprint and speed of one stack_rt.h runtime on the host (boards/common/README.md "Footprint"):
 * instantiates build/stack.wasm (or the wasm2c translation), then answers N ICMP echo requests of
 * 1,000 bytes from a fake peer (one ARP request first, so the stack knows the peer's MAC), checking
 * every reply, and prints the CPU time. With WAMR built with WAMR_BUILD_MEMORY_PROFILING it also
 * dumps WAMR's memory consumption (module, instance, exec env) and the pool's high-water mark.
 *   rt_bench <module.wasm> [N]      (the wasm2c build ignores the file) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "board.h"
#include "board_imports.h"
#include "stack_rt.h"

#define PAYLOAD 1000u
static const uint8_t peer_mac[6] = { 2, 0, 0, 0, 0, 1 }, our_mac[6] = { 2, 0, 0, 0, 0, 2 };
static const uint32_t peer_ip = 0xC0000201u, our_ip = 0xC0000202u;
static unsigned replies, bad_replies;
static uint16_t want_seq;

uint32_t board_now_ms(void) { return (uint32_t)(clock() / (CLOCKS_PER_SEC / 1000)); }
uint32_t board_random(void) { static uint32_t x = 1; x = x * 1103515245u + 12345u; return x; }
void board_log(const char *line) { fprintf(stderr, "%s\n", line); }
void board_fatal(const char *why) { fprintf(stderr, "fatal: %s\n", why); exit(1); }

void board_netif_output(const uint8_t *f, uint32_t len)
{
    /* An echo reply (IPv4, ICMP type 0) carrying our sequence number and the whole payload. */
    if (len == 14u + 20u + 8u + PAYLOAD && f[12] == 8 && f[13] == 0 && f[23] == 1 && f[34] == 0 &&
        ((f[40] << 8) | f[41]) == want_seq && f[42 + PAYLOAD - 1] == (uint8_t)(want_seq + PAYLOAD - 1))
        replies++;
    else if (!(f[12] == 8 && f[13] == 6)) /* ARP replies are expected too */
        bad_replies++;
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }
static uint16_t csum(const uint8_t *p, uint32_t n)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1) s += (uint32_t)p[n - 1] << 8;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static int input(const uint8_t *frame, uint32_t len)
{
    uint32_t rx = (uint32_t)stack_rt_call0(STACK_RT_rx_buffer);
    uint8_t *dst = stack_rt_mem(rx, len);
    if (dst == NULL) return -1;
    memcpy(dst, frame, len);
    return stack_rt_call1(STACK_RT_netif_input, len);
}

static uint32_t arp_request(uint8_t *f)
{
    memset(f, 0, 42);
    memset(f, 0xff, 6); memcpy(f + 6, peer_mac, 6); put16(f + 12, 0x0806);
    put16(f + 14, 1); put16(f + 16, 0x0800); f[18] = 6; f[19] = 4; put16(f + 20, 1);
    memcpy(f + 22, peer_mac, 6); put32(f + 28, peer_ip); put32(f + 38, our_ip);
    return 42;
}

static uint32_t echo_request(uint8_t *f, uint16_t seq)
{
    uint8_t *ip = f + 14, *icmp = ip + 20;
    memcpy(f, our_mac, 6); memcpy(f + 6, peer_mac, 6); put16(f + 12, 0x0800);
    memset(ip, 0, 20); ip[0] = 0x45; put16(ip + 2, 20 + 8 + PAYLOAD); put16(ip + 4, seq); ip[8] = 64; ip[9] = 1;
    put32(ip + 12, peer_ip); put32(ip + 16, our_ip); put16(ip + 10, csum(ip, 20));
    memset(icmp, 0, 8); icmp[0] = 8; put16(icmp + 4, 0x1234); put16(icmp + 6, seq);
    for (uint32_t i = 0; i < PAYLOAD; i++) icmp[8 + i] = (uint8_t)(seq + i);
    put16(icmp + 2, csum(icmp, 8 + PAYLOAD));
    return 14 + 20 + 8 + PAYLOAD;
}

#ifdef ASNET_RUNTIME_WAMR
void stack_rt_wamr_dump(void); /* runtime_wamr.c, with STACK_RT_WAMR_PROFILE */
#endif

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: rt_bench <module.wasm> [N]\n"); return 2; }
    unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 20000u;
    static uint8_t wasm[1 << 20];
    uint32_t wasm_len = 0;
    FILE *fp = fopen(argv[1], "rb");
    if (fp) { wasm_len = (uint32_t)fread(wasm, 1, sizeof wasm, fp); fclose(fp); }
    char err[128];
    if (stack_rt_init(wasm, wasm_len, err, sizeof err) != 0) { fprintf(stderr, "init: %s\n", err); return 1; }
    const uint32_t init[5] = { (uint32_t)our_mac[0] << 8 | our_mac[1],
        (uint32_t)our_mac[2] << 24 | (uint32_t)our_mac[3] << 16 | (uint32_t)our_mac[4] << 8 | our_mac[5],
        our_ip, 0xffffff00u, 0 };
    if (stack_rt_call(STACK_RT_stack_init, init, 5) != 0) { fprintf(stderr, "stack_init failed\n"); return 1; }
    stack_rt_call1(STACK_RT_netif_set_link, 1);
    uint8_t frame[1600];
    input(frame, arp_request(frame));
    clock_t t0 = clock();
    for (unsigned i = 0; i < n; i++) {
        want_seq = (uint16_t)i;
        if (input(frame, echo_request(frame, (uint16_t)i)) == STACK_RT_TRAP) { fprintf(stderr, "trap: %s\n", stack_rt_trap_reason()); return 1; }
    }
    double ms = (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC;
    printf("%u echo requests of %u bytes: %u replies, %u unexpected frames, %.1f ms CPU (%.2f us each)\n",
           n, PAYLOAD, replies, bad_replies, ms, ms * 1000.0 / n);
#ifdef ASNET_RUNTIME_WAMR
    stack_rt_wamr_dump();
#endif
    return replies == n && bad_replies == 0 ? 0 : 1;
}
