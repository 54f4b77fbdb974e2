/* SNTP client state machine on asnet.h (see sntp.h). The on-wire checks are sntp_wire.c's. */
#include "sntp.h"
#include <string.h>
#include "asnet.h"
#include "board.h"
#include "stack_glue.h"

#define RETRY_FIRST_MS 2000u
/* A round trip this slow (an ARP resolution on the way out, a busy link) makes the offset uncertain
 * by half of it: the sample is used, and a fresh one is asked for after QUICK_MS, up to QUICK_MAX times. */
#define SLOW_DELAY_US 100000
#define QUICK_MS 1000u
#define QUICK_MAX 3u

static struct {
    struct sntp_config cfg;
    sntp_event_fn fn;
    int32_t sock;
    enum sntp_state state;
    uint8_t nonce[8];
    uint64_t t1_ms;              /* local time the request in flight was sent */
    uint64_t next_ms;            /* local time of the next request (SLEEPING) or the reply deadline (WAITING) */
    uint32_t poll_s;             /* current poll interval: poll_min_s, raised by RATE kisses */
    uint32_t retry_ms;           /* backoff of unanswered requests */
    int synced;
    unsigned quick;              /* slow samples in a row (each followed by a quick re-poll) */
    int64_t offset_us;           /* UTC µs = local µs + offset_us */
    struct sntp_stats stats;
} c = { .sock = -1 };

static struct { uint32_t last; uint64_t high; } clk;

uint64_t sntp_local_ms(void)
{
    uint32_t now = board_now_ms();
    if (now < clk.last) clk.high += 1ull << 32;          /* board_now_ms wrapped */
    clk.last = now;
    return clk.high | now;
}

int32_t asnet_utc_ms(uint64_t *ms)
{
    if (!c.synced) return STACK_EAGAIN;
    *ms = (uint64_t)(((int64_t)sntp_local_ms() * 1000 + c.offset_us) / 1000);
    return 0;
}

static void emit(enum sntp_event_kind kind, enum sntp_verdict v, int64_t value, int64_t value2, uint32_t ip, uint16_t port)
{
    if (!c.fn) return;
    struct sntp_event ev = { kind, v, value, value2, ip, port };
    c.fn(&ev);
}

static void reject(enum sntp_verdict v, uint32_t ip, uint16_t port)
{
    c.stats.rejected[-v]++;
    emit(SNTP_EV_REJECTED, v, 0, 0, ip, port);
}

static void sleep_for(uint64_t ms)
{
    c.state = SNTP_SLEEPING;
    c.next_ms = sntp_local_ms() + ms;
    memset(c.nonce, 0, sizeof c.nonce);                   /* nothing in flight: every reply is stale */
}

static void take_time(const struct sntp_reply *r, uint64_t t4_ms)
{
    /* RFC 4330 §5: offset = ((T2 - T1) + (T3 - T4)) / 2, delay = (T4 - T1) - (T3 - T2). */
    int64_t t1 = (int64_t)c.t1_ms * 1000, t4 = (int64_t)t4_ms * 1000;
    int64_t offset = ((r->t2_us - t1) + (r->t3_us - t4)) / 2;
    int64_t delay = (t4 - t1) - (r->t3_us - r->t2_us);
    int64_t change = c.synced ? offset - c.offset_us : 0;
    c.offset_us = offset;
    c.synced = 1;
    c.stats.synced++;
    c.retry_ms = RETRY_FIRST_MS;
    int slow = delay > SLOW_DELAY_US && c.quick < QUICK_MAX;
    c.quick = slow ? c.quick + 1 : 0;
    sleep_for(slow ? QUICK_MS : (uint64_t)c.poll_s * 1000u);
    emit(SNTP_EV_SYNCED, SNTP_OK, change / 1000, delay, 0, 0);
}

/* RFC 5905 §7.4: RATE = poll less often; DENY/RSTR = this server refuses us, stop asking it. */
static void take_kiss(enum sntp_verdict v, const struct sntp_reply *r)
{
    if (v == SNTP_E_KOD_RATE) {
        uint32_t p = c.poll_s * 2u;
        uint32_t suggested = r->poll > 0 && r->poll < 17 ? 1u << r->poll : 0;
        if (p < suggested) p = suggested;
        c.poll_s = p < c.cfg.poll_max_s ? p : c.cfg.poll_max_s;
        sleep_for((uint64_t)c.poll_s * 1000u);
        emit(SNTP_EV_KISS, v, c.poll_s, 0, 0, 0);
        return;
    }
    c.state = SNTP_DENIED;
    memset(c.nonce, 0, sizeof c.nonce);
    emit(SNTP_EV_KISS, v, 0, 0, 0, 0);
}

static void on_datagram(const uint8_t *buf, int32_t n, uint32_t ip, uint16_t port, uint64_t t4_ms)
{
    if (ip != c.cfg.server || port != c.cfg.port) { c.stats.bad_source++; reject(SNTP_E_ORIGIN, ip, port); return; }
    if (c.state != SNTP_WAITING) { reject(SNTP_E_ORIGIN, ip, port); return; }   /* replay or late duplicate */
    struct sntp_reply r;
    enum sntp_verdict v = sntp_parse_reply(buf, (size_t)n, c.nonce, &r);
    if (v == SNTP_OK) { take_time(&r, t4_ms); return; }
    if (v == SNTP_E_KOD_RATE || v == SNTP_E_KOD_DENY || v == SNTP_E_KOD_RSTR) { c.stats.rejected[-v]++; take_kiss(v, &r); return; }
    reject(v, ip, port);                 /* keep waiting: the genuine reply may still come */
}

