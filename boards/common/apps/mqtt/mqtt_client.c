/* MQTT 3.1.1 client on asnet.h (mqtt_client.h). Section numbers: OASIS MQTT 3.1.1. */
#include "mqtt_client.h"
#include "asnet.h"

_Static_assert(MQTT_INFLIGHT * (MQTT_MAX_TOPIC + 9) + 16 <= MQTT_TX_RING,
               "the ring must hold every re-sent PUBLISH head of a resumed session plus an ack");
_Static_assert(MQTT_RX_BUF <= 65535 && MQTT_INFLIGHT <= 255, "buffer sizes");

enum { OUT_FREE, OUT_SENDING, OUT_WAIT_ACK, OUT_WAIT_REC, OUT_WAIT_COMP };   /* QoS 0, 1 (PUBACK), 2 (PUBREC, PUBCOMP) */

static void zero(void *p, size_t n) { uint8_t *b = p; while (n--) *b++ = 0; }
static uint32_t tx_used(const struct mqtt_client *c) { return c->tx_head - c->tx_tail; }
static uint32_t tx_free(const struct mqtt_client *c) { return MQTT_TX_RING - tx_used(c); }
static uint32_t marks(const struct mqtt_client *c) { return c->mark_head - c->mark_tail; }

void mqtt_init(struct mqtt_client *c, const struct mqtt_config *cfg, const struct mqtt_callbacks *cb, void *ctx)
{
    zero(c, sizeof *c);
    c->cfg = *cfg;
    if (!c->cfg.connack_timeout_ms) c->cfg.connack_timeout_ms = 10000;
    if (!c->cfg.ping_timeout_ms) {
        uint32_t half = c->cfg.connect.keepalive_s * 500u;
        c->cfg.ping_timeout_ms = half < 1000 ? 1000 : half;
    }
    c->cb = *cb;
    c->ctx = ctx;
    c->next_id = 1;
    c->tcp = -1;
}

unsigned mqtt_inflight(const struct mqtt_client *c)
{
    unsigned n = 0;
    for (unsigned i = 0; i < MQTT_INFLIGHT; i++) n += c->out[i].state != OUT_FREE;
    return n;
}

/* ---- closing ---- */

static void release_out(struct mqtt_client *c, unsigned i, int err)
{
    struct mqtt_out *o = &c->out[i];
    uint16_t id = o->id;
    uint8_t qos = o->qos;
    o->state = OUT_FREE;
    if (c->cb.on_published) c->cb.on_published(c->ctx, id, qos, err);
}

/* Ends the connection: RST on an error (the server must not take a half-sent packet for a whole
 * one), FIN after MQTT_OK. QoS 0 publishes not yet sent are dropped; QoS 1/2 stay for the session. */
static void mqtt_close(struct mqtt_client *c, int err)
{
    if (c->state == MQTT_IDLE) return;
    if (c->tcp > 0) {
        if (err == MQTT_OK) asnet_tcp_close(c->tcp); else asnet_tcp_abort(c->tcp);
    }
    c->tcp = -1;
    c->state = MQTT_IDLE;
    c->close_err = err;
    c->closing = 0;
    c->tx_head = c->tx_tail = 0;
    c->mark_head = c->mark_tail = c->mark_sent = 0;
    c->rx_off = c->rx_len = 0;
    c->rx_eof = 0;
    c->ping_out = 0;
    for (unsigned i = 0; i < MQTT_PENDING; i++) c->pending[i] = 0;
    for (unsigned i = 0; i < MQTT_INFLIGHT; i++) if (c->out[i].state == OUT_SENDING) release_out(c, i, err ? err : MQTT_E_TCP);
    if (c->cb.on_closed) c->cb.on_closed(c->ctx, err);
}

void mqtt_forget_connection(struct mqtt_client *c)
{
    c->tcp = -1;                                   /* not ours any more: the restarted stack may reuse the number */
    mqtt_close(c, MQTT_E_TCP);
}

/* ---- output: the ring and its payload marks ---- */

