/* mDNS responder state machine on asnet.h (see mdns.h). Wire format: mdns_wire.c. */
#include "mdns.h"
#include <stdio.h>
#include <string.h>
#include "asnet.h"
#include "board.h"
#include "stack_glue.h"

#define PROBES 3u
#define PROBE_GAP_MS 250u           /* §8.1 */
#define ANNOUNCES 2u
#define ANNOUNCE_GAP_MS 1000u       /* §8.3 */
#define TIEBREAK_WAIT_MS 1000u      /* §8.2: the loser waits one second */
#define STORM_CONFLICTS 15u         /* §8.1: 15 conflicts in 10 s -> wait 5 s */
#define STORM_WINDOW_MS 10000u
#define STORM_WAIT_MS 5000u
#define TTL_HOST 120u               /* §10: records with a host name in them */
#define TTL_OTHER 4500u             /* PTR, TXT */
#define TTL_LEGACY 10u              /* §6.7 */
#define FLAGS_RESPONSE 0x8400u      /* QR, AA */
#define SHARED_DELAY_MIN_MS 20u   /* §6: answers with shared records wait 20-120 ms */
#define SHARED_DELAY_SPAN_MS 101u
#define MULTICAST_GAP_MS 1000u    /* §6: a record is multicast at most once a second */
#define REC_COUNT (2u + 4u * MDNS_MAX_SERVICES)
#define MDNS_RX_MAX 1472u
#define MDNS_TX_MAX 1024u

/* Record ids: bit 0 the A record, then 4 bits per service (PTR, SRV, TXT, services PTR). */
#define REC_A 1u
#define REC_PTR(s) (1u << (1 + 4 * (s)))
#define REC_SRV(s) (1u << (2 + 4 * (s)))
#define REC_TXT(s) (1u << (3 + 4 * (s)))
#define REC_SVCS(s) (1u << (4 + 4 * (s)))
#define REC_NSEC (1u << (1 + 4 * MDNS_MAX_SERVICES))   /* §6.1: the host has an A record and nothing else */

static const uint8_t LOCAL[] = "\5local";
static const uint8_t SERVICES[] = "\11_services\7_dns-sd\4_udp\5local";

static struct {
    char base[64];                /* the configured label */
    char label[64];               /* in use: base, base-2, ... */
    uint8_t host[MDNS_NAME_MAX];  /* label.local */
    uint32_t ip;
    const struct mdns_service *svc;
    unsigned nsvc;
    mdns_event_fn fn;
    int32_t sock;
    int joined;
    enum mdns_state state;
    unsigned step;                /* probes or announcements sent in this state */
    unsigned rename;              /* 1 = the base name, n = base-n */
    uint32_t next_ms;
    uint32_t storm_start;
    unsigned storm_count;
    uint32_t last_mc[REC_COUNT];  /* ms each record was last multicast (0 = never) */
    uint32_t pend_set, pend_extra, pend_at, pend_ip;   /* a delayed multicast answer (§6) */
    uint16_t pend_port;
    struct mdns_stats stats;
} m = { .sock = -1 };

static uint8_t rx[MDNS_RX_MAX];
static uint8_t tx[MDNS_TX_MAX];

static void emit(enum mdns_event_kind k, int value, int unicast, uint32_t ip, uint16_t port)
{
    if (!m.fn) return;
    struct mdns_event ev = { k, m.label, value, unicast, ip, port };
    m.fn(&ev);
}

static int due(uint32_t now) { return (int32_t)(now - m.next_ms) >= 0; }

/* ---- names ---- */

static int type_name(unsigned s, uint8_t out[MDNS_NAME_MAX])      /* _http._tcp.local */
{
    uint8_t t[MDNS_NAME_MAX];
    int n = mdns_name_from_text(t, m.svc[s].type);
    if (n < 0) return n;
    size_t tl = (size_t)n - 1;
    if (tl + sizeof LOCAL > MDNS_NAME_MAX) return MDNS_E_NAME;
    memcpy(out, t, tl);
    memcpy(out + tl, LOCAL, sizeof LOCAL);
    return (int)(tl + sizeof LOCAL);
}

