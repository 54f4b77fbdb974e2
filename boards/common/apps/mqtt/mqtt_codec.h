/* MQTT 3.1.1 (OASIS, 29 October 2014) packets, client side: encoders for what a client sends and an
 * incremental parser for what a server sends. Pure: no I/O, no time, no allocation, no libc beyond
 * <stdint.h>/<stddef.h>, so it can be fuzzed alone (test/fuzz/mqtt) and compiled anywhere.
 *
 * The parser keeps every packet but PUBLISH whole in the caller's buffer (a packet larger than it is
 * MQTT_E_TOO_BIG); a PUBLISH keeps its variable header (topic, packet id) there and streams its
 * payload in slices of the input, so a 256 KiB message needs no 256 KiB buffer. */
#ifndef MQTT_CODEC_H
#define MQTT_CODEC_H
#include <stddef.h>
#include <stdint.h>

/* Packet types (section 2.2.1). */
enum mqtt_type {
    MQTT_CONNECT = 1, MQTT_CONNACK, MQTT_PUBLISH, MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBREL, MQTT_PUBCOMP,
    MQTT_SUBSCRIBE, MQTT_SUBACK, MQTT_UNSUBSCRIBE, MQTT_UNSUBACK, MQTT_PINGREQ, MQTT_PINGRESP, MQTT_DISCONNECT,
};

/* Error codes: every protocol violation has its own (mqtt_strerror names them). */
enum mqtt_err {
    MQTT_OK = 0,
    MQTT_E_REMAINING_LENGTH = -1,  /* section 2.2.3: more than four length bytes */
    MQTT_E_PACKET_TYPE = -2,       /* type 0/15, or a type only a client sends */
    MQTT_E_TOO_BIG = -3,           /* a packet (or a PUBLISH variable header) larger than the buffer */
    MQTT_E_FLAGS = -4,             /* section 2.2.2: reserved fixed-header flags not as required */
    MQTT_E_MALFORMED = -5,         /* lengths inconsistent with the remaining length, reserved bits set */
    MQTT_E_PACKET_ID = -6,         /* packet id 0, or an acknowledgement of an id not in flight */
    MQTT_E_QOS = -7,               /* QoS 3 (section 3.3.1.2), DUP on QoS 0 (3.3.1.1), bad SUBACK code */
    MQTT_E_TOPIC = -8,             /* empty topic, wildcard in a PUBLISH topic, bad UTF-8 (1.5.3) */
    MQTT_E_PROTOCOL = -9,          /* a packet out of order (anything before CONNACK, a second CONNACK) */
    MQTT_E_REFUSED = -10,          /* CONNACK return code 1..5 (mqtt_client's connack_rc says which) */
    MQTT_E_TIMEOUT = -11,          /* no CONNACK / PINGRESP in time: the link is broken */
    MQTT_E_TCP = -12,              /* the connection failed, was reset, or the server closed it */
    MQTT_E_NOSPACE = -13,          /* an encoder's output does not fit the buffer */
    MQTT_E_BUSY = -14,             /* in-flight window or output ring full: try again later */
    MQTT_E_STATE = -15,            /* not connected (or already connecting) */
    MQTT_E_ARG = -16,              /* bad argument: string over 65,535 bytes, QoS > 2, ... */
    MQTT_E_SESSION_LOST = -17,     /* a clean session dropped a message still in flight */
    MQTT_E_QOS2_FULL = -18,        /* more incoming QoS 2 messages awaiting PUBREL than the table holds */
};
const char *mqtt_strerror(int err);          /* mqtt_strerror.c */

/* ---- encoders: bytes written, or MQTT_E_NOSPACE / MQTT_E_ARG ---- */

