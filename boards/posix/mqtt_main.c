/* asnet-mqtt: the MQTT client of boards/common/apps/mqtt on the posix board (TAP, static address),
 * driven by one command per line on stdin, reporting one line per event on stdout
 * (test/mqtt-board.test.ts runs it against mosquitto and against fake brokers).
 *
 *   asnet-mqtt --tap tap0 --ip 192.0.2.2 [--mask M] [--gw G] [--mac MAC] [--impair SPEC]
 *              --broker 192.0.2.1 [--port 1883] [--id CLIENT] [--user U] [--pass P] [--keepalive S]
 *              [--clean 0|1] [--will-topic T --will-msg M [--will-qos Q] [--will-retain 1]]
 *              [--reconnect-ms MS] [--ping-timeout-ms MS]
 * Commands: sub QOS FILTER | unsub FILTER | pub QOS RETAIN TOPIC TEXT | pubbig QOS RETAIN TOPIC BYTES |
 *           disconnect | connect | stats
 * Events:   mqtt: connected session_present=N | mqtt: closed ERR rc=N | mqtt: published id=N qos=Q ERR |
 *           mqtt: suback id=N codes=A,B | mqtt: unsuback id=N | mqtt: pub id=N | mqtt: pub error ERR |
 *           mqtt: message topic=T qos=Q retain=R dup=D len=N fnv=HEX [text=...]
 * A big payload (pubbig) is byte i = (i * 2654435761) >> 24 of a 256 KiB static pattern; received
 * payloads are hashed with 32-bit FNV-1a while they stream in. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "asnet.h"
#include "board.h"
#include "impair.h"
#include "mqtt_client.h"
#include "posix.h"
#include "linux_host.h"

#define BIG_MAX (256u * 1024u)
#define TEXT_SLOTS 16          /* > MQTT_INFLIGHT: a slot is reused only after its publish ended */

static volatile sig_atomic_t stop_requested;
static struct mqtt_client mc;
static uint8_t big[BIG_MAX];
static struct { char topic[MQTT_MAX_TOPIC + 1]; char text[512]; } texts[TEXT_SLOTS];
static unsigned text_next;
static char filters[MQTT_PENDING * 2][MQTT_MAX_TOPIC + 1];
static unsigned filter_next;
static uint32_t reconnect_ms, reconnect_at;
static int user_stopped;
static uint32_t msg_hash;
static char msg_text[96];

uint32_t board_now_ms(void) { return linux_now_ms(); }
uint32_t board_random(void) { return linux_random(); }

void board_log(const char *line) { printf("%s\n", line); }

void board_fatal(const char *why)
{
    fprintf(stderr, "fatal: %s\n", why);
    exit(2);
}

static void on_signal(int sig) { (void)sig; stop_requested = 1; }

/* ---- MQTT callbacks ---- */

static void on_connected(void *ctx, int sp)
{
    (void)ctx;
    printf("mqtt: connected session_present=%d resent_dup=%u\n", sp, mc.stat_dup_sent);
}

static void on_closed(void *ctx, int err)
{
    (void)ctx;
    printf("mqtt: closed %s rc=%u inflight=%u\n", mqtt_strerror(err), mc.connack_rc, mqtt_inflight(&mc));
    if (reconnect_ms && !user_stopped) reconnect_at = board_now_ms() + reconnect_ms;
}

static void on_message(void *ctx, const uint8_t *topic, uint16_t tl, const uint8_t *data, uint32_t len,
                       uint32_t offset, uint32_t total, uint8_t qos, uint8_t retain, uint8_t dup, int last)
{
    (void)ctx;
    if (offset == 0) { msg_hash = 2166136261u; msg_text[0] = 0; }
    for (uint32_t i = 0; i < len; i++) {
        msg_hash = (msg_hash ^ data[i]) * 16777619u;
        uint32_t at = offset + i;
        if (at + 1 < sizeof msg_text) { msg_text[at] = data[i] >= 32 && data[i] < 127 ? (char)data[i] : '.'; msg_text[at + 1] = 0; }
    }
    if (!last) return;
    printf("mqtt: message topic=%.*s qos=%u retain=%u dup=%u len=%u fnv=%08x", (int)tl, (const char *)topic,
           qos, retain, dup, total, msg_hash);
    if (total < sizeof msg_text) printf(" text=%s", msg_text);
    printf("\n");
}

static void on_published(void *ctx, uint16_t id, uint8_t qos, int err)
{
    (void)ctx;
    printf("mqtt: published id=%u qos=%u %s\n", id, qos, mqtt_strerror(err));
}