static int instance_name(unsigned s, uint8_t out[MDNS_NAME_MAX])  /* label._http._tcp.local */
{
    uint8_t t[MDNS_NAME_MAX];
    if (type_name(s, t) < 0) return MDNS_E_NAME;
    return mdns_name_join(out, m.label, strlen(m.label), t);
}

static void set_label(void)
{
    if (m.rename <= 1) snprintf(m.label, sizeof m.label, "%s", m.base);
    else {
        char suffix[12];
        int sl = snprintf(suffix, sizeof suffix, "-%u", m.rename);
        size_t keep = strlen(m.base);
        if (keep + (size_t)sl > 63) keep = 63 - (size_t)sl;             /* a label is at most 63 bytes */
        snprintf(m.label, sizeof m.label, "%.*s%s", (int)keep, m.base, suffix);
    }
    mdns_name_join(m.host, m.label, strlen(m.label), LOCAL);
}

/* ---- records ---- */

static void put_a(struct mdns_writer *w, uint16_t flush, uint32_t ttl)
{
    size_t at = mdns_put_rr_head(w, m.host, MDNS_TYPE_A, (uint16_t)(MDNS_CLASS_IN | flush), ttl);
    mdns_put32(w, m.ip);
    mdns_end_rdata(w, at);
}

/* §6.1 negative answer: NSEC naming the host itself as next name, type bitmap {A} (RFC 4034 §4.1;
 * the name is written uncompressed, as RFC 4034 §4.1.1 wants). */
static void put_nsec(struct mdns_writer *w, uint16_t flush, uint32_t ttl)
{
    size_t at = mdns_put_rr_head(w, m.host, MDNS_TYPE_NSEC, (uint16_t)(MDNS_CLASS_IN | flush), ttl);
    mdns_put_bytes(w, m.host, mdns_name_len(m.host));
    static const uint8_t bitmap[3] = { 0, 1, 0x40 };           /* window 0, 1 byte, bit 1 = type A */
    mdns_put_bytes(w, bitmap, sizeof bitmap);
    mdns_end_rdata(w, at);
}

static void put_srv(struct mdns_writer *w, unsigned s, uint16_t flush, uint32_t ttl)
{
    uint8_t inst[MDNS_NAME_MAX];
    if (instance_name(s, inst) < 0) { w->err = MDNS_E_NAME; return; }
    size_t at = mdns_put_rr_head(w, inst, MDNS_TYPE_SRV, (uint16_t)(MDNS_CLASS_IN | flush), ttl);
    mdns_put16(w, 0);                /* priority */
    mdns_put16(w, 0);                /* weight */
    mdns_put16(w, m.svc[s].port);
    mdns_put_name(w, m.host);        /* RFC 6762 §18.14: compression allowed in SRV rdata */
    mdns_end_rdata(w, at);
}

static void put_txt(struct mdns_writer *w, unsigned s, uint16_t flush, uint32_t ttl)
{
    uint8_t inst[MDNS_NAME_MAX];
    if (instance_name(s, inst) < 0) { w->err = MDNS_E_NAME; return; }
    size_t at = mdns_put_rr_head(w, inst, MDNS_TYPE_TXT, (uint16_t)(MDNS_CLASS_IN | flush), ttl);
    size_t start = w->len;
    for (unsigned i = 0; i < MDNS_MAX_TXT && m.svc[s].txt[i]; i++) {
        size_t l = strlen(m.svc[s].txt[i]);
        if (l > 255) l = 255;
        uint8_t lb = (uint8_t)l;
        mdns_put_bytes(w, &lb, 1);
        mdns_put_bytes(w, m.svc[s].txt[i], l);
    }
    if (w->len == start) { uint8_t z = 0; mdns_put_bytes(w, &z, 1); }   /* RFC 6763 §6.1: never empty */
    mdns_end_rdata(w, at);
}