static void ring_put(struct mqtt_client *c, const uint8_t *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) c->tx[(c->tx_head + i) % MQTT_TX_RING] = b[i];
    c->tx_head += n;
    c->last_tx = c->now;
}

/* Sends what the TCP send buffer takes; 0, or MQTT_E_TCP. */
static int send_bytes(struct mqtt_client *c, const uint8_t *p, uint32_t n, uint32_t *sent)
{
    int32_t r = asnet_tcp_send(c->tcp, p, n);
    if (r == STACK_EAGAIN) { *sent = 0; return 0; }
    if (r < 0) return MQTT_E_TCP;
    *sent = (uint32_t)r;
    return 0;
}

static int flush_once(struct mqtt_client *c, int *progress)
{
    uint32_t limit = marks(c) ? c->marks[c->mark_tail % MQTT_INFLIGHT].at : c->tx_head, sent;
    *progress = 0;
    while (c->tx_tail != limit) {
        uint32_t at = c->tx_tail % MQTT_TX_RING, n = limit - c->tx_tail;
        if (n > MQTT_TX_RING - at) n = MQTT_TX_RING - at;
        if (send_bytes(c, c->tx + at, n, &sent)) return MQTT_E_TCP;
        c->tx_tail += sent;
        if (sent < n) return 0;
        *progress = 1;
    }
    if (!marks(c)) return 0;
    struct mqtt_mark *m = &c->marks[c->mark_tail % MQTT_INFLIGHT];
    struct mqtt_out *o = &c->out[m->slot];
    while (c->mark_sent < o->len) {
        if (send_bytes(c, o->payload + c->mark_sent, o->len - c->mark_sent, &sent)) return MQTT_E_TCP;
        if (sent == 0) return 0;
        c->mark_sent += sent;
    }
    c->mark_tail++;
    c->mark_sent = 0;
    *progress = 1;
    if (o->state == OUT_SENDING) release_out(c, m->slot, MQTT_OK);        /* QoS 0: done once sent */
    return 0;
}

static void flush(struct mqtt_client *c)
{
    int progress = 1;
    while (progress && c->tcp > 0 && c->state != MQTT_TCP_CONNECTING) {
        int r = flush_once(c, &progress);
        if (r) { mqtt_close(c, r); return; }
    }
    if (c->closing && c->state != MQTT_IDLE && tx_used(c) == 0 && !marks(c)) mqtt_close(c, MQTT_OK);
}

static int queue(struct mqtt_client *c, const uint8_t *b, int n)
{
    if (n < 0) return n;
    if (c->closing) return 0;            /* 3.14.4: nothing follows a DISCONNECT (late acks, PINGREQ are dropped) */
    if ((uint32_t)n > tx_free(c)) return MQTT_E_BUSY;
    ring_put(c, b, (uint32_t)n);
    return 0;
}

static int queue_ack(struct mqtt_client *c, enum mqtt_type type, uint16_t id)
{
    uint8_t b[4];
    return queue(c, b, mqtt_enc_ack(b, sizeof b, type, id));
}

/* PUBLISH head into the ring, then a mark for its payload. */
static int queue_publish(struct mqtt_client *c, unsigned slot, uint8_t dup)
{
    struct mqtt_out *o = &c->out[slot];
    uint8_t head[MQTT_MAX_TOPIC + 9];
    int n = mqtt_enc_publish_head(head, sizeof head, o->topic, o->topic_len, o->id, o->qos, o->retain, dup, o->len);
    if (n < 0) return n;
    if ((uint32_t)n > tx_free(c) || marks(c) >= MQTT_INFLIGHT) return MQTT_E_BUSY;
    ring_put(c, head, (uint32_t)n);
    c->marks[c->mark_head++ % MQTT_INFLIGHT] = (struct mqtt_mark){ .at = c->tx_head, .slot = (uint8_t)slot };
    if (dup) c->stat_dup_sent++;
    return 0;
}

/* ---- connecting ---- */

