/* SNTP client (RFC 4330; RFC 5905 client mode) on asnet.h, and the UTC clock it sets.
 *
 * One server at a time: configured, or the first NTP server of the DHCP lease (option 42,
 * sntp_server_from_dhcp). A request goes out when due; the reply must come from the server's
 * port 123 and echo our request's random transmit timestamp (RFC 5905 §8), else it is ignored and
 * counted, as are replays and late duplicates (the nonce is spent by the first good reply).
 * Polls every poll_min_s while the server answers (1 s after a sample whose round trip exceeded
 * 100 ms, at most 3 times in a row: such a sample's offset is uncertain by half of it); an
 * unanswered request is retried after 2 s,
 * 4 s, ... up to poll_max_s. Kiss-of-death (RFC 5905 §7.4): RATE doubles the poll interval
 * (at least to the server's poll field), DENY and RSTR stop all requests to that server until
 * sntp_set_server is called again. No allocation: one static client.
 *
 * Single-threaded like asnet.h: call sntp_poll() from the loop that calls asnet_poll(). */
#ifndef SNTP_H
#define SNTP_H
#include <stdint.h>
#include "sntp_wire.h"

struct sntp_config {
    uint32_t server;           /* host order; 0 = none yet (sntp_set_server later) */
    uint16_t port;             /* 0 = 123 */
    uint32_t poll_min_s;       /* 0 = 64 (RFC 4330 §10: not below 15 s against public servers) */
    uint32_t poll_max_s;       /* 0 = 1024 */
    uint32_t timeout_ms;       /* reply wait, 0 = 3000 */
};

enum sntp_state { SNTP_IDLE, SNTP_SLEEPING, SNTP_WAITING, SNTP_DENIED };

enum sntp_event_kind {
    SNTP_EV_SENT,       /* a request left (value = our UDP port) */
    SNTP_EV_SYNCED,     /* the clock was set (value = offset change in ms, value2 = round-trip delay in µs) */
    SNTP_EV_REJECTED,   /* a reply was ignored (verdict says why) */
    SNTP_EV_TIMEOUT,    /* no reply in time (value = ms until the retry) */
    SNTP_EV_KISS,       /* kiss-of-death honoured (verdict; value = new poll interval in s, 0 = stopped) */
};
struct sntp_event {
    enum sntp_event_kind kind;
    enum sntp_verdict verdict;
    int64_t value, value2;
    uint32_t from_ip;
    uint16_t from_port;
};
typedef void (*sntp_event_fn)(const struct sntp_event *ev);

struct sntp_stats {
    uint32_t sent, synced, timeouts, bad_source, rejected[11];   /* rejected[-verdict] */
};

/* Opens the UDP socket; the first request goes out at the next sntp_poll when a server is set.
 * 0 or a negative STACK_E* error. */
int32_t sntp_start(const struct sntp_config *cfg, sntp_event_fn fn);
void sntp_stop(void);
/* New server (host order): forgets a DENY, asks at once. */
int32_t sntp_set_server(uint32_t ip);
/* The NTP server of a bound DHCP lease (handle from asnet_dhcp_start): 0 and *ip, or STACK_EAGAIN
 * (no lease yet) / STACK_ENOENT-like STACK_EINVAL (the lease carried no option 42). */
int32_t sntp_server_from_dhcp(int32_t dhcp_handle, uint32_t *ip);
/* Sends due requests, handles reply timeouts. Returns ms until it needs to run again. */
int32_t sntp_poll(void);
/* Trap recovery (asnet_trapped): every handle is gone, reopen the socket. */
int32_t sntp_restart(void);
enum sntp_state sntp_state(void);
uint32_t sntp_poll_interval_s(void);
const struct sntp_stats *sntp_stats(void);

/* The board's UTC clock: ms since the Unix epoch, board_now_ms() plus the offset of the last
 * sync. 0 and *ms, or STACK_EAGAIN before the first sync. */
int32_t asnet_utc_ms(uint64_t *ms);
/* Monotonic ms since start-up, 64-bit (board_now_ms() wraps after 49.7 days). */
uint64_t sntp_local_ms(void);
#endif