static void put_ptr(struct mdns_writer *w, unsigned s, uint32_t ttl)
{
    uint8_t t[MDNS_NAME_MAX], inst[MDNS_NAME_MAX];
    if (type_name(s, t) < 0 || instance_name(s, inst) < 0) { w->err = MDNS_E_NAME; return; }
    size_t at = mdns_put_rr_head(w, t, MDNS_TYPE_PTR, MDNS_CLASS_IN, ttl);   /* shared: no cache-flush */
    mdns_put_name(w, inst);
    mdns_end_rdata(w, at);
}

static void put_svcs(struct mdns_writer *w, unsigned s, uint32_t ttl)       /* RFC 6763 §9 */
{
    uint8_t t[MDNS_NAME_MAX];
    if (type_name(s, t) < 0) { w->err = MDNS_E_NAME; return; }
    size_t at = mdns_put_rr_head(w, SERVICES, MDNS_TYPE_PTR, MDNS_CLASS_IN, ttl);
    mdns_put_name(w, t);
    mdns_end_rdata(w, at);
}

/* Writes the records of `set`; returns how many. legacy: TTL capped, no cache-flush (§6.7). */
static unsigned put_set(struct mdns_writer *w, uint32_t set, int legacy, int goodbye)
{
    unsigned n = 0;
    uint16_t flush = legacy ? 0 : MDNS_CLASS_TOP;
    uint32_t th = goodbye ? 0 : legacy ? TTL_LEGACY : TTL_HOST, to = goodbye ? 0 : legacy ? TTL_LEGACY : TTL_OTHER;
    if (set & REC_A) { put_a(w, flush, th); n++; }
    if (set & REC_NSEC) { put_nsec(w, flush, th); n++; }
    for (unsigned s = 0; s < m.nsvc; s++) {
        if (set & REC_PTR(s)) { put_ptr(w, s, to); n++; }
        if (set & REC_SRV(s)) { put_srv(w, s, flush, th); n++; }
        if (set & REC_TXT(s)) { put_txt(w, s, flush, to); n++; }
        if (set & REC_SVCS(s)) { put_svcs(w, s, to); n++; }
    }
    return n;
}

static uint32_t all_records(void)
{
    uint32_t set = REC_A;
    for (unsigned s = 0; s < m.nsvc; s++) set |= REC_PTR(s) | REC_SRV(s) | REC_TXT(s) | REC_SVCS(s);
    return set;
}

static uint32_t shared_records(void)
{
    uint32_t set = 0;
    for (unsigned s = 0; s < m.nsvc; s++) set |= REC_PTR(s) | REC_SVCS(s);
    return set;
}

/* §6: the records of `set` multicast less than a second ago. */
static uint32_t recent(uint32_t set, uint32_t now)
{
    uint32_t r = 0;
    for (unsigned i = 0; i < REC_COUNT; i++)
        if ((set & (1u << i)) && m.last_mc[i] && now - m.last_mc[i] < MULTICAST_GAP_MS) r |= 1u << i;
    return r;
}

static void mark_multicast(uint32_t set, uint32_t now)
{
    for (unsigned i = 0; i < REC_COUNT; i++) if (set & (1u << i)) m.last_mc[i] = now ? now : 1;
}

static void send_to(const struct mdns_writer *w, uint32_t ip, uint16_t port)
{
    if (w->err || m.sock < 0) return;
    (void)asnet_udp_sendto(m.sock, w->buf, w->len, ip, port);
}

/* ---- probing and announcing ---- */

