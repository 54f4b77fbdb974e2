/* MQTT 3.1.1 packet encoders and the incremental server-packet parser (mqtt_codec.h). Section
 * numbers are those of the OASIS MQTT 3.1.1 standard. */
#include "mqtt_codec.h"

static size_t slen(const char *s) { size_t n = 0; if (s) while (s[n]) n++; return n; }

static void copy(uint8_t *d, const void *s, size_t n) { const uint8_t *b = s; while (n--) *d++ = *b++; }

/* ---- validation ---- */

/* Section 1.5.3: well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF) and
 * no U+0000 (MQTT-1.5.3-2). */
int mqtt_check_utf8(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c == 0) return MQTT_E_TOPIC;
        if (c < 0x80) { i++; continue; }
        unsigned extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;
        if (extra == 0 || c > 0xf4 || n - i <= extra) return MQTT_E_TOPIC;
        uint32_t cp = c & (0x3fu >> extra);
        for (unsigned k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return MQTT_E_TOPIC;
            cp = cp << 6 | (s[i + k] & 0x3fu);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10ffff))) return MQTT_E_TOPIC;
        i += extra + 1;
    }
    return 0;
}

/* Section 4.7.3: at least one character; 3.3.2.1: a topic name has no wildcards. */
int mqtt_check_topic(const uint8_t *s, size_t n)
{
    if (n == 0) return MQTT_E_TOPIC;
    for (size_t i = 0; i < n; i++) if (s[i] == '+' || s[i] == '#') return MQTT_E_TOPIC;
    return mqtt_check_utf8(s, n);
}

/* Section 4.7.1: '#' only as the whole last level; '+' only as a whole level. */
int mqtt_check_filter(const uint8_t *s, size_t n)
{
    if (n == 0) return MQTT_E_TOPIC;
    for (size_t i = 0; i < n; i++) {
        int starts = i == 0 || s[i - 1] == '/', ends = i + 1 == n || s[i + 1] == '/';
        if (s[i] == '#' && (!starts || i + 1 != n)) return MQTT_E_TOPIC;
        if (s[i] == '+' && (!starts || !ends)) return MQTT_E_TOPIC;
    }
    return mqtt_check_utf8(s, n);
}

/* ---- encoders ---- */

int mqtt_enc_length(uint8_t out[4], uint32_t v)
{
    if (v > 268435455u) return MQTT_E_ARG;
    int n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        out[n++] = (uint8_t)(b | (v ? 0x80 : 0));
    } while (v);
    return n;
}

struct wr { uint8_t *p; size_t cap, n; int err; };

static void put(struct wr *w, const void *s, size_t n)
{
    if (w->err) return;
    if (n > w->cap - w->n) { w->err = MQTT_E_NOSPACE; return; }
    copy(w->p + w->n, s, n);
    w->n += n;
}
static void put8(struct wr *w, uint8_t b) { put(w, &b, 1); }
static void put16(struct wr *w, uint16_t v) { uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v }; put(w, b, 2); }
static void put_str(struct wr *w, const void *s, size_t n)   /* section 1.5.3: 2-byte length + bytes */
{
    if (n > 0xffff) { w->err = MQTT_E_ARG; return; }
    put16(w, (uint16_t)n);
    put(w, s, n);
}
/* Fixed header: the type/flags byte and the remaining length (section 2.2). */
static void put_fixed(struct wr *w, uint8_t first, uint32_t remaining)
{
    uint8_t len[4];
    int n = mqtt_enc_length(len, remaining);
    if (n < 0) { if (!w->err) w->err = n; return; }
    put8(w, first);
    put(w, len, (size_t)n);
}
static int done(const struct wr *w) { return w->err ? w->err : (int)w->n; }

/* Section 3.1: protocol name "MQTT", level 4, connect flags (3.1.2.3), keepalive, then the payload
 * in the order client id, will topic, will message, user name, password (3.1.3). */
