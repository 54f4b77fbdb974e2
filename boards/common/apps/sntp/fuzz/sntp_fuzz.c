/* Native fuzz target of the SNTP app (make -C boards/common/apps/sntp fuzz: ASan + UBSan).
 * Records on stdin: [u32 LE length][mode][8-byte nonce][reply], from test/fuzz/apps.ts.
 *   mode bit 0 = 0  the parser: sntp_parse_reply against an independent statement of the rules
 *                   (RFC 4330 §5, RFC 5905 §7.4/§8) below; an OK reply's timestamps round-trip
 *   mode bit 0 = 1  the client (sntp.c) over a fake asnet.h: a request is made to be in flight, the
 *                   reply (its origin set to the nonce really sent when the generator meant a match)
 *                   arrives from the server or another source; the state and the clock are checked
 * Prints one JSON line of counters; any sanitizer report or failed check aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sntp.h"
#include "asnet.h"
#include "board.h"
#include "stack_glue.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed: %s (line %d, input %lu)\n", #c, __LINE__, inputs); abort(); } } while (0)
#define SERVER 0xc0000201u

static unsigned long inputs, verdicts[16], client_inputs, synced, sent;
static uint32_t now_ms = 1000, rnd = 2463534242u;
static asnet_event_fn udp_fn;
static uint8_t last_sent[48], pending[512];
static size_t pending_len;
static uint32_t pending_ip;
static uint16_t pending_port;

/* ---- fakes ---- */
uint32_t board_now_ms(void) { return now_ms; }
uint32_t board_random(void) { rnd ^= rnd << 13; rnd ^= rnd >> 17; rnd ^= rnd << 5; return rnd; }
void board_log(const char *line) { (void)line; }
void board_fatal(const char *why) { fprintf(stderr, "fatal %s\n", why); abort(); }
int32_t asnet_udp_open(uint16_t port, asnet_event_fn fn, void *ctx) { (void)port; (void)ctx; udp_fn = fn; return 5; }
int32_t asnet_udp_close(int32_t h) { CHECK(h == 5); return 0; }
int32_t asnet_udp_sendto(int32_t h, const void *data, size_t len, uint32_t ip, uint16_t port)
{
    CHECK(h == 5 && len == 48 && ip == SERVER && port == 123);
    memcpy(last_sent, data, 48);
    CHECK(last_sent[0] == 0x23);
    sent++;
    return 48;
}
int32_t asnet_udp_recvfrom(int32_t h, void *buf, size_t cap, uint32_t *ip, uint16_t *port)
{
    CHECK(h == 5);
    if (!pending_len) return STACK_EAGAIN;
    size_t n = pending_len < cap ? pending_len : cap;
    memcpy(buf, pending, n);
    pending_len = 0;
    *ip = pending_ip;
    *port = pending_port;
    return (int32_t)n;
}
int32_t stack_glue_call(enum stack_rt_export fn, const uint32_t *args, uint32_t argc) { (void)fn; (void)args; (void)argc; return STACK_EINVAL; }
uint32_t stack_glue_io(uint32_t *size) { if (size) *size = 0; return 0; }
uint8_t *stack_glue_mem(uint32_t off, uint32_t len) { (void)off; (void)len; return NULL; }

/* ---- the rules, stated independently ---- */
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static enum sntp_verdict oracle(const uint8_t *p, size_t len, const uint8_t *nonce)
{
    if (len < 48) return SNTP_E_SHORT;
    unsigned li = p[0] >> 6, vn = (p[0] >> 3) & 7, mode = p[0] & 7, stratum = p[1];
    if (mode != 4) return SNTP_E_MODE;
    if (vn != 3 && vn != 4) return SNTP_E_VERSION;
    if (memcmp(p + 24, nonce, 8)) return SNTP_E_ORIGIN;
    if (stratum == 0) {
        if (!memcmp(p + 12, "RATE", 4)) return SNTP_E_KOD_RATE;
        if (!memcmp(p + 12, "DENY", 4)) return SNTP_E_KOD_DENY;
        if (!memcmp(p + 12, "RSTR", 4)) return SNTP_E_KOD_RSTR;
        return SNTP_E_STRATUM;
    }
    if (stratum > 15) return SNTP_E_STRATUM;
    if (li == 3) return SNTP_E_UNSYNC;
    if (!(be32(p + 40) | be32(p + 44)) || !(be32(p + 32) | be32(p + 36))) return SNTP_E_ZERO_TIME;
    return SNTP_OK;
}