static void send_probe(void)
{
    struct mdns_writer w;
    mdns_writer_init(&w, tx, sizeof tx);
    struct mdns_header h = { 0, 0, (uint16_t)(1 + m.nsvc), 0, 0, 0 };
    mdns_put_header(&w, &h);
    /* §8.1: questions of type ANY with QU set for every unique name, our proposals in Authority. */
    mdns_put_name(&w, m.host);
    mdns_put16(&w, MDNS_TYPE_ANY);
    mdns_put16(&w, MDNS_CLASS_IN | MDNS_CLASS_TOP);
    uint8_t inst[MDNS_NAME_MAX];
    for (unsigned s = 0; s < m.nsvc; s++) {
        if (instance_name(s, inst) < 0) return;
        mdns_put_name(&w, inst);
        mdns_put16(&w, MDNS_TYPE_ANY);
        mdns_put16(&w, MDNS_CLASS_IN | MDNS_CLASS_TOP);
    }
    put_a(&w, 0, TTL_HOST);
    for (unsigned s = 0; s < m.nsvc; s++) put_srv(&w, s, 0, TTL_HOST);
    mdns_set16(&w, 8, (uint16_t)(1 + m.nsvc));
    m.stats.probes++;
    send_to(&w, MDNS_GROUP, MDNS_PORT);
}

static void send_announce(int goodbye)
{
    struct mdns_writer w;
    mdns_writer_init(&w, tx, sizeof tx);
    struct mdns_header h = { 0, FLAGS_RESPONSE, 0, 0, 0, 0 };
    mdns_put_header(&w, &h);
    unsigned n = put_set(&w, all_records(), 0, goodbye);
    mdns_set16(&w, 6, (uint16_t)n);
    m.stats.announces++;
    mark_multicast(all_records(), board_now_ms());
    send_to(&w, MDNS_GROUP, MDNS_PORT);
}

/* A multicast response: answers `set`, additional `extra` (records of both sent < 1 s ago dropped,
 * unless this answers a probe, §6). */
static void send_response(uint32_t set, uint32_t extra, int probe, uint32_t ip, uint16_t port)
{
    uint32_t now = board_now_ms();
    if (!probe) {
        uint32_t r = recent(set | extra, now);
        if (set & r) m.stats.rate_limited++;
        set &= ~r;
        extra &= ~r;
    }
    extra &= ~set;
    if (!set) return;
    struct mdns_writer w;
    mdns_writer_init(&w, tx, sizeof tx);
    struct mdns_header h = { 0, FLAGS_RESPONSE, 0, 0, 0, 0 };
    mdns_put_header(&w, &h);
    unsigned an = put_set(&w, set, 0, 0);
    unsigned ar = put_set(&w, extra, 0, 0);
    mdns_set16(&w, 6, (uint16_t)an);
    mdns_set16(&w, 10, (uint16_t)ar);
    m.stats.answered++;
    send_to(&w, MDNS_GROUP, MDNS_PORT);
    mark_multicast(set | extra, now);
    emit(MDNS_EV_ANSWERED, (int)(an + ar), 0, ip, port);
}

static void start_probing(uint32_t delay)
{
    m.pend_set = m.pend_extra = m.pend_at = 0;
    m.state = MDNS_PROBING;
    m.step = 0;
    m.next_ms = board_now_ms() + delay;
    emit(MDNS_EV_PROBING, 0, 0, 0, 0);
}

static void conflict(void)
{
    uint32_t now = board_now_ms();
    m.stats.conflicts++;
    if (now - m.storm_start > STORM_WINDOW_MS) { m.storm_start = now; m.storm_count = 0; }
    m.storm_count++;
    m.rename++;
    set_label();
    emit(MDNS_EV_CONFLICT, (int)m.rename, 0, 0, 0);
    start_probing(m.storm_count > STORM_CONFLICTS ? STORM_WAIT_MS : board_random() % PROBE_GAP_MS);
}

