/* Native fuzz target of the mDNS app (make -C boards/common/apps/mdns fuzz: ASan + UBSan).
 * Records on stdin: [u32 LE length][mode][source port, 2 bytes BE][message], from test/fuzz/apps.ts.
 *   mode bit 0 = 0  the reader alone: header, every question and record, names inside PTR/SRV rdata
 *   mode bit 0 = 1  the responder (mdns.c, "asnet" with _http._tcp and _mqtt._tcp) over a fake asnet.h;
 *                   time moves 0-127 ms per input and mdns_poll runs, so it probes, announces, answers
 *                   and renames; every message it sends is parsed back completely (counts, names,
 *                   no trailing bytes) and must stay under the UDP payload limit; every 2,000 inputs it
 *                   is stopped (goodbyes) and started again as "asnet"
 * Prints one JSON line of counters; any sanitizer report or failed check aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mdns.h"
#include "asnet.h"
#include "board.h"
#include "stack_glue.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed: %s (line %d, input %lu)\n", #c, __LINE__, inputs); abort(); } } while (0)

static unsigned long inputs, responder_inputs, reader_inputs, read_errs[4], records_read, sent, sent_responses, sent_probes;
static uint32_t now_ms = 1000, rnd = 88172645u;
static asnet_event_fn udp_fn;
static int joined;

uint32_t board_now_ms(void) { return now_ms; }
uint32_t board_random(void) { rnd ^= rnd << 13; rnd ^= rnd >> 17; rnd ^= rnd << 5; return rnd; }
void board_log(const char *line) { (void)line; }
void board_fatal(const char *why) { fprintf(stderr, "fatal %s\n", why); abort(); }
int32_t stack_glue_call(enum stack_rt_export fn, const uint32_t *args, uint32_t argc)
{
    CHECK(argc == 1 && args[0] == MDNS_GROUP);
    if (fn == STACK_RT_mcast_join) { CHECK(!joined); joined = 1; return 0; }
    if (fn == STACK_RT_mcast_leave) { CHECK(joined); joined = 0; return 0; }
    CHECK(0);
    return 0;
}
uint32_t stack_glue_io(uint32_t *size) { if (size) *size = 0; return 0; }
uint8_t *stack_glue_mem(uint32_t off, uint32_t len) { (void)off; (void)len; return NULL; }
int32_t asnet_udp_open(uint16_t port, asnet_event_fn fn, void *ctx) { (void)ctx; CHECK(port == 5353); udp_fn = fn; return 9; }
int32_t asnet_udp_close(int32_t h) { CHECK(h == 9); return 0; }
int32_t asnet_udp_recvfrom(int32_t h, void *buf, size_t cap, uint32_t *ip, uint16_t *port)
{
    (void)h; (void)buf; (void)cap; (void)ip; (void)port;
    return STACK_EAGAIN;
}

/* Everything the responder sends must parse back exactly. */
int32_t asnet_udp_sendto(int32_t h, const void *data, size_t len, uint32_t ip, uint16_t port)
{
    CHECK(h == 9 && len >= 12 && len <= 1472);
    CHECK(ip == MDNS_GROUP ? port == 5353 : ip == 0xc0000201u);
    struct mdns_reader r;
    struct mdns_header hd;
    CHECK(mdns_read_header(&r, data, len, &hd) == 0);
    for (unsigned i = 0; i < hd.qd; i++) { struct mdns_question q; CHECK(mdns_read_question(&r, &q) == 0); }
    unsigned total = (unsigned)hd.an + hd.ns + hd.ar;
    CHECK(total > 0);
    for (unsigned i = 0; i < total; i++) {
        struct mdns_rr rr;
        CHECK(mdns_read_rr(&r, &rr) == 0);
        size_t nl = mdns_name_len(rr.name);
        CHECK(nl >= 7 && mdns_name_eq(rr.name + nl - 7, (const uint8_t *)"\5local"));
        if (rr.type == MDNS_TYPE_PTR || rr.type == MDNS_TYPE_SRV) {
            uint8_t n[MDNS_NAME_MAX];
            size_t end;
            size_t at = rr.rdata_off + (rr.type == MDNS_TYPE_SRV ? 6 : 0);
            CHECK(mdns_read_name_at(data, rr.rdata_off + rr.rdlen, at, n, &end) > 0 && end == rr.rdata_off + rr.rdlen);
        }
        if (rr.type == MDNS_TYPE_A) CHECK(rr.rdlen == 4);
    }
    CHECK(r.off == len);
    sent++;
    if (hd.flags & 0x8000) sent_responses++;
    else sent_probes++;
    return (int32_t)len;
}