static void parser(const uint8_t *nonce, const uint8_t *p, size_t len)
{
    struct sntp_reply r;
    enum sntp_verdict v = sntp_parse_reply(p, len, nonce, &r);
    CHECK(v == oracle(p, len, nonce));
    verdicts[-v]++;
    CHECK(sntp_verdict_name(v)[0] != '?');
    if (v != SNTP_OK) return;
    uint32_t sec, frac;
    sntp_unix_us_to_ts(r.t3_us, &sec, &frac);
    CHECK(sec == be32(p + 40));
    uint32_t want = be32(p + 44);
    CHECK(want - frac < 4300u || frac - want < 4300u);          /* within 1 µs (2^32 / 10^6) */
}

static void client(const uint8_t *nonce, const uint8_t *p, size_t len)
{
    client_inputs++;
    if (sntp_state() == SNTP_DENIED) sntp_set_server(SERVER);
    for (int i = 0; i < 4 && sntp_state() != SNTP_WAITING; i++) {   /* make a request be in flight */
        now_ms += 1024u * 1000u + 1;
        (void)sntp_poll();
    }
    CHECK(sntp_state() == SNTP_WAITING);
    if (len > sizeof pending) len = sizeof pending;
    memcpy(pending, p, len);
    if (len >= 32 && !memcmp(p + 24, nonce, 8)) memcpy(pending + 24, last_sent + 40, 8);   /* meant to match */
    pending_len = len;
    pending_ip = (nonce[0] & 7) == 0 ? SERVER + 1 : SERVER;
    pending_port = (nonce[1] & 7) == 0 ? 124 : 123;
    uint32_t before = sntp_stats()->synced;
    now_ms += nonce[2] & 63;
    udp_fn(5, STACK_EV_READABLE, NULL);
    CHECK(pending_len == 0);
    enum sntp_state s = sntp_state();
    CHECK(s == SNTP_WAITING || s == SNTP_SLEEPING || s == SNTP_DENIED);
    uint64_t utc;
    if (sntp_stats()->synced != before) { synced++; CHECK(s == SNTP_SLEEPING && asnet_utc_ms(&utc) == 0); }
    CHECK(sntp_poll_interval_s() >= 16 && sntp_poll_interval_s() <= 1024);
}

int main(void)
{
    static uint8_t buf[1 << 16];
    struct sntp_config cfg = { .server = SERVER, .poll_min_s = 16, .poll_max_s = 1024 };
    CHECK(sntp_start(&cfg, NULL) == 0);
    uint8_t hdr[4];
    while (fread(hdr, 1, 4, stdin) == 4) {
        uint32_t n = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
        CHECK(n >= 9 && n <= sizeof buf);
        CHECK(fread(buf, 1, n, stdin) == n);
        inputs++;
        uint8_t *nonce = buf + 1;
        size_t len = n - 9;
        uint8_t *p = malloc(len ? len : 1);                        /* exact size: ASan sees any over-read */
        CHECK(p != NULL);
        memcpy(p, buf + 9, len);
        if (buf[0] & 1) client(nonce, p, len);
        else parser(nonce, p, len);
        free(p);
    }
    printf("{\"inputs\":%lu,\"client\":%lu,\"synced\":%lu,\"sent\":%lu,\"verdicts\":{", inputs, client_inputs, synced, sent);
    for (int i = 0; i <= 10; i++) printf("%s\"%s\":%lu", i ? "," : "", sntp_verdict_name((enum sntp_verdict)-i), verdicts[i]);
    printf("}}\n");
    return 0;
}