int32_t mdns_poll(void)
{
    uint32_t now = board_now_ms();
    if (m.state == MDNS_RUNNING && m.pend_at) {
        if ((int32_t)(now - m.pend_at) < 0) return (int32_t)(m.pend_at - now);
        uint32_t set = m.pend_set, extra = m.pend_extra;
        m.pend_set = m.pend_extra = m.pend_at = 0;
        send_response(set, extra, 0, m.pend_ip, m.pend_port);
        return 1000;
    }
    if (m.state == MDNS_OFF || m.state == MDNS_RUNNING) return 1000;
    if (!due(now)) { int32_t left = (int32_t)(m.next_ms - now); return left > 1000 ? 1000 : left; }
    if (m.state == MDNS_DEFERRING) { start_probing(0); return 0; }
    if (m.state == MDNS_PROBING) {
        if (m.step < PROBES) { send_probe(); m.step++; m.next_ms = now + PROBE_GAP_MS; return PROBE_GAP_MS; }
        m.state = MDNS_ANNOUNCING;                       /* 250 ms after the third probe: the name is ours */
        m.step = 0;
    }
    send_announce(0);
    if (++m.step < ANNOUNCES) { m.next_ms = now + ANNOUNCE_GAP_MS; return ANNOUNCE_GAP_MS; }
    m.state = MDNS_RUNNING;
    emit(MDNS_EV_READY, 0, 0, 0, 0);
    return 1000;
}

/* ---- input ---- */

/* Which of our unique names is `name`: -1 none, 0 the host, 1+s service s's instance. */
static int unique_name(const uint8_t *name)
{
    if (mdns_name_eq(name, m.host)) return 0;
    uint8_t inst[MDNS_NAME_MAX];
    for (unsigned s = 0; s < m.nsvc; s++) if (instance_name(s, inst) >= 0 && mdns_name_eq(name, inst)) return (int)(1 + s);
    return -1;
}

/* True when a record for one of our unique names carries our data (then it is no conflict). */
static int same_data(const struct mdns_reader *r, const struct mdns_rr *rr, int which)
{
    const uint8_t *d = r->msg + rr->rdata_off;
    if (which == 0) {
        if (rr->type != MDNS_TYPE_A) return 1;          /* we own no other type at the host name (IPv4 only) */
        return rr->rdlen == 4 && ((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]) == m.ip;
    }
    if (rr->type != MDNS_TYPE_SRV) return 1;
    uint8_t target[MDNS_NAME_MAX];
    size_t end;
    if (rr->rdlen < 7 || mdns_read_name_at(r->msg, rr->rdata_off + rr->rdlen, rr->rdata_off + 6, target, &end) < 0) return 0;
    return (uint16_t)(d[4] << 8 | d[5]) == m.svc[which - 1].port && mdns_name_eq(target, m.host);
}

/* §8.2 tie-break against another host's probe for our host name: compare its A rdata with ours
 * as unsigned bytes (class and type are equal). Returns 1 when we lose. */
static int lose_tiebreak(const struct mdns_reader *r, const struct mdns_rr *rr)
{
    if (rr->type != MDNS_TYPE_A) return rr->type > MDNS_TYPE_A;
    if (rr->rdlen != 4) return 0;
    const uint8_t *d = r->msg + rr->rdata_off;
    uint32_t theirs = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
    return theirs > m.ip;
}

/* True when a TXT record's rdata is exactly the one we would send for service s. */
static int same_txt(const struct mdns_reader *r, const struct mdns_rr *rr, unsigned s)
{
    uint8_t mine[512];
    struct mdns_writer w;
    mdns_writer_init(&w, mine, sizeof mine);
    put_txt(&w, s, 0, 0);
    if (w.err) return 0;
    struct mdns_reader back;
    struct mdns_rr ours;
    back.msg = mine; back.len = w.len; back.off = 0;
    if (mdns_read_rr(&back, &ours) < 0) return 0;
    return ours.rdlen == rr->rdlen && !memcmp(mine + ours.rdata_off, r->msg + rr->rdata_off, rr->rdlen);
}

