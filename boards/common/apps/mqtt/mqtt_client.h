/* An MQTT 3.1.1 client on the C application API (boards/common/asnet.h): event-driven (the stack's
 * events and the caller's callbacks), time as an input (mqtt_tick(now_ms)), fixed buffers inside
 * struct mqtt_client, no allocation. Packets are built and parsed by mqtt_codec.c.
 *
 * - Outgoing PUBLISH: the caller's topic and payload are NOT copied: they must stay valid until
 *   on_published(id) (QoS 0: once the bytes are in the TCP send buffer; QoS 1: PUBACK; QoS 2:
 *   PUBCOMP). At most MQTT_INFLIGHT publishes are outstanding (MQTT_E_BUSY beyond). A session
 *   resumed with clean_session = 0 re-sends every unacknowledged PUBLISH with DUP and every PUBREL
 *   (section 4.4) on the next CONNACK, in their original order and with their original ids.
 * - Incoming PUBLISH: the payload is streamed to on_message (any size); QoS 1 is acknowledged
 *   after its last byte, QoS 2 delivered once per packet id until its PUBREL (section 4.3.3); those
 *   ids are forgotten on a CONNACK without session present (the server kept no state). Outgoing
 *   QoS 1/2 publishes are re-sent on any CONNACK of a clean_session = 0 connection (a server that
 *   lost the session takes them as new: at least once, never lost).
 * - Every protocol violation from the server closes the connection (RST) and reports the
 *   mqtt_err through on_closed; so does a missing CONNACK or PINGRESP (the broken-link timeout:
 *   ping_timeout_ms after the PINGREQ fell due with nothing received since). */
#ifndef MQTT_CLIENT_H
#define MQTT_CLIENT_H
#include <stdint.h>
#include "mqtt_codec.h"

#ifndef MQTT_INFLIGHT
#define MQTT_INFLIGHT 4          /* outgoing publishes outstanding (QoS 0 until sent, QoS 1/2 until acked) */
#endif
#ifndef MQTT_TX_RING
#define MQTT_TX_RING 1024        /* encoded packets waiting for the TCP send buffer */
#endif
#ifndef MQTT_RX_BUF
#define MQTT_RX_BUF 512          /* a whole server packet, or a PUBLISH topic + id */
#endif
#ifndef MQTT_RX_CHUNK
#define MQTT_RX_CHUNK 512        /* bytes read from TCP at a time */
#endif
#ifndef MQTT_QOS2_RX
#define MQTT_QOS2_RX 8           /* incoming QoS 2 ids between PUBLISH and PUBREL */
#endif
#ifndef MQTT_PENDING
#define MQTT_PENDING 4           /* SUBSCRIBE / UNSUBSCRIBE awaiting their ack */
#endif
#ifndef MQTT_SUB_MAX
#define MQTT_SUB_MAX 256         /* largest SUBSCRIBE / UNSUBSCRIBE packet (built on the C stack) */
#endif
#ifndef MQTT_MAX_TOPIC
#define MQTT_MAX_TOPIC 128       /* longest outgoing topic: MQTT_INFLIGHT re-sent heads always fit the ring */
#endif

struct mqtt_client;

struct mqtt_callbacks {
    void (*on_connected)(void *ctx, int session_present);
    /* err: an mqtt_err (MQTT_OK after mqtt_disconnect). The client is idle: mqtt_connect again. */
    void (*on_closed)(void *ctx, int err);
    /* Payload streamed: first (offset 0), then more slices; last is set on the final one (also for
     * an empty payload). topic points into the client's buffer until the last slice. */
    void (*on_message)(void *ctx, const uint8_t *topic, uint16_t topic_len, const uint8_t *data, uint32_t len,
                       uint32_t offset, uint32_t total, uint8_t qos, uint8_t retain, uint8_t dup, int last);
    /* A publish is complete (err 0) or was dropped (MQTT_E_SESSION_LOST, or MQTT_E_TCP for QoS 0). */
    void (*on_published)(void *ctx, uint16_t id, uint8_t qos, int err);
    /* SUBACK: one code per filter (0..2 granted QoS, 0x80 failure); UNSUBACK: codes NULL. */
    void (*on_suback)(void *ctx, uint16_t id, const uint8_t *codes, uint32_t n);
};

struct mqtt_config {
    uint32_t ip; uint16_t port;          /* the broker (host order) */
    struct mqtt_connect_opts connect;    /* client id, credentials, clean session, will, keepalive */
    uint32_t connack_timeout_ms;         /* 0: 10,000 */
    uint32_t ping_timeout_ms;            /* PINGRESP wait before the link counts as broken; 0: keepalive/2 (>= 1 s) */
};