int mqtt_enc_connect(uint8_t *out, size_t cap, const struct mqtt_connect_opts *o)
{
    size_t id = slen(o->client_id), wt = slen(o->will_topic), un = slen(o->username);
    if (o->will_qos > 2 || (o->password && !o->username)) return MQTT_E_ARG;         /* 3.1.2.9 */
    if (!o->will_topic && (o->will_qos || o->will_retain)) return MQTT_E_ARG;       /* 3.1.2.6, 3.1.2.7 */
    if (id == 0 && !o->clean_session) return MQTT_E_ARG;                            /* 3.1.3.1 */
    if (o->will_topic && mqtt_check_topic((const uint8_t *)o->will_topic, wt)) return MQTT_E_TOPIC;
    if (mqtt_check_utf8((const uint8_t *)o->client_id, id) || mqtt_check_utf8((const uint8_t *)o->username, un)) return MQTT_E_ARG;
    uint8_t flags = (uint8_t)((o->username ? 0x80 : 0) | (o->password ? 0x40 : 0) | (o->clean_session ? 0x02 : 0));
    if (o->will_topic) flags |= (uint8_t)(0x04 | o->will_qos << 3 | (o->will_retain ? 0x20 : 0));
    uint32_t rem = 10 + 2 + (uint32_t)id;
    if (o->will_topic) rem += 4 + (uint32_t)wt + o->will_len;
    if (o->username) rem += 2 + (uint32_t)un;
    if (o->password) rem += 2 + (uint32_t)o->password_len;
    struct wr w = { out, cap, 0, 0 };
    put_fixed(&w, MQTT_CONNECT << 4, rem);
    put_str(&w, "MQTT", 4);
    put8(&w, 4);
    put8(&w, flags);
    put16(&w, o->keepalive_s);
    put_str(&w, o->client_id, id);
    if (o->will_topic) { put_str(&w, o->will_topic, wt); put_str(&w, o->will_msg, o->will_len); }
    if (o->username) put_str(&w, o->username, un);
    if (o->password) put_str(&w, o->password, o->password_len);
    return done(&w);
}

/* Section 3.3: DUP (bit 3), QoS (bits 2-1), RETAIN (bit 0); topic; packet id only for QoS 1 and 2. */
int mqtt_enc_publish_head(uint8_t *out, size_t cap, const char *topic, uint16_t topic_len, uint16_t id,
                          uint8_t qos, uint8_t retain, uint8_t dup, uint32_t payload_len)
{
    if (qos > 2 || (qos && id == 0) || (dup && !qos)) return MQTT_E_ARG;   /* 2.3.1, 3.3.1.1 */
    if (mqtt_check_topic((const uint8_t *)topic, topic_len)) return MQTT_E_TOPIC;
    uint32_t vh = 2u + topic_len + (qos ? 2u : 0u);
    if (payload_len > 268435455u - vh) return MQTT_E_ARG;
    struct wr w = { out, cap, 0, 0 };
    put_fixed(&w, (uint8_t)(MQTT_PUBLISH << 4 | (dup ? 8 : 0) | qos << 1 | (retain ? 1 : 0)), vh + payload_len);
    put_str(&w, topic, topic_len);
    if (qos) put16(&w, id);
    return done(&w);
}

int mqtt_enc_ack(uint8_t *out, size_t cap, enum mqtt_type type, uint16_t id)
{
    if (type < MQTT_PUBACK || type > MQTT_PUBCOMP || id == 0) return MQTT_E_ARG;
    struct wr w = { out, cap, 0, 0 };
    put_fixed(&w, (uint8_t)(type << 4 | (type == MQTT_PUBREL ? 2 : 0)), 2);      /* 3.6.1: PUBREL 0010 */
    put16(&w, id);
    return done(&w);
}

/* Sections 3.8 and 3.10: flags 0010, packet id, then (filter, requested QoS) or filters. */
static int enc_filters(uint8_t *out, size_t cap, enum mqtt_type type, uint16_t id, const char *const *f,
                       const uint8_t *qos, unsigned n)
{
    if (n == 0 || id == 0) return MQTT_E_ARG;                         /* 3.8.3-3, 3.10.3-2 */
    uint32_t rem = 2;
    for (unsigned i = 0; i < n; i++) {
        size_t len = slen(f[i]);
        if (mqtt_check_filter((const uint8_t *)f[i], len)) return MQTT_E_TOPIC;
        if (qos && qos[i] > 2) return MQTT_E_ARG;
        if (len > 0xffff) return MQTT_E_ARG;
        rem += 2 + (uint32_t)len + (qos ? 1 : 0);
    }
    struct wr w = { out, cap, 0, 0 };
    put_fixed(&w, (uint8_t)(type << 4 | 2), rem);
    put16(&w, id);
    for (unsigned i = 0; i < n; i++) {
        put_str(&w, f[i], slen(f[i]));
        if (qos) put8(&w, qos[i]);
    }
    return done(&w);
}

int mqtt_enc_subscribe(uint8_t *out, size_t cap, uint16_t id, const char *const *filters, const uint8_t *qos, unsigned n)
{
    return qos ? enc_filters(out, cap, MQTT_SUBSCRIBE, id, filters, qos, n) : MQTT_E_ARG;
}