static void tcp_event(int32_t h, uint32_t events, void *ctx);

int mqtt_connect(struct mqtt_client *c, uint32_t now_ms)
{
    if (c->state != MQTT_IDLE) return MQTT_E_STATE;
    uint8_t probe[8];
    int n = mqtt_enc_connect(probe, 0, &c->cfg.connect);         /* argument errors now, not at CONNACK time */
    if (n != MQTT_E_NOSPACE) return n < 0 ? n : MQTT_E_ARG;
    c->now = c->state_since = now_ms;
    mqtt_parser_init(&c->parser, c->rx_pkt, MQTT_RX_BUF);
    c->close_err = 0;
    int32_t h = asnet_tcp_connect(c->cfg.ip, c->cfg.port, tcp_event, c);
    if (h < 0) return (int)h;
    c->tcp = h;
    c->state = MQTT_TCP_CONNECTING;
    return 0;
}

static void on_tcp_up(struct mqtt_client *c)
{
    c->tx_head = c->tx_tail = 0;                                       /* empty since mqtt_close: encode in place */
    int n = mqtt_enc_connect(c->tx, MQTT_TX_RING, &c->cfg.connect);
    c->state = MQTT_WAIT_CONNACK;
    c->state_since = c->now;
    if (n < 0) { mqtt_close(c, n); return; }
    c->tx_head = (uint32_t)n;
    c->last_tx = c->now;
    flush(c);
}

/* Section 4.4: a resumed session re-sends unacknowledged PUBLISHes (DUP = 1) and PUBRELs in order. */
static void resume_session(struct mqtt_client *c)
{
    uint32_t done_seq = 0;
    for (;;) {
        int pick = -1;
        for (unsigned i = 0; i < MQTT_INFLIGHT; i++) {
            const struct mqtt_out *o = &c->out[i];
            if (o->state == OUT_FREE || o->seq < done_seq) continue;
            if (pick < 0 || o->seq < c->out[pick].seq) pick = (int)i;
        }
        if (pick < 0) return;
        struct mqtt_out *o = &c->out[pick];
        done_seq = o->seq + 1;
        if (o->state == OUT_WAIT_COMP) (void)queue_ack(c, MQTT_PUBREL, o->id);
        else (void)queue_publish(c, (unsigned)pick, 1);            /* fits: _Static_assert above */
    }
}

static int on_connack(struct mqtt_client *c, const struct mqtt_ev *ev)
{
    if (c->state != MQTT_WAIT_CONNACK) return MQTT_E_PROTOCOL;      /* 3.2: one CONNACK, first */
    c->connack_rc = ev->rc;
    if (ev->rc != 0) return MQTT_E_REFUSED;                           /* 3.2.2.3 */
    if (c->cfg.connect.clean_session && ev->session_present) return MQTT_E_PROTOCOL;   /* 3.2.2.2 */
    c->state = MQTT_CONNECTED;
    c->state_since = c->now;
    /* 3.2.2.2: session present 0 = the server holds no state for us, so it will never send the PUBREL
     * of an incoming QoS 2 id we remember, and may reuse that id for a new message: forget them. */
    if (!ev->session_present)
        for (unsigned i = 0; i < MQTT_QOS2_RX; i++) c->qos2_rx[i] = 0;
    if (c->cfg.connect.clean_session) {                               /* 3.1.2.4: no state survives */
        for (unsigned i = 0; i < MQTT_INFLIGHT; i++)
            if (c->out[i].state != OUT_FREE) release_out(c, i, MQTT_E_SESSION_LOST);
    } else {
        resume_session(c);
    }
    if (c->cb.on_connected) c->cb.on_connected(c->ctx, ev->session_present);
    return 0;
}

/* ---- incoming packets ---- */

static int find_out(struct mqtt_client *c, uint16_t id)
{
    for (unsigned i = 0; i < MQTT_INFLIGHT; i++) if (c->out[i].state >= OUT_WAIT_ACK && c->out[i].id == id) return (int)i;
    return -1;
}

