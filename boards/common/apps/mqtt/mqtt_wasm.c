/* asnet-target: wasm32 (boards/esp32/check-idf.sh lists it apart: no firmware builds it)
 * The MQTT client (mqtt_client.c + mqtt_codec.c, unchanged) as a freestanding wasm32 module for
 * Node (host/mqtt-wasm.ts): its imports are the asnet.h calls it makes (asnet_tcp_connect/send/
 * recv/close/abort, implemented over host/stack.ts) and one import per callback; its exports take
 * scalars and addresses in this module's memory. One client per instance.
 *
 *   make -C boards/common/apps/mqtt wasm      ->  boards/common/apps/mqtt/build/mqtt.wasm (clang-19, wasm-ld-19)
 *
 * Memory for strings and payloads: the arena below, managed by the host (a publish's topic and
 * payload stay there until on_published, as mqtt_client.h requires). */
#include "mqtt_client.h"
#include "asnet.h"

#define EXPORT(name) __attribute__((export_name(#name)))
#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))

IMPORT(on_connected) void js_on_connected(int session_present);
IMPORT(on_closed) void js_on_closed(int err);
IMPORT(on_message) void js_on_message(const uint8_t *topic, uint32_t topic_len, const uint8_t *data, uint32_t len,
                                      uint32_t offset, uint32_t total, uint32_t flags);
IMPORT(on_published) void js_on_published(uint32_t id, uint32_t qos, int err);
IMPORT(on_suback) void js_on_suback(uint32_t id, const uint8_t *codes, uint32_t n);

/* clang may lower struct copies to these; there is no libc here. */
void *memcpy(void *d, const void *s, size_t n) { uint8_t *a = d; const uint8_t *b = s; while (n--) *a++ = *b++; return d; }
void *memset(void *d, int v, size_t n) { uint8_t *a = d; while (n--) *a++ = (uint8_t)v; return d; }
void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *a = d; const uint8_t *b = s;
    if (a < b) while (n--) *a++ = *b++; else { a += n; b += n; while (n--) *--a = *--b; }
    return d;
}

#define ARENA (600u * 1024u)
static struct mqtt_client client;
static uint8_t arena[ARENA];

static void cb_connected(void *ctx, int sp) { (void)ctx; js_on_connected(sp); }
static void cb_closed(void *ctx, int err) { (void)ctx; js_on_closed(err); }
static void cb_message(void *ctx, const uint8_t *topic, uint16_t tl, const uint8_t *data, uint32_t len, uint32_t offset,
                       uint32_t total, uint8_t qos, uint8_t retain, uint8_t dup, int last)
{
    (void)ctx;
    js_on_message(topic, tl, data, len, offset, total, (uint32_t)qos | (uint32_t)retain << 2 | (uint32_t)dup << 3 | (uint32_t)(last != 0) << 4);
}
static void cb_published(void *ctx, uint16_t id, uint8_t qos, int err) { (void)ctx; js_on_published(id, qos, err); }
static void cb_suback(void *ctx, uint16_t id, const uint8_t *codes, uint32_t n) { (void)ctx; js_on_suback(id, codes, n); }

EXPORT(arena) uint8_t *w_arena(void) { return arena; }
EXPORT(arena_size) uint32_t w_arena_size(void) { return ARENA; }

/* Strings are NUL-terminated addresses in this memory (0: none); they must outlive the client. */
EXPORT(init) void w_init(uint32_t ip, uint32_t port, uint32_t keepalive_s, uint32_t clean, const char *client_id,
                         const char *user, const uint8_t *pass, uint32_t pass_len, const char *will_topic,
                         const uint8_t *will_msg, uint32_t will_len, uint32_t will_qos_retain, uint32_t ping_timeout_ms)
{
    static const struct mqtt_callbacks cb = { cb_connected, cb_closed, cb_message, cb_published, cb_suback };
    struct mqtt_config cfg = {
        .ip = ip, .port = (uint16_t)port, .ping_timeout_ms = ping_timeout_ms,
        .connect = { .client_id = client_id, .username = user, .password = pass, .password_len = (uint16_t)pass_len,
                     .will_topic = will_topic, .will_msg = will_msg, .will_len = (uint16_t)will_len,
                     .will_qos = (uint8_t)(will_qos_retain & 3), .will_retain = (uint8_t)(will_qos_retain >> 2 & 1),
                     .clean_session = (uint8_t)clean, .keepalive_s = (uint16_t)keepalive_s },
    };
    mqtt_init(&client, &cfg, &cb, 0);
}

EXPORT(connect) int w_connect(uint32_t now) { return mqtt_connect(&client, now); }
EXPORT(disconnect) int w_disconnect(void) { return mqtt_disconnect(&client); }
EXPORT(publish) int32_t w_publish(const char *topic, const uint8_t *payload, uint32_t len, uint32_t qos, uint32_t retain)
{
    return mqtt_publish(&client, topic, payload, len, (uint8_t)qos, (uint8_t)retain);
}
EXPORT(subscribe) int32_t w_subscribe(const char *filter, uint32_t qos)
{
    uint8_t q = (uint8_t)qos;
    return mqtt_subscribe(&client, &filter, &q, 1);
}
EXPORT(unsubscribe) int32_t w_unsubscribe(const char *filter) { return mqtt_unsubscribe(&client, &filter, 1); }
EXPORT(tick) void w_tick(uint32_t now) { mqtt_tick(&client, now); }
EXPORT(inflight) uint32_t w_inflight(void) { return mqtt_inflight(&client); }
EXPORT(state) uint32_t w_state(void) { return client.state; }
EXPORT(dup_sent) uint32_t w_dup_sent(void) { return client.stat_dup_sent; }
EXPORT(connack_rc) uint32_t w_connack_rc(void) { return client.connack_rc; }
/* The host delivers the stack's events of a handle to the callback mqtt_client.c registered. */
EXPORT(event) void w_event(asnet_event_fn fn, int32_t h, uint32_t events, void *ctx) { fn(h, events, ctx); }
