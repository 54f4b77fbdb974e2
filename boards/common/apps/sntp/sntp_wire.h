/* NTP packets for an SNTP client (RFC 4330, RFC 5905 client mode): the 48-byte request and the
 * checks a reply must pass before its timestamps are used. Pure functions over byte buffers, no
 * stack calls, so the fuzzer (test/sntp_fuzz.c) drives exactly the parser the client runs. */
#ifndef SNTP_WIRE_H
#define SNTP_WIRE_H
#include <stddef.h>
#include <stdint.h>

#define SNTP_PACKET_LEN 48u
#define SNTP_PORT 123u
#define SNTP_VERSION 4u
#define SNTP_MODE_CLIENT 3u
#define SNTP_MODE_SERVER 4u
/* Seconds from the NTP era-0 epoch (1900-01-01) to the Unix epoch (1970-01-01). */
#define SNTP_UNIX_OFFSET 2208988800u

/* Why a reply was refused (negative), or SNTP_OK. */
enum sntp_verdict {
    SNTP_OK = 0,
    SNTP_E_SHORT = -1,      /* fewer than 48 bytes */
    SNTP_E_MODE = -2,       /* not mode 4 (server) */
    SNTP_E_VERSION = -3,    /* version other than 3 or 4 */
    SNTP_E_ORIGIN = -4,     /* origin timestamp is not our request's transmit timestamp (RFC 5905 §8) */
    SNTP_E_STRATUM = -5,    /* stratum 0 with an unknown kiss code, or 16 and above (unsynchronised) */
    SNTP_E_UNSYNC = -6,     /* leap indicator 3: the server's clock is not synchronised */
    SNTP_E_ZERO_TIME = -7,  /* transmit or receive timestamp zero (RFC 4330 §5) */
    SNTP_E_KOD_RATE = -8,   /* kiss-of-death RATE: reduce the poll rate (RFC 5905 §7.4) */
    SNTP_E_KOD_DENY = -9,   /* kiss-of-death DENY or RSTR: stop using this server */
    SNTP_E_KOD_RSTR = -10,
};

struct sntp_reply {
    uint32_t leap, version, stratum;
    int32_t poll;               /* log2 s, as the server suggests */
    uint32_t refid;
    int64_t t2_us, t3_us;       /* receive and transmit timestamps, µs since the Unix epoch */
};

/* Writes a client request whose transmit timestamp is the 8-byte nonce (random, RFC 5905 §15's
 * advice against off-path spoofing); returns SNTP_PACKET_LEN. */
size_t sntp_emit_request(uint8_t out[SNTP_PACKET_LEN], const uint8_t nonce[8]);
/* Checks a reply against the nonce of the request in flight; fills *r when the verdict is SNTP_OK
 * (and leap/version/stratum/refid for kiss-of-death verdicts too). */
enum sntp_verdict sntp_parse_reply(const uint8_t *p, size_t len, const uint8_t nonce[8], struct sntp_reply *r);
/* An NTP 64-bit timestamp (seconds, fraction) as µs since the Unix epoch: eras by RFC 4330 §3
 * (MSB set: 1968-2036, clear: 2036-2104). */
int64_t sntp_ts_to_unix_us(uint32_t sec, uint32_t frac);
void sntp_unix_us_to_ts(int64_t us, uint32_t *sec, uint32_t *frac);
const char *sntp_verdict_name(enum sntp_verdict v);
#endif
