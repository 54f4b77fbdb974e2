/* mDNS responder (RFC 6762) with DNS-SD service records (RFC 6763) on asnet.h, for the multicast
 * build of the stack (build/stack.mcast.wasm; boards compile with -DSTACK_RT_MCAST).
 *
 * Owns NAME.local (A), and per service INSTANCE.TYPE.local (SRV, TXT), a PTR from TYPE.local and
 * one from _services._dns-sd._udp.local; INSTANCE is the host label. Start-up: three probes 250 ms
 * apart (§8.1; the first after 0-250 ms), then two announcements 1 s apart (§8.3). A conflict
 * while probing, or later a response giving our name other data (§9), renames to NAME-2,
 * NAME-3, ... and probes again; simultaneous probes are tie-broken as §8.2 says. Queries (multicast,
 * QU, and legacy unicast from a port other than 5353, §6.7) are answered with name compression,
 * additional records (RFC 6763 §12) and known-answer suppression (§7.1); multicast answers holding
 * shared records (PTR) wait 20-120 ms and gather what further queries ask meanwhile, and no record
 * is multicast twice within a second except in answer to a probe (§6). Every malformed message
 * is dropped and counted. No allocation: one static responder. */
#ifndef MDNS_H
#define MDNS_H
#include <stdint.h>
#include "mdns_wire.h"

#define MDNS_PORT 5353u
#define MDNS_GROUP 0xe00000fbu            /* 224.0.0.251 */
#define MDNS_MAX_SERVICES 4u
#define MDNS_MAX_TXT 4u

struct mdns_service {
    const char *type;                     /* "_http._tcp" */
    uint16_t port;
    const char *txt[MDNS_MAX_TXT];        /* "key=value" strings, NULL-terminated early; none = empty TXT */
};

struct mdns_config {
    const char *name;                     /* host label, "asnet" -> asnet.local */
    uint32_t ip;                          /* host order */
    const struct mdns_service *services;
    unsigned nservices;
};

enum mdns_state { MDNS_OFF, MDNS_PROBING, MDNS_ANNOUNCING, MDNS_RUNNING, MDNS_DEFERRING };

enum mdns_event_kind {
    MDNS_EV_PROBING,      /* probing for name */
    MDNS_EV_CONFLICT,     /* name was taken: renamed to name */
    MDNS_EV_READY,        /* probing done, announced as name */
    MDNS_EV_ANSWERED,     /* a query was answered (value = records sent; unicast = 1 when unicast) */
    MDNS_EV_MALFORMED,    /* a message was dropped (value = enum mdns_err) */
};
struct mdns_event { enum mdns_event_kind kind; const char *name; int value, unicast; uint32_t from_ip; uint16_t from_port; };
typedef void (*mdns_event_fn)(const struct mdns_event *ev);

struct mdns_stats { uint32_t rx, malformed, queries, answered, known_answer_suppressed, rate_limited, probes, announces, conflicts; };

/* Joins 224.0.0.251, opens UDP 5353, starts probing. 0 or a negative STACK_E* error. */
int32_t mdns_start(const struct mdns_config *cfg, mdns_event_fn fn);
/* Sends goodbyes (TTL 0, §10.1), leaves the group, closes the socket. */
void mdns_stop(void);
/* New address (DHCP): probes and announces again. */
void mdns_set_ip(uint32_t ip);
/* Runs the probe/announce timers; returns ms until it needs to run again. */
int32_t mdns_poll(void);
/* Trap recovery (asnet_trapped): the module lost the socket and the membership; rejoin, re-probe. */
int32_t mdns_restart(void);
/* One received datagram (what the socket callback feeds; exposed for the fuzzer). */
void mdns_input(const uint8_t *msg, int32_t len, uint32_t ip, uint16_t port);
const char *mdns_hostname(void);           /* "asnet" or "asnet-2" ... (without .local) */
enum mdns_state mdns_state(void);
const struct mdns_stats *mdns_stats(void);
#endif