static void reader(const uint8_t *msg, size_t len)
{
    reader_inputs++;
    struct mdns_reader r;
    struct mdns_header h;
    int e = mdns_read_header(&r, msg, len, &h);
    for (unsigned i = 0; e >= 0 && i < h.qd; i++) { struct mdns_question q; e = mdns_read_question(&r, &q); }
    for (unsigned i = 0; e >= 0 && i < (unsigned)h.an + h.ns + h.ar; i++) {
        struct mdns_rr rr;
        e = mdns_read_rr(&r, &rr);
        if (e < 0) break;
        records_read++;
        CHECK(rr.rdata_off + rr.rdlen <= len && r.off <= len);
        CHECK(mdns_name_len(rr.name) <= 255);
        if (rr.type == MDNS_TYPE_PTR && rr.rdlen) {
            uint8_t n[MDNS_NAME_MAX];
            size_t end;
            int k = mdns_read_name_at(msg, rr.rdata_off + rr.rdlen, rr.rdata_off, n, &end);
            if (k > 0) CHECK(end <= rr.rdata_off + rr.rdlen && (size_t)k == mdns_name_len(n));
        }
    }
    read_errs[e < 0 ? -e : 0]++;
}

/* A query from 192.0.2.1:5353 for one name and type. */
static size_t query(uint8_t *q, const char *name, uint16_t type)
{
    static const uint8_t head[12] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
    memcpy(q, head, 12);
    int n = mdns_name_from_text(q + 12, name);
    CHECK(n > 0);
    size_t at = 12 + (size_t)n;
    q[at] = 0; q[at + 1] = (uint8_t)type; q[at + 2] = 0; q[at + 3] = 1;
    return at + 4;
}

/* Scripted, before the fuzzing: §8.1 probe timing, §6 answer delay for shared records and the
 * once-a-second multicast limit, unique answers at once. */
static void scripted(void)
{
    uint8_t q[300];
    unsigned long s0 = sent_probes;
    now_ms += 300; (void)mdns_poll();
    CHECK(sent_probes == s0 + 1);
    now_ms += 249; (void)mdns_poll();
    CHECK(sent_probes == s0 + 1);                              /* 250 ms between probes */
    now_ms += 1; (void)mdns_poll();
    now_ms += 250; (void)mdns_poll();
    CHECK(sent_probes == s0 + 3);
    for (int i = 0; i < 40; i++) { now_ms += 100; (void)mdns_poll(); }
    CHECK(mdns_state() == MDNS_RUNNING);
    now_ms += 2000;
    unsigned long r0 = sent_responses;
    size_t n = query(q, "asnet.local", MDNS_TYPE_A);
    mdns_input(q, (int32_t)n, 0xc0000201u, 5353);
    CHECK(sent_responses == r0 + 1);                           /* unique record: at once */
    mdns_input(q, (int32_t)n, 0xc0000201u, 5353);
    CHECK(sent_responses == r0 + 1);                           /* not again within 1 s */
    n = query(q, "_http._tcp.local", MDNS_TYPE_PTR);
    mdns_input(q, (int32_t)n, 0xc0000201u, 5353);
    now_ms += 19; (void)mdns_poll();
    CHECK(sent_responses == r0 + 1);                           /* shared: not before 20 ms */
    now_ms += 101; (void)mdns_poll();
    CHECK(sent_responses == r0 + 2);                           /* by 120 ms */
    mdns_input(q, (int32_t)n, 0xc0000201u, 5353);
    now_ms += 121; (void)mdns_poll();
    CHECK(sent_responses == r0 + 2);                           /* the PTR went out < 1 s ago */
    now_ms += 1000;
    mdns_input(q, (int32_t)n, 0xc0000201u, 5353);
    now_ms += 121; (void)mdns_poll();
    CHECK(sent_responses == r0 + 3);
    /* §7.1 known answers for SRV and TXT: a matching one suppresses the answer, a different one does not. */
    static const uint8_t srv_ka[] = { 0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 120, 0, 19, 0, 0, 0, 0, 0, 80,
                                      5, 'a', 's', 'n', 'e', 't', 5, 'l', 'o', 'c', 'a', 'l', 0 };
    static const uint8_t txt_ka[] = { 0xc0, 12, 0, 16, 0, 1, 0, 0, 0x11, 0x94, 0, 19,
                                      6, 'p', 'a', 't', 'h', '=', '/', 11, 'm', 'o', 'd', 'e', 'l', '=', 'a', 's', 'n', 'e', 't' };
    uint32_t ka0 = mdns_stats()->known_answer_suppressed;
    for (int k = 0; k < 4; k++) {
        now_ms += 1100;
        n = query(q, "asnet._http._tcp.local", k < 2 ? MDNS_TYPE_SRV : MDNS_TYPE_TXT);
        const uint8_t *ka = k < 2 ? srv_ka : txt_ka;
        size_t kl = k < 2 ? sizeof srv_ka : sizeof txt_ka;
        memcpy(q + n, ka, kl);
        if (k & 1) q[n + kl - 1] ^= 1;                           /* a different port / TXT byte */
        q[7] = 1;                                               /* ancount */
        unsigned long before = sent_responses;
        mdns_input(q, (int32_t)(n + kl), 0xc0000201u, 5353);
        CHECK(sent_responses == before + (k & 1));
    }
    CHECK(mdns_stats()->known_answer_suppressed == ka0 + 2);
}