/* Known answers (§7.1) of a query that we would give anyway: removed from `set`. */
static uint32_t known(const struct mdns_reader *r, const struct mdns_rr *rr, uint32_t set)
{
    uint8_t target[MDNS_NAME_MAX], t[MDNS_NAME_MAX], inst[MDNS_NAME_MAX];
    size_t end;
    if (rr->type == MDNS_TYPE_A && unique_name(rr->name) == 0 && same_data(r, rr, 0) && rr->ttl >= TTL_HOST / 2)
        return set & ~REC_A;
    int which = unique_name(rr->name);
    if (rr->type == MDNS_TYPE_SRV && which > 0 && same_data(r, rr, which) && rr->ttl >= TTL_HOST / 2)
        return set & ~REC_SRV(which - 1);
    if (rr->type == MDNS_TYPE_TXT && which > 0 && rr->ttl >= TTL_OTHER / 2 && same_txt(r, rr, (unsigned)which - 1))
        return set & ~REC_TXT(which - 1);
    if (rr->type != MDNS_TYPE_PTR || rr->ttl < TTL_OTHER / 2) return set;
    if (mdns_read_name_at(r->msg, rr->rdata_off + rr->rdlen, rr->rdata_off, target, &end) < 0) return set;
    for (unsigned s = 0; s < m.nsvc; s++) {
        if (type_name(s, t) < 0 || instance_name(s, inst) < 0) continue;
        if (mdns_name_eq(rr->name, t) && mdns_name_eq(target, inst)) set &= ~REC_PTR(s);
        if (mdns_name_eq(rr->name, SERVICES) && mdns_name_eq(target, t)) set &= ~REC_SVCS(s);
    }
    return set;
}

/* Our answers to one question, and the additional records they call for (RFC 6763 §12). */
static uint32_t answers_for(const struct mdns_question *q, uint32_t *extra)
{
    uint32_t set = 0;
    int any = q->type == MDNS_TYPE_ANY;
    uint8_t t[MDNS_NAME_MAX], inst[MDNS_NAME_MAX];
    if ((q->cls & 0x7fffu) != MDNS_CLASS_IN && (q->cls & 0x7fffu) != MDNS_TYPE_ANY) return 0;
    if (mdns_name_eq(q->name, m.host)) {
        if (any || q->type == MDNS_TYPE_A) { set |= REC_A; *extra |= REC_NSEC; }   /* §6.1: and no AAAA */
        else set |= REC_NSEC;                                   /* a type we do not have (AAAA, ...) */
    }
    for (unsigned s = 0; s < m.nsvc; s++) {
        if (type_name(s, t) < 0 || instance_name(s, inst) < 0) continue;
        if (mdns_name_eq(q->name, t) && (any || q->type == MDNS_TYPE_PTR)) {
            set |= REC_PTR(s);
            *extra |= REC_SRV(s) | REC_TXT(s) | REC_A;
        }
        if (mdns_name_eq(q->name, inst)) {
            if (any || q->type == MDNS_TYPE_SRV) { set |= REC_SRV(s); *extra |= REC_A; }
            if (any || q->type == MDNS_TYPE_TXT) set |= REC_TXT(s);
        }
        if (mdns_name_eq(q->name, SERVICES) && (any || q->type == MDNS_TYPE_PTR)) set |= REC_SVCS(s);
    }
    return set;
}

/* Records of a response, or of a probe's authority section: conflicts with our unique names. */
static int check_records(struct mdns_reader *r, unsigned count, int probe)
{
    struct mdns_rr rr;
    for (unsigned i = 0; i < count; i++) {
        int e = mdns_read_rr(r, &rr);
        if (e < 0) return e;
        int which = unique_name(rr.name);
        if (which < 0 || rr.ttl == 0) continue;                    /* a goodbye claims nothing */
        if (probe) {
            /* §8.2: only while we probe too; a running responder answers the probe instead. */
            if (m.state == MDNS_PROBING && which == 0 && !same_data(r, &rr, 0) && lose_tiebreak(r, &rr)) {
                m.state = MDNS_DEFERRING;
                m.next_ms = board_now_ms() + TIEBREAK_WAIT_MS;
                return 1;
            }
            continue;
        }
        if (!same_data(r, &rr, which)) { conflict(); return 1; }
    }
    return 0;
}