int mqtt_enc_unsubscribe(uint8_t *out, size_t cap, uint16_t id, const char *const *filters, unsigned n)
{
    return enc_filters(out, cap, MQTT_UNSUBSCRIBE, id, filters, NULL, n);
}

int mqtt_enc_empty(uint8_t *out, size_t cap, enum mqtt_type type)
{
    if (type != MQTT_PINGREQ && type != MQTT_DISCONNECT) return MQTT_E_ARG;
    struct wr w = { out, cap, 0, 0 };
    put_fixed(&w, (uint8_t)(type << 4), 0);
    return done(&w);
}

/* ---- the parser ---- */

enum { ST_HEADER, ST_LENGTH, ST_BODY, ST_PUB_VH, ST_PUB_PAYLOAD };

void mqtt_parser_init(struct mqtt_parser *p, uint8_t *buf, uint16_t cap)
{
    uint8_t *b = (uint8_t *)p;
    for (size_t i = 0; i < sizeof *p; i++) b[i] = 0;
    p->buf = buf;
    p->cap = cap;
}

static uint16_t be16(const uint8_t *b) { return (uint16_t)(b[0] << 8 | b[1]); }

/* Section 2.2.2: the flags every server-to-client type must carry. */
static int check_header(uint8_t h)
{
    unsigned type = h >> 4, flags = h & 15;
    switch (type) {
    case MQTT_PUBLISH:
        if (((flags >> 1) & 3) == 3) return MQTT_E_QOS;                          /* 3.3.1.2 */
        if ((flags & 8) && !(flags & 6)) return MQTT_E_QOS;                      /* 3.3.1.1: DUP on QoS 0 */
        return 0;
    case MQTT_PUBREL: return flags == 2 ? 0 : MQTT_E_FLAGS;
    case MQTT_CONNACK: case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBCOMP:
    case MQTT_SUBACK: case MQTT_UNSUBACK: case MQTT_PINGRESP:
        return flags == 0 ? 0 : MQTT_E_FLAGS;
    default: return MQTT_E_PACKET_TYPE;     /* 0, 15 (reserved) and the client-only types */
    }
}

/* A complete non-PUBLISH body in p->buf: checked field by field, then emitted. */
static int decode_body(struct mqtt_parser *p, mqtt_ev_fn fn, void *ctx)
{
    struct mqtt_ev ev = { .kind = MQTT_EV_PACKET, .type = (enum mqtt_type)(p->header >> 4) };
    const uint8_t *b = p->buf;
    uint32_t n = p->remaining;
    switch (ev.type) {
    case MQTT_CONNACK:                                              /* 3.2: flags byte, return code */
        if (n != 2 || (b[0] & 0xfe)) return MQTT_E_MALFORMED;
        if (b[1] > 5) return MQTT_E_MALFORMED;                      /* 3.2.2.3: 6-255 reserved */
        ev.session_present = b[0] & 1;
        ev.rc = b[1];
        break;
    case MQTT_PINGRESP:
        if (n != 0) return MQTT_E_MALFORMED;
        break;
    case MQTT_SUBACK:                                               /* 3.9: id + one code per filter */
        if (n < 3) return MQTT_E_MALFORMED;
        for (uint32_t i = 2; i < n; i++) if (b[i] > 2 && b[i] != 0x80) return MQTT_E_QOS;   /* 3.9.3 */
        ev.data = b + 2;
        ev.len = n - 2;
        ev.id = be16(b);
        if (ev.id == 0) return MQTT_E_PACKET_ID;
        break;
    default:                                                        /* PUBACK..PUBCOMP, UNSUBACK: id */
        if (n != 2) return MQTT_E_MALFORMED;
        ev.id = be16(b);
        if (ev.id == 0) return MQTT_E_PACKET_ID;
        break;
    }
    return fn(ctx, &ev);
}

/* PUBLISH variable header in p->buf: topic (validated), packet id for QoS > 0. */
static int decode_publish_vh(struct mqtt_parser *p, mqtt_ev_fn fn, void *ctx)
{
    struct mqtt_ev *e = &p->pub;
    uint16_t tl = be16(p->buf);
    *e = (struct mqtt_ev){ .kind = MQTT_EV_PUB_START, .type = MQTT_PUBLISH, .qos = (p->header >> 1) & 3,
                           .retain = p->header & 1, .dup = (p->header >> 3) & 1, .topic = p->buf + 2, .topic_len = tl };
    int r = mqtt_check_topic(e->topic, tl);
    if (r) return r;
    if (e->qos) { e->id = be16(p->buf + 2 + tl); if (e->id == 0) return MQTT_E_PACKET_ID; }
    e->payload_len = p->remaining - p->vh_len;
    return fn(ctx, e);
}

