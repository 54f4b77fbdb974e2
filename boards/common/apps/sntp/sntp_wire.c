/* NTP packet emit and reply checks (RFC 4330 §4-§5, RFC 5905 §7.3 packet format, §7.4 kiss codes,
 * §8 origin check). */
#include "sntp_wire.h"
#include <string.h>

static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

size_t sntp_emit_request(uint8_t out[SNTP_PACKET_LEN], const uint8_t nonce[8])
{
    memset(out, 0, SNTP_PACKET_LEN);
    out[0] = (uint8_t)(SNTP_VERSION << 3 | SNTP_MODE_CLIENT);   /* LI 0, VN 4, mode 3 */
    memcpy(out + 40, nonce, 8);                                  /* transmit timestamp */
    return SNTP_PACKET_LEN;
}

int64_t sntp_ts_to_unix_us(uint32_t sec, uint32_t frac)
{
    /* RFC 4330 §3: MSB set = era 0 (from 1900), clear = era 1 (from 2036-02-07). */
    int64_t s = (int64_t)sec + ((sec & 0x80000000u) ? 0 : 0x100000000LL) - SNTP_UNIX_OFFSET;
    return s * 1000000 + (int64_t)(((uint64_t)frac * 1000000u) >> 32);
}

void sntp_unix_us_to_ts(int64_t us, uint32_t *sec, uint32_t *frac)
{
    int64_t s = us / 1000000, rem = us % 1000000;
    if (rem < 0) { rem += 1000000; s--; }
    *sec = (uint32_t)(s + SNTP_UNIX_OFFSET);     /* mod 2^32: the era is implied */
    *frac = (uint32_t)(((uint64_t)rem << 32) / 1000000u);
}

/* RFC 5905 §7.4: with stratum 0 the reference id is a four-letter ASCII kiss code. */
static enum sntp_verdict kiss(uint32_t refid)
{
    if (refid == 0x52415445u) return SNTP_E_KOD_RATE;   /* "RATE" */
    if (refid == 0x44454e59u) return SNTP_E_KOD_DENY;   /* "DENY" */
    if (refid == 0x52535452u) return SNTP_E_KOD_RSTR;   /* "RSTR" */
    return SNTP_E_STRATUM;                               /* other codes: not a time source */
}

enum sntp_verdict sntp_parse_reply(const uint8_t *p, size_t len, const uint8_t nonce[8], struct sntp_reply *r)
{
    memset(r, 0, sizeof *r);
    if (len < SNTP_PACKET_LEN) return SNTP_E_SHORT;     /* longer: extension fields / MAC, ignored */
    r->leap = p[0] >> 6;
    r->version = p[0] >> 3 & 7u;
    r->stratum = p[1];
    r->poll = (int8_t)p[2];
    r->refid = get32(p + 12);
    if ((p[0] & 7u) != SNTP_MODE_SERVER) return SNTP_E_MODE;
    if (r->version < 3 || r->version > 4) return SNTP_E_VERSION;
    /* RFC 5905 §8: the origin timestamp must echo our transmit timestamp. Checked before the kiss
     * codes, so an off-path sender cannot make us stop or slow down with a forged KoD either. */
    if (memcmp(p + 24, nonce, 8) != 0) return SNTP_E_ORIGIN;
    if (r->stratum == 0) return kiss(r->refid);
    if (r->stratum >= 16) return SNTP_E_STRATUM;
    if (r->leap == 3) return SNTP_E_UNSYNC;
    uint32_t rs = get32(p + 32), rf = get32(p + 36), ts = get32(p + 40), tf = get32(p + 44);
    if ((ts | tf) == 0 || (rs | rf) == 0) return SNTP_E_ZERO_TIME;
    r->t2_us = sntp_ts_to_unix_us(rs, rf);
    r->t3_us = sntp_ts_to_unix_us(ts, tf);
    return SNTP_OK;
}

const char *sntp_verdict_name(enum sntp_verdict v)
{
    switch (v) {
    case SNTP_OK: return "ok";
    case SNTP_E_SHORT: return "short";
    case SNTP_E_MODE: return "bad mode";
    case SNTP_E_VERSION: return "bad version";
    case SNTP_E_ORIGIN: return "origin mismatch";
    case SNTP_E_STRATUM: return "bad stratum";
    case SNTP_E_UNSYNC: return "server unsynchronised";
    case SNTP_E_ZERO_TIME: return "zero timestamp";
    case SNTP_E_KOD_RATE: return "kiss RATE";
    case SNTP_E_KOD_DENY: return "kiss DENY";
    case SNTP_E_KOD_RSTR: return "kiss RSTR";
    }
    return "?";
}