static int on_ack(struct mqtt_client *c, const struct mqtt_ev *ev)
{
    int i = find_out(c, ev->id);
    if (i < 0) return MQTT_E_PACKET_ID;
    struct mqtt_out *o = &c->out[i];
    switch (ev->type) {
    case MQTT_PUBACK:                                                  /* 4.3.2 */
        if (o->state != OUT_WAIT_ACK) return MQTT_E_PACKET_ID;
        release_out(c, (unsigned)i, MQTT_OK);
        return 0;
    case MQTT_PUBREC:                                                  /* 4.3.3: a repeated PUBREC gets PUBREL again */
        if (o->state != OUT_WAIT_REC && o->state != OUT_WAIT_COMP) return MQTT_E_PACKET_ID;
        o->state = OUT_WAIT_COMP;
        return queue_ack(c, MQTT_PUBREL, o->id);
    default:                                                           /* PUBCOMP */
        if (o->state != OUT_WAIT_COMP) return MQTT_E_PACKET_ID;
        release_out(c, (unsigned)i, MQTT_OK);
        return 0;
    }
}

static int qos2_find(const struct mqtt_client *c, uint16_t id)
{
    for (unsigned i = 0; i < MQTT_QOS2_RX; i++) if (c->qos2_rx[i] == id) return (int)i;
    return -1;
}

/* 4.3.3 (receiver, method B): deliver on the first PUBLISH of an id, PUBREC every time, forget the
 * id at PUBREL (answered with PUBCOMP even when unknown). */
static int on_pubrel(struct mqtt_client *c, uint16_t id)
{
    int i = qos2_find(c, id);
    if (i >= 0) c->qos2_rx[i] = 0;
    return queue_ack(c, MQTT_PUBCOMP, id);
}

static int on_suback(struct mqtt_client *c, const struct mqtt_ev *ev)
{
    for (unsigned i = 0; i < MQTT_PENDING; i++) {
        if (c->pending[i] != ev->id) continue;
        int sub = c->pending_n[i] > 0;
        if ((ev->type == MQTT_SUBACK) != sub) return MQTT_E_PACKET_ID;
        if (sub && ev->len != c->pending_n[i]) return MQTT_E_MALFORMED;      /* 3.9.3: one code per filter */
        c->pending[i] = 0;
        if (c->cb.on_suback) c->cb.on_suback(c->ctx, ev->id, sub ? ev->data : NULL, sub ? ev->len : 0);
        return 0;
    }
    return MQTT_E_PACKET_ID;
}

static int on_publish(struct mqtt_client *c, const struct mqtt_ev *ev)
{
    int dup = ev->qos == 2 && qos2_find(c, ev->id) >= 0;         /* already delivered, PUBREL not yet seen */
    if (ev->kind == MQTT_EV_PUB_START) {
        c->msg_offset = 0;
        if (ev->qos == 2 && !dup && qos2_find(c, 0) < 0) return MQTT_E_QOS2_FULL;
        return 0;
    }
    if (ev->kind == MQTT_EV_PUB_DATA || (ev->kind == MQTT_EV_PUB_END && ev->payload_len == 0)) {
        int last = c->msg_offset + ev->len == ev->payload_len;
        if (!dup && c->cb.on_message)
            c->cb.on_message(c->ctx, ev->topic, ev->topic_len, ev->data, ev->len, c->msg_offset, ev->payload_len,
                             ev->qos, ev->retain, ev->dup, last);
        c->msg_offset += ev->len;
        if (c->state != MQTT_CONNECTED) return MQTT_E_STATE;           /* the application closed meanwhile */
    }
    if (ev->kind != MQTT_EV_PUB_END) return 0;
    if (ev->qos == 1) return queue_ack(c, MQTT_PUBACK, ev->id);
    if (ev->qos == 2) {
        if (dup) c->stat_rx_dup_qos2++;
        else c->qos2_rx[qos2_find(c, 0)] = ev->id;
        return queue_ack(c, MQTT_PUBREC, ev->id);
    }
    return 0;
}