enum mqtt_state { MQTT_IDLE, MQTT_TCP_CONNECTING, MQTT_WAIT_CONNACK, MQTT_CONNECTED };

struct mqtt_out {                        /* one outgoing publish */
    const char *topic; const uint8_t *payload;
    uint32_t len, seq;                   /* seq: order of first send (re-sent in that order) */
    uint16_t id, topic_len;
    uint8_t qos, retain, state;
};

struct mqtt_mark { uint32_t at; uint8_t slot; uint8_t kind; };   /* after ring byte `at`, send a payload */

struct mqtt_client {
    struct mqtt_config cfg;
    struct mqtt_callbacks cb;
    void *ctx;
    enum mqtt_state state;
    int32_t tcp;
    uint32_t now, state_since, last_tx, ping_sent;   /* ms */
    uint8_t ping_out, ping_queued;       /* PINGREQ due (timer running), and in the ring */
    uint16_t next_id;
    uint32_t next_seq;
    int close_err;
    uint8_t closing;                     /* DISCONNECT queued: FIN once the ring is empty */
    uint8_t connack_rc;                  /* the last CONNACK return code (MQTT_E_REFUSED: why) */
    uint32_t stat_dup_sent, stat_rx_dup_qos2;   /* PUBLISHes re-sent with DUP; QoS 2 duplicates not delivered */
    struct mqtt_out out[MQTT_INFLIGHT];
    uint16_t qos2_rx[MQTT_QOS2_RX];      /* incoming QoS 2 ids awaiting PUBREL (0: free) */
    uint16_t pending[MQTT_PENDING];      /* SUBSCRIBE / UNSUBSCRIBE ids awaiting an ack */
    uint8_t pending_n[MQTT_PENDING];     /* filters in it; 0 for UNSUBSCRIBE */
    /* output: encoded bytes in a ring; marks splice caller payloads in at ring positions */
    uint8_t tx[MQTT_TX_RING];
    uint32_t tx_head, tx_tail;           /* free-running positions: bytes [tail, head) wait */
    struct mqtt_mark marks[MQTT_INFLIGHT];
    uint32_t mark_head, mark_tail, mark_sent;   /* mark_sent: payload bytes of the first mark already sent */
    /* input */
    struct mqtt_parser parser;
    uint8_t rx_pkt[MQTT_RX_BUF];
    uint8_t rx[MQTT_RX_CHUNK];
    uint32_t rx_off, rx_len;
    uint32_t msg_offset;                 /* payload bytes of the current incoming PUBLISH delivered */
    int rx_eof;
};

void mqtt_init(struct mqtt_client *c, const struct mqtt_config *cfg, const struct mqtt_callbacks *cb, void *ctx);
/* Opens TCP and sends CONNECT. 0 or a negative mqtt_err / STACK_E* error. */
int mqtt_connect(struct mqtt_client *c, uint32_t now_ms);
/* DISCONNECT, then a graceful close once it is sent; on_closed(MQTT_OK). */
int mqtt_disconnect(struct mqtt_client *c);
/* Returns the packet id (QoS 1/2), 0 (QoS 0), or MQTT_E_BUSY / MQTT_E_STATE / MQTT_E_ARG / MQTT_E_TOPIC. */
int32_t mqtt_publish(struct mqtt_client *c, const char *topic, const void *payload, uint32_t len, uint8_t qos, uint8_t retain);
/* Returns the packet id of the SUBSCRIBE / UNSUBSCRIBE, or an error (MQTT_E_NOSPACE over MQTT_SUB_MAX). */
int32_t mqtt_subscribe(struct mqtt_client *c, const char *const *filters, const uint8_t *qos, unsigned n);
int32_t mqtt_unsubscribe(struct mqtt_client *c, const char *const *filters, unsigned n);
/* Timers: keepalive PINGREQ, PINGRESP and CONNACK timeouts. Call at least every 100 ms. */
void mqtt_tick(struct mqtt_client *c, uint32_t now_ms);
/* The stack was restarted (asnet_trapped): the connection handle is gone, so it is not closed;
 * the client goes idle with on_closed(MQTT_E_TCP), its session state kept for a resume. */
void mqtt_forget_connection(struct mqtt_client *c);
/* Publishes still outstanding (in the window). */
unsigned mqtt_inflight(const struct mqtt_client *c);
#endif