struct mqtt_connect_opts {
    const char *client_id;               /* may be "" with clean_session (section 3.1.3.1) */
    const char *username;                /* NULL: none */
    const uint8_t *password; uint16_t password_len;   /* NULL: none (needs a username, 3.1.2.9) */
    const char *will_topic;              /* NULL: no will */
    const uint8_t *will_msg; uint16_t will_len;
    uint8_t will_qos, will_retain, clean_session;
    uint16_t keepalive_s;
};
int mqtt_enc_connect(uint8_t *out, size_t cap, const struct mqtt_connect_opts *o);
/* PUBLISH fixed header + topic + packet id (QoS > 0); the payload of payload_len bytes follows. */
int mqtt_enc_publish_head(uint8_t *out, size_t cap, const char *topic, uint16_t topic_len, uint16_t id,
                          uint8_t qos, uint8_t retain, uint8_t dup, uint32_t payload_len);
/* PUBACK, PUBREC, PUBREL (flags 0010, section 3.6.1), PUBCOMP: 4 bytes. */
int mqtt_enc_ack(uint8_t *out, size_t cap, enum mqtt_type type, uint16_t id);
int mqtt_enc_subscribe(uint8_t *out, size_t cap, uint16_t id, const char *const *filters, const uint8_t *qos, unsigned n);
int mqtt_enc_unsubscribe(uint8_t *out, size_t cap, uint16_t id, const char *const *filters, unsigned n);
/* PINGREQ, DISCONNECT: 2 bytes. */
int mqtt_enc_empty(uint8_t *out, size_t cap, enum mqtt_type type);
/* Remaining-length bytes (section 2.2.3) of v into out[4]: 1..4, or MQTT_E_ARG over 268,435,455. */
int mqtt_enc_length(uint8_t out[4], uint32_t v);

/* Validation shared with the client: 0 or MQTT_E_TOPIC. */
int mqtt_check_utf8(const uint8_t *s, size_t n);            /* section 1.5.3: well-formed, no U+0000 */
int mqtt_check_topic(const uint8_t *s, size_t n);           /* PUBLISH topic name: no wildcards (4.7) */
int mqtt_check_filter(const uint8_t *s, size_t n);          /* SUBSCRIBE filter: '#' last, '+' alone (4.7.1) */

/* ---- the parser ---- */

enum mqtt_ev_kind { MQTT_EV_PACKET, MQTT_EV_PUB_START, MQTT_EV_PUB_DATA, MQTT_EV_PUB_END };

struct mqtt_ev {
    enum mqtt_ev_kind kind;
    enum mqtt_type type;                 /* MQTT_EV_PACKET: CONNACK, PUBACK..PUBCOMP, SUBACK, UNSUBACK, PINGRESP */
    uint16_t id;                         /* packet id (acks, SUBACK, UNSUBACK, PUBLISH with QoS > 0) */
    uint8_t qos, retain, dup;            /* PUBLISH */
    uint8_t session_present, rc;         /* CONNACK */
    const uint8_t *topic; uint16_t topic_len;          /* PUB_START..PUB_END (points into the buffer) */
    uint32_t payload_len;                /* PUB_*: the whole payload */
    const uint8_t *data; uint32_t len;   /* PUB_DATA: a slice; SUBACK: the return codes */
};

/* Called for every event; a negative return stops the parser with that error. */
typedef int (*mqtt_ev_fn)(void *ctx, const struct mqtt_ev *ev);

struct mqtt_parser {
    uint8_t *buf; uint16_t cap;          /* the caller's buffer (bodies, PUBLISH variable headers) */
    uint8_t stage, header, len_bytes;
    uint32_t remaining, got;             /* remaining length; bytes of the current stage taken */
    uint32_t vh_len;                     /* PUBLISH: variable-header length once known */
    struct mqtt_ev pub;                  /* PUBLISH being streamed */
    int err;                             /* sticky: once failed, every call returns it */
};

void mqtt_parser_init(struct mqtt_parser *p, uint8_t *buf, uint16_t cap);
/* Consumes up to n bytes, emitting events; stops after each complete packet so the caller can
 * apply backpressure. Returns the bytes consumed (>= 0) or a negative mqtt_err (sticky). */
int32_t mqtt_parse(struct mqtt_parser *p, const uint8_t *in, uint32_t n, mqtt_ev_fn fn, void *ctx);
#endif