static void on_event(int32_t h, uint32_t events, void *ctx)
{
    (void)ctx;
    if (!(events & STACK_EV_READABLE)) return;
    uint8_t buf[SNTP_PACKET_LEN + 72];   /* extension fields and a MAC beyond 48 bytes are cut, not used */
    for (int i = 0; i < 16; i++) {       /* bounded: a flood waits for the next event */
        uint32_t ip = 0;
        uint16_t port = 0;
        int32_t n = asnet_udp_recvfrom(h, buf, sizeof buf, &ip, &port);
        if (n < 0) return;
        on_datagram(buf, n, ip, port, sntp_local_ms());
    }
}

static void send_request(void)
{
    for (int i = 0; i < 8; i += 4) {
        uint32_t r = board_random();
        memcpy(c.nonce + i, &r, 4);
    }
    if (c.nonce[0] == 0) c.nonce[0] = 1;          /* never all zero: an unsent origin is zero */
    uint8_t pkt[SNTP_PACKET_LEN];
    sntp_emit_request(pkt, c.nonce);
    c.t1_ms = sntp_local_ms();
    int32_t r = asnet_udp_sendto(c.sock, pkt, sizeof pkt, c.cfg.server, c.cfg.port);
    c.state = SNTP_WAITING;
    c.next_ms = c.t1_ms + c.cfg.timeout_ms;
    c.stats.sent++;
    emit(SNTP_EV_SENT, SNTP_OK, r, 0, c.cfg.server, c.cfg.port);
}

static void timed_out(void)
{
    c.stats.timeouts++;
    uint64_t wait = c.retry_ms;
    uint32_t cap = c.cfg.poll_max_s * 1000u;
    c.retry_ms = c.retry_ms * 2u < cap ? c.retry_ms * 2u : cap;
    sleep_for(wait);
    emit(SNTP_EV_TIMEOUT, SNTP_OK, (int64_t)wait, 0, 0, 0);
}

int32_t sntp_poll(void)
{
    if (c.sock < 0 || c.state == SNTP_IDLE || c.state == SNTP_DENIED) return 1000;
    uint64_t now = sntp_local_ms();
    if (now >= c.next_ms) {
        if (c.state == SNTP_WAITING) timed_out();
        else send_request();
    }
    uint64_t left = c.next_ms > now ? c.next_ms - now : 0;
    return left > 1000 ? 1000 : (int32_t)left;
}

static int32_t open_socket(void)
{
    c.sock = asnet_udp_open(0, on_event, NULL);
    return c.sock < 0 ? c.sock : 0;
}

int32_t sntp_start(const struct sntp_config *cfg, sntp_event_fn fn)
{
    if (c.sock >= 0) sntp_stop();
    c.cfg = *cfg;
    if (!c.cfg.port) c.cfg.port = SNTP_PORT;
    if (!c.cfg.poll_min_s) c.cfg.poll_min_s = 64;
    if (!c.cfg.poll_max_s) c.cfg.poll_max_s = 1024;
    if (c.cfg.poll_max_s < c.cfg.poll_min_s) c.cfg.poll_max_s = c.cfg.poll_min_s;
    if (!c.cfg.timeout_ms) c.cfg.timeout_ms = 3000;
    c.fn = fn;
    int32_t r = open_socket();
    if (r < 0) return r;
    return sntp_set_server(c.cfg.server);
}

int32_t sntp_set_server(uint32_t ip)
{
    c.cfg.server = ip;
    c.poll_s = c.cfg.poll_min_s;
    c.retry_ms = RETRY_FIRST_MS;
    c.quick = 0;
    memset(c.nonce, 0, sizeof c.nonce);
    c.state = ip ? SNTP_SLEEPING : SNTP_IDLE;
    c.next_ms = sntp_local_ms();                          /* ask at once */
    return 0;
}

void sntp_stop(void)
{
    if (c.sock >= 0) asnet_udp_close(c.sock);
    c.sock = -1;
    c.state = SNTP_IDLE;
}

int32_t sntp_restart(void)
{
    c.sock = -1;                                          /* the module was re-instantiated: the handle is gone */
    int32_t r = open_socket();
    if (r == 0 && c.state == SNTP_WAITING) sleep_for(0);
    return r;
}

int32_t sntp_server_from_dhcp(int32_t dhcp_handle, uint32_t *ip)
{
    uint32_t size, io = stack_glue_io(&size);
    int32_t st = stack_glue_call2(STACK_RT_dhcp_info, (uint32_t)dhcp_handle, io);
    if (st < 0) return st;
    const uint8_t *w = stack_glue_mem(io, 44);
    if (!w || size < 44) return STACK_EFAULT;
    uint32_t state, bound_ip, ntp;
    memcpy(&state, w, 4);                                 /* little-endian u32s, as wasm stores them */
    memcpy(&bound_ip, w + 4, 4);
    memcpy(&ntp, w + 40, 4);
    if (state < STACK_DHCP_BOUND || bound_ip == 0) return STACK_EAGAIN;
    if (ntp == 0) return STACK_EINVAL;
    *ip = ntp;
    return 0;
}

enum sntp_state sntp_state(void) { return c.state; }
uint32_t sntp_poll_interval_s(void) { return c.poll_s; }
const struct sntp_stats *sntp_stats(void) { return &c.stats; }