static void on_suback(void *ctx, uint16_t id, const uint8_t *codes, uint32_t n)
{
    (void)ctx;
    if (!codes) { printf("mqtt: unsuback id=%u\n", id); return; }
    printf("mqtt: suback id=%u codes=", id);
    for (uint32_t i = 0; i < n; i++) printf("%s%u", i ? "," : "", codes[i]);
    printf("\n");
}

/* ---- commands ---- */

static void report(const char *what, int32_t r)
{
    if (r >= 0) printf("mqtt: %s id=%d\n", what, r);
    else printf("mqtt: %s error %s\n", what, r >= -32 ? mqtt_strerror(r) : asnet_strerror(r));
}

static const char *keep_filter(const char *f)
{
    char *slot = filters[filter_next++ % (sizeof filters / sizeof filters[0])];
    snprintf(slot, MQTT_MAX_TOPIC + 1, "%s", f);
    return slot;
}

static void command(char *line)
{
    char *argv[6] = { 0 };
    int argc = 0;
    char *p = line;
    while (argc < 5 && *p) {                                /* up to 4 words, then the rest of the line */
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        argv[argc++] = p;
        if (argc == 5) break;
        while (*p && *p != ' ' && *p != '\t') p++;
        if (*p) *p++ = 0;
    }
    for (int i = 0; i < argc; i++) { size_t n = strlen(argv[i]); while (n && (argv[i][n - 1] == '\r')) argv[i][--n] = 0; }
    if (argc == 0) return;
    if (!strcmp(argv[0], "sub") && argc == 3) {
        const char *f = keep_filter(argv[2]);
        uint8_t q = (uint8_t)atoi(argv[1]);
        report("sub", mqtt_subscribe(&mc, &f, &q, 1));
    } else if (!strcmp(argv[0], "unsub") && argc == 2) {
        const char *f = keep_filter(argv[1]);
        report("unsub", mqtt_unsubscribe(&mc, &f, 1));
    } else if ((!strcmp(argv[0], "pub") || !strcmp(argv[0], "pubbig")) && argc >= 4) {
        unsigned s = text_next % TEXT_SLOTS;
        snprintf(texts[s].topic, sizeof texts[s].topic, "%s", argv[3]);
        const void *payload;
        uint32_t len;
        if (argv[0][3] == 'b') {
            len = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 0;
            if (len > BIG_MAX) len = BIG_MAX;
            payload = big;
        } else {
            snprintf(texts[s].text, sizeof texts[s].text, "%s", argc > 4 ? argv[4] : "");
            payload = texts[s].text;
            len = (uint32_t)strlen(texts[s].text);
        }
        int32_t r = mqtt_publish(&mc, texts[s].topic, payload, len, (uint8_t)atoi(argv[1]), (uint8_t)atoi(argv[2]));
        if (r >= 0) text_next++;
        report("pub", r);
    } else if (!strcmp(argv[0], "disconnect")) {
        user_stopped = 1;
        report("disconnect", mqtt_disconnect(&mc));
    } else if (!strcmp(argv[0], "connect")) {
        user_stopped = 0;
        report("connect", mqtt_connect(&mc, board_now_ms()));
    } else if (!strcmp(argv[0], "stats")) {
        printf("mqtt: stats inflight=%u dup_sent=%u qos2_dups_dropped=%u state=%d\n", mqtt_inflight(&mc),
               mc.stat_dup_sent, mc.stat_rx_dup_qos2, (int)mc.state);
    } else {
        printf("mqtt: bad command %s\n", argv[0]);
    }
}

static void read_commands(void)
{
    static char buf[4096];
    static size_t used;
    ssize_t n = read(0, buf + used, sizeof buf - 1 - used);
    if (n == 0) { stop_requested = 1; return; }            /* stdin closed: the test is over */
    if (n < 0) return;
    used += (size_t)n;
    buf[used] = 0;
    char *nl;
    while ((nl = memchr(buf, '\n', used))) {
        *nl = 0;
        command(buf);
        size_t rest = used - (size_t)(nl + 1 - buf);
        memmove(buf, nl + 1, rest);
        used = rest;
        buf[used] = 0;
    }
    if (used == sizeof buf - 1) used = 0;                   /* a line longer than the buffer: dropped */
}

/* ---- options ---- */