static void answer(const uint8_t *msg, size_t len, const struct mdns_header *h, uint32_t ip, uint16_t port)
{
    if (m.state != MDNS_RUNNING && m.state != MDNS_ANNOUNCING) return;   /* not ours until probed (§8.1) */
    struct mdns_reader r;
    struct mdns_header hh;
    mdns_read_header(&r, msg, len, &hh);
    int legacy = port != MDNS_PORT;                                 /* §6.7: a one-shot resolver */
    int unicast = legacy;
    uint32_t set = 0, extra = 0;
    struct mdns_writer w;
    mdns_writer_init(&w, tx, sizeof tx);
    struct mdns_header out = { legacy ? h->id : 0, FLAGS_RESPONSE, 0, 0, 0, 0 };
    mdns_put_header(&w, &out);
    unsigned qd = 0;
    struct mdns_question q;
    for (unsigned i = 0; i < h->qd; i++) {
        int e = mdns_read_question(&r, &q);
        if (e < 0) { m.stats.malformed++; emit(MDNS_EV_MALFORMED, e, 0, ip, port); return; }
        uint32_t mine = answers_for(&q, &extra);
        if (mine && (q.cls & MDNS_CLASS_TOP)) unicast = 1;          /* §5.4 QU */
        set |= mine;
        if (legacy && mine && qd < 8) {                             /* §6.7: echo the question */
            mdns_put_name(&w, q.name);
            mdns_put16(&w, q.type);
            mdns_put16(&w, q.cls & 0x7fffu);
            qd++;
        }
    }
    if (!set) return;
    struct mdns_rr rr;
    for (unsigned i = 0; i < h->an; i++) {                          /* §7.1 known answers */
        int e = mdns_read_rr(&r, &rr);
        if (e < 0) { m.stats.malformed++; emit(MDNS_EV_MALFORMED, e, 0, ip, port); return; }
        uint32_t before = set;
        set = known(&r, &rr, set);
        if (set != before) m.stats.known_answer_suppressed++;
    }
    if (!set) return;
    extra &= ~set;
    if (!unicast) {
        if (h->ns || !(set & shared_records())) { send_response(set, extra, h->ns != 0, ip, port); return; }
        m.pend_set |= set;                                          /* §6: shared answers wait 20-120 ms */
        m.pend_extra |= extra;
        m.pend_ip = ip;
        m.pend_port = port;
        if (!m.pend_at) m.pend_at = (board_now_ms() + SHARED_DELAY_MIN_MS + board_random() % SHARED_DELAY_SPAN_MS) | 1u;
        return;
    }
    unsigned an = put_set(&w, set, legacy, 0);
    unsigned ar = legacy ? 0 : put_set(&w, extra, 0, 0);
    mdns_set16(&w, 4, (uint16_t)qd);
    mdns_set16(&w, 6, (uint16_t)an);
    mdns_set16(&w, 10, (uint16_t)ar);
    m.stats.answered++;
    send_to(&w, ip, port);
    emit(MDNS_EV_ANSWERED, (int)(an + ar), 1, ip, port);
}

void mdns_input(const uint8_t *msg, int32_t len, uint32_t ip, uint16_t port)
{
    m.stats.rx++;
    if (m.state == MDNS_OFF || len < 0) return;
    struct mdns_reader r;
    struct mdns_header h;
    int e = mdns_read_header(&r, msg, (size_t)len, &h);
    if (e < 0) { m.stats.malformed++; emit(MDNS_EV_MALFORMED, e, 0, ip, port); return; }
    if ((h.flags & 0x7800u) != 0) return;                           /* §18.3: opcode must be 0 */
    if (h.flags & 0x8000u) {                                        /* a response: only conflicts matter */
        if (port != MDNS_PORT) return;                              /* §11: responses come from 5353 */
        for (unsigned i = 0; i < h.qd; i++) {
            struct mdns_question q;
            if ((e = mdns_read_question(&r, &q)) < 0) break;
        }
        if (e >= 0) e = check_records(&r, (unsigned)h.an + h.ns + h.ar, 0);
        if (e < 0) { m.stats.malformed++; emit(MDNS_EV_MALFORMED, e, 0, ip, port); }
        return;
    }
    m.stats.queries++;
    if (h.ns) {                                                     /* a probe: tie-break if we probe too */
        for (unsigned i = 0; i < h.qd && e >= 0; i++) { struct mdns_question q; e = mdns_read_question(&r, &q); }
        struct mdns_rr rr;
        for (unsigned i = 0; i < h.an && e >= 0; i++) e = mdns_read_rr(&r, &rr);
        if (e >= 0) e = check_records(&r, h.ns, 1);
        if (e < 0) { m.stats.malformed++; emit(MDNS_EV_MALFORMED, e, 0, ip, port); return; }
        if (e > 0) return;
    }
    answer(msg, (size_t)len, &h, ip, port);
}