static int fail(struct mqtt_parser *p, int err) { p->err = err; return err; }

/* Takes up to `want` bytes of the current stage into the buffer at `at`; 1 when the stage is full. */
static int gather(struct mqtt_parser *p, uint32_t at, uint32_t want, const uint8_t *in, uint32_t n, uint32_t *used)
{
    uint32_t take = want - p->got;
    if (take > n - *used) take = n - *used;
    copy(p->buf + at + p->got, in + *used, take);
    p->got += take;
    *used += take;
    return p->got == want;
}

/* After the remaining length: where the packet goes. */
static int start_body(struct mqtt_parser *p)
{
    p->got = 0;
    if ((p->header >> 4) != MQTT_PUBLISH) {
        if (p->remaining > p->cap) return MQTT_E_TOO_BIG;
        p->stage = ST_BODY;
        return 0;
    }
    uint32_t min = 2u + (((p->header >> 1) & 3) ? 2u : 0u);       /* topic length (+ id) */
    if (p->remaining < min) return MQTT_E_MALFORMED;
    if (p->cap < 2) return MQTT_E_TOO_BIG;
    p->vh_len = 0;                                                  /* known once the topic length is in */
    p->stage = ST_PUB_VH;
    return 0;
}

static void packet_done(struct mqtt_parser *p) { p->stage = ST_HEADER; p->got = 0; }

int32_t mqtt_parse(struct mqtt_parser *p, const uint8_t *in, uint32_t n, mqtt_ev_fn fn, void *ctx)
{
    uint32_t used = 0;
    int r = 0;
    if (p->err) return p->err;
    while (used < n) {
        switch (p->stage) {
        case ST_HEADER:
            if ((r = check_header(in[used]))) return fail(p, r);
            p->header = in[used++];
            p->remaining = 0;
            p->len_bytes = 0;
            p->stage = ST_LENGTH;
            break;
        case ST_LENGTH: {                                           /* 2.2.3: at most 4 bytes */
            uint8_t b = in[used++];
            p->remaining |= (uint32_t)(b & 0x7f) << (7 * p->len_bytes);
            if (++p->len_bytes == 4 && (b & 0x80)) return fail(p, MQTT_E_REMAINING_LENGTH);
            if (b & 0x80) break;
            if ((r = start_body(p))) return fail(p, r);
            if (p->stage == ST_BODY && p->remaining == 0) {
                packet_done(p);
                if ((r = decode_body(p, fn, ctx))) return fail(p, r);
                return (int32_t)used;
            }
            break;
        }
        case ST_BODY:
            if (!gather(p, 0, p->remaining, in, n, &used)) break;
            packet_done(p);
            if ((r = decode_body(p, fn, ctx))) return fail(p, r);
            return (int32_t)used;
        case ST_PUB_VH:
            if (p->vh_len == 0) {                                   /* first the 2 topic-length bytes */
                if (!gather(p, 0, 2, in, n, &used)) break;
                p->vh_len = 2u + be16(p->buf) + (((p->header >> 1) & 3) ? 2u : 0u);
                if (p->vh_len > p->remaining) return fail(p, MQTT_E_MALFORMED);
                if (p->vh_len > p->cap) return fail(p, MQTT_E_TOO_BIG);
            }
            if (p->got < p->vh_len && !gather(p, 0, p->vh_len, in, n, &used)) break;
            if ((r = decode_publish_vh(p, fn, ctx))) return fail(p, r);
            p->got = 0;
            p->stage = ST_PUB_PAYLOAD;
            if (p->pub.payload_len == 0) goto pub_end;
            break;
        case ST_PUB_PAYLOAD: {
            uint32_t take = p->pub.payload_len - p->got;
            if (take > n - used) take = n - used;
            struct mqtt_ev d = p->pub;
            d.kind = MQTT_EV_PUB_DATA;
            d.data = in + used;
            d.len = take;
            used += take;
            p->got += take;
            if ((r = fn(ctx, &d))) return fail(p, r);
            if (p->got < p->pub.payload_len) break;
        pub_end:
            p->pub.kind = MQTT_EV_PUB_END;
            packet_done(p);
            if ((r = fn(ctx, &p->pub))) return fail(p, r);
            return (int32_t)used;
        }
        }
    }
    return (int32_t)used;
}