static int on_event(void *ctx, const struct mqtt_ev *ev)
{
    struct mqtt_client *c = ctx;
    if (ev->kind == MQTT_EV_PACKET && ev->type == MQTT_CONNACK) return on_connack(c, ev);
    if (c->state != MQTT_CONNECTED) return MQTT_E_PROTOCOL;          /* nothing before CONNACK (3.2) */
    if (ev->kind != MQTT_EV_PACKET) return on_publish(c, ev);
    switch (ev->type) {
    case MQTT_PINGRESP: c->ping_out = 0; return 0;
    case MQTT_PUBREL: return on_pubrel(c, ev->id);
    case MQTT_SUBACK: case MQTT_UNSUBACK: return on_suback(c, ev);
    default: return on_ack(c, ev);
    }
}

/* Reads and parses while the ring has room for the ack a packet may need (backpressure: the rest
 * waits in rx[] and in the stack until EV_WRITABLE or the next tick). */
static void read_pump(struct mqtt_client *c)
{
    for (int round = 0; round < 256 && c->state >= MQTT_WAIT_CONNACK; round++) {
        if (c->rx_off == c->rx_len) {
            int32_t r = asnet_tcp_recv(c->tcp, c->rx, sizeof c->rx);
            if (r == STACK_EAGAIN) return;
            if (r <= 0) { mqtt_close(c, MQTT_E_TCP); return; }      /* the server closed or reset */
            if (c->ping_out) c->ping_sent = c->now;   /* bytes arrive: the link is alive, PINGRESP may queue behind them */
            c->rx_off = 0;
            c->rx_len = (uint32_t)r;
        }
        if (tx_free(c) < 16) { flush(c); if (c->state == MQTT_IDLE || tx_free(c) < 16) return; }
        int32_t n = mqtt_parse(&c->parser, c->rx + c->rx_off, c->rx_len - c->rx_off, on_event, c);
        if (c->state == MQTT_IDLE) return;                             /* closed from a callback */
        if (n < 0) { mqtt_close(c, (int)n); return; }
        c->rx_off += (uint32_t)n;
        flush(c);
    }
}

static void tcp_event(int32_t h, uint32_t events, void *ctx)
{
    struct mqtt_client *c = ctx;
    if (h != c->tcp || c->state == MQTT_IDLE) return;
    if (events & STACK_EV_ERROR) { mqtt_close(c, MQTT_E_TCP); return; }
    if ((events & STACK_EV_CONNECTED) && c->state == MQTT_TCP_CONNECTING) on_tcp_up(c);
    if (c->state == MQTT_IDLE) return;
    if (events & STACK_EV_WRITABLE) flush(c);
    if (events & (STACK_EV_READABLE | STACK_EV_WRITABLE | STACK_EV_CLOSED)) read_pump(c);
}

/* ---- the application's calls ---- */

static uint16_t new_id(struct mqtt_client *c)
{
    for (;;) {
        uint16_t id = c->next_id++;
        if (c->next_id == 0) c->next_id = 1;
        int used = 0;
        for (unsigned i = 0; i < MQTT_INFLIGHT; i++) used |= c->out[i].state != OUT_FREE && c->out[i].id == id;
        for (unsigned i = 0; i < MQTT_PENDING; i++) used |= c->pending[i] == id;
        if (!used) return id;                                          /* at most 8 ids in use: terminates */
    }
}