static void on_event(int32_t h, uint32_t events, void *ctx)
{
    (void)ctx;
    if (!(events & STACK_EV_READABLE)) return;
    for (int i = 0; i < 16; i++) {                                  /* bounded per event */
        uint32_t ip = 0;
        uint16_t port = 0;
        int32_t n = asnet_udp_recvfrom(h, rx, sizeof rx, &ip, &port);
        if (n < 0) return;
        mdns_input(rx, n, ip, port);
    }
}

/* ---- life cycle ---- */

static int32_t open_and_join(void)
{
    int32_t r = stack_glue_call1(STACK_RT_mcast_join, MDNS_GROUP);
    if (r < 0) return r;
    m.joined = 1;
    m.sock = asnet_udp_open(MDNS_PORT, on_event, NULL);
    if (m.sock < 0) { r = m.sock; (void)stack_glue_call1(STACK_RT_mcast_leave, MDNS_GROUP); m.joined = 0; return r; }
    return 0;
}

int32_t mdns_start(const struct mdns_config *cfg, mdns_event_fn fn)
{
    if (m.state != MDNS_OFF) mdns_stop();
    if (!cfg->name || !*cfg->name || strlen(cfg->name) > 63 || strchr(cfg->name, '.') || cfg->nservices > MDNS_MAX_SERVICES)
        return STACK_EINVAL;
    snprintf(m.base, sizeof m.base, "%s", cfg->name);
    m.svc = cfg->services;
    m.nsvc = cfg->nservices;
    for (unsigned s = 0; s < m.nsvc; s++) {
        uint8_t t[MDNS_NAME_MAX];
        if (!m.svc[s].type || type_name(s, t) < 0) return STACK_EINVAL;
    }
    m.ip = cfg->ip;
    m.fn = fn;
    memset(m.last_mc, 0, sizeof m.last_mc);
    m.rename = 1;
    set_label();
    int32_t r = open_and_join();
    if (r < 0) return r;
    start_probing(board_random() % PROBE_GAP_MS);                  /* §8.1: 0-250 ms first */
    return 0;
}

void mdns_stop(void)
{
    if (m.state == MDNS_RUNNING || m.state == MDNS_ANNOUNCING) send_announce(1);   /* §10.1 goodbye */
    if (m.sock >= 0) asnet_udp_close(m.sock);
    if (m.joined) (void)stack_glue_call1(STACK_RT_mcast_leave, MDNS_GROUP);
    m.sock = -1;
    m.joined = 0;
    m.state = MDNS_OFF;
}

void mdns_set_ip(uint32_t ip)
{
    if (ip == m.ip) return;
    m.ip = ip;
    if (m.state != MDNS_OFF) start_probing(board_random() % PROBE_GAP_MS);
}

int32_t mdns_restart(void)
{
    m.sock = -1;
    m.joined = 0;
    int32_t r = open_and_join();
    if (r == 0) start_probing(board_random() % PROBE_GAP_MS);
    return r;
}

const char *mdns_hostname(void) { return m.label; }
enum mdns_state mdns_state(void) { return m.state; }
const struct mdns_stats *mdns_stats(void) { return &m.stats; }