static int parse_ip(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) return -1;
    *out = ntohl(a.s_addr);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: asnet-mqtt --tap NAME --ip A [--mask M] [--gw G] [--mac MAC] [--impair SPEC] --broker IP [--port N]\n"
                    "                  [--id ID] [--user U] [--pass P] [--keepalive S] [--clean 0|1] [--will-topic T --will-msg M]\n"
                    "                  [--will-qos Q] [--will-retain 0|1] [--reconnect-ms MS] [--ping-timeout-ms MS]\n");
    exit(64);
}

static void parse_args(int argc, char **argv, const char **tap, struct asnet_config *nc, struct mqtt_config *mq)
{
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        unsigned m[6];
        if (!v) usage();
        if (!strcmp(a, "--tap")) *tap = v;
        else if (!strcmp(a, "--ip")) bad = parse_ip(v, &nc->ip);
        else if (!strcmp(a, "--mask")) bad = parse_ip(v, &nc->netmask);
        else if (!strcmp(a, "--gw")) bad = parse_ip(v, &nc->gateway);
        else if (!strcmp(a, "--mac")) {
            bad = sscanf(v, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6;
            for (int k = 0; k < 6 && !bad; k++) nc->mac[k] = (uint8_t)m[k];
        }
        else if (!strcmp(a, "--impair")) bad = impair_parse(v);
        else if (!strcmp(a, "--broker")) bad = parse_ip(v, &mq->ip);
        else if (!strcmp(a, "--port")) mq->port = (uint16_t)atoi(v);
        else if (!strcmp(a, "--id")) mq->connect.client_id = v;
        else if (!strcmp(a, "--user")) mq->connect.username = v;
        else if (!strcmp(a, "--pass")) { mq->connect.password = (const uint8_t *)v; mq->connect.password_len = (uint16_t)strlen(v); }
        else if (!strcmp(a, "--keepalive")) mq->connect.keepalive_s = (uint16_t)atoi(v);
        else if (!strcmp(a, "--clean")) mq->connect.clean_session = (uint8_t)atoi(v);
        else if (!strcmp(a, "--will-topic")) mq->connect.will_topic = v;
        else if (!strcmp(a, "--will-msg")) { mq->connect.will_msg = (const uint8_t *)v; mq->connect.will_len = (uint16_t)strlen(v); }
        else if (!strcmp(a, "--will-qos")) mq->connect.will_qos = (uint8_t)atoi(v);
        else if (!strcmp(a, "--will-retain")) mq->connect.will_retain = (uint8_t)atoi(v);
        else if (!strcmp(a, "--reconnect-ms")) reconnect_ms = (uint32_t)atoi(v);
        else if (!strcmp(a, "--ping-timeout-ms")) mq->ping_timeout_ms = (uint32_t)atoi(v);
        else usage();
        if (bad) { fprintf(stderr, "bad value for %s: %s\n", a, v); exit(64); }
    }
    if (!*tap || !nc->ip || !mq->ip) usage();
}

int main(int argc, char **argv)
{
    struct asnet_config nc = { .mac = { 0x02, 0, 0, 0, 0, 0x02 }, .netmask = 0xffffff00u };
    struct mqtt_config mq = { .port = 1883, .connect = { .client_id = "asnet", .clean_session = 1, .keepalive_s = 60 } };
    const char *tap = NULL;
    parse_args(argc, argv, &tap, &nc, &mq);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (uint32_t i = 0; i < BIG_MAX; i++) big[i] = (uint8_t)((i * 2654435761u) >> 24);
    int err = tap_open(tap);
    if (err < 0) { fprintf(stderr, "tap %s: %s\n", tap, strerror(-err)); return 1; }
    err = asnet_init(&nc);
    if (err < 0) { fprintf(stderr, "asnet_init: %s\n", asnet_strerror(err)); return 1; }
    static const struct mqtt_callbacks cb = { on_connected, on_closed, on_message, on_published, on_suback };
    mqtt_init(&mc, &mq, &cb, NULL);
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    printf("posix: up on %s\n", tap);
    report("connect", mqtt_connect(&mc, board_now_ms()));
    while (!stop_requested) {
        int32_t next = asnet_poll();
        const char *why;
        if (asnet_trapped(&why)) { printf("mqtt: stack trapped (%s)\n", why); mqtt_forget_connection(&mc); }
        mqtt_tick(&mc, board_now_ms());
        if (reconnect_at && mc.state == MQTT_IDLE && (int32_t)(board_now_ms() - reconnect_at) >= 0) {
            reconnect_at = 0;
            report("connect", mqtt_connect(&mc, board_now_ms()));
        }
        read_commands();
        board_wait(next < 10 ? next : 10);
    }
    if (impair_config()->on) impair_print(stdout);
    printf("posix: stopped\n");
    return 0;
}