int32_t mqtt_publish(struct mqtt_client *c, const char *topic, const void *payload, uint32_t len, uint8_t qos, uint8_t retain)
{
    if (c->state != MQTT_CONNECTED || c->closing) return MQTT_E_STATE;
    if (qos > 2 || (len && !payload)) return MQTT_E_ARG;
    uint32_t tl = 0;
    while (topic[tl] && tl <= MQTT_MAX_TOPIC) tl++;
    if (tl > MQTT_MAX_TOPIC) return MQTT_E_ARG;
    int slot = -1;
    for (unsigned i = 0; i < MQTT_INFLIGHT && slot < 0; i++) if (c->out[i].state == OUT_FREE) slot = (int)i;
    if (slot < 0) return MQTT_E_BUSY;
    struct mqtt_out *o = &c->out[slot];
    *o = (struct mqtt_out){ .topic = topic, .payload = payload, .len = len, .seq = c->next_seq, .id = qos ? new_id(c) : 0,
                            .topic_len = (uint16_t)tl, .qos = qos, .retain = retain };
    int r = queue_publish(c, (unsigned)slot, 0);
    if (r) return r;                                                   /* the slot stays free */
    c->next_seq++;
    o->state = qos == 0 ? OUT_SENDING : qos == 1 ? OUT_WAIT_ACK : OUT_WAIT_REC;
    flush(c);
    return o->id;
}

static int32_t sub_unsub(struct mqtt_client *c, const char *const *filters, const uint8_t *qos, unsigned n)
{
    if (c->state != MQTT_CONNECTED || c->closing) return MQTT_E_STATE;
    if (n == 0 || n > 255) return MQTT_E_ARG;
    int slot = -1;
    for (unsigned i = 0; i < MQTT_PENDING && slot < 0; i++) if (c->pending[i] == 0) slot = (int)i;
    if (slot < 0) return MQTT_E_BUSY;
    uint16_t id = new_id(c);
    uint8_t b[MQTT_SUB_MAX];
    int len = qos ? mqtt_enc_subscribe(b, sizeof b, id, filters, qos, n) : mqtt_enc_unsubscribe(b, sizeof b, id, filters, n);
    int r = queue(c, b, len);
    if (r) return r;
    c->pending[slot] = id;
    c->pending_n[slot] = qos ? (uint8_t)n : 0;
    flush(c);
    return id;
}

int32_t mqtt_subscribe(struct mqtt_client *c, const char *const *filters, const uint8_t *qos, unsigned n)
{
    return qos ? sub_unsub(c, filters, qos, n) : MQTT_E_ARG;
}

int32_t mqtt_unsubscribe(struct mqtt_client *c, const char *const *filters, unsigned n)
{
    return sub_unsub(c, filters, NULL, n);
}

int mqtt_disconnect(struct mqtt_client *c)
{
    if (c->state != MQTT_CONNECTED) { mqtt_close(c, MQTT_OK); return 0; }
    uint8_t b[2];
    int r = queue(c, b, mqtt_enc_empty(b, sizeof b, MQTT_DISCONNECT));   /* 3.14: then close the connection */
    if (r) return r;
    c->closing = 1;                                                    /* FIN once the ring is empty */
    flush(c);
    return 0;
}

/* Section 3.1.2.10: a PINGREQ when nothing was sent for keepalive seconds; no PINGRESP within
 * ping_timeout_ms (or no CONNACK within connack_timeout_ms) means the link is broken. */
void mqtt_tick(struct mqtt_client *c, uint32_t now_ms)
{
    c->now = now_ms;
    if (c->state == MQTT_IDLE) return;
    if (c->state != MQTT_CONNECTED) {
        if (now_ms - c->state_since >= c->cfg.connack_timeout_ms) mqtt_close(c, MQTT_E_TIMEOUT);
        return;
    }
    uint32_t keep = c->cfg.connect.keepalive_s * 1000u;
    if (c->ping_out && now_ms - c->ping_sent >= c->cfg.ping_timeout_ms) { mqtt_close(c, MQTT_E_TIMEOUT); return; }
    if (keep && !c->ping_out && now_ms - c->last_tx >= keep) {
        c->ping_out = 1;                  /* the timer runs even while a full ring holds the PINGREQ back */
        c->ping_sent = now_ms;
        c->ping_queued = 0;
    }
    if (c->ping_out && !c->ping_queued) {
        uint8_t b[2];
        c->ping_queued = queue(c, b, mqtt_enc_empty(b, sizeof b, MQTT_PINGREQ)) == 0;
    }
    flush(c);
    read_pump(c);
}