int main(void)
{
    static uint8_t buf[1 << 16];
    static const struct mdns_service svc[2] = {
        { "_http._tcp", 80, { "path=/", "model=asnet", NULL, NULL } },
        { "_mqtt._tcp", 1883, { NULL, NULL, NULL, NULL } },
    };
    struct mdns_config cfg = { "asnet", 0xc0000202u, svc, 2 };
    CHECK(mdns_start(&cfg, NULL) == 0);
    scripted();
    uint8_t hdr[4];
    while (fread(hdr, 1, 4, stdin) == 4) {
        uint32_t n = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
        CHECK(n >= 3 && n <= sizeof buf);
        CHECK(fread(buf, 1, n, stdin) == n);
        inputs++;
        uint16_t port = (uint16_t)(buf[1] << 8 | buf[2]);
        size_t len = n - 3;
        uint8_t *msg = malloc(len ? len : 1);                      /* exact size: ASan sees any over-read */
        CHECK(msg != NULL);
        memcpy(msg, buf + 3, len);
        if (!(buf[0] & 1)) { reader(msg, len); free(msg); continue; }
        if (++responder_inputs % 2000 == 0) { mdns_stop(); CHECK(!joined); CHECK(mdns_start(&cfg, NULL) == 0); }   /* back to "asnet" */
        now_ms += board_random() % 128;
        (void)mdns_poll();
        mdns_input(msg, (int32_t)len, 0xc0000201u, port);
        free(msg);
        enum mdns_state s = mdns_state();
        CHECK(s == MDNS_PROBING || s == MDNS_ANNOUNCING || s == MDNS_RUNNING || s == MDNS_DEFERRING);
        CHECK(strlen(mdns_hostname()) <= 63 && !strncmp(mdns_hostname(), "asnet", 5));
    }
    mdns_stop();
    CHECK(!joined);
    const struct mdns_stats *st = mdns_stats();
    printf("{\"inputs\":%lu,\"reader\":%lu,\"records_read\":%lu,\"read_ok\":%lu,\"read_short\":%lu,\"read_name\":%lu,"
           "\"rx\":%u,\"malformed\":%u,\"queries\":%u,\"answered\":%u,\"known_answer_suppressed\":%u,\"rate_limited\":%u,\"probes\":%u,"
           "\"announces\":%u,\"conflicts\":%u,\"sent\":%lu,\"sent_responses\":%lu,\"sent_probes\":%lu,\"name\":\"%s\"}\n",
           inputs, reader_inputs, records_read, read_errs[0], read_errs[1], read_errs[2], (unsigned)st->rx, (unsigned)st->malformed, (unsigned)st->queries,
           (unsigned)st->answered, (unsigned)st->known_answer_suppressed, (unsigned)st->rate_limited, (unsigned)st->probes,
           (unsigned)st->announces, (unsigned)st->conflicts, sent, sent_responses, sent_probes,
           mdns_hostname());
    return 0;
}
