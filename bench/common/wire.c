/* bench/common/wire.c: see wire.h. */
#include <stdlib.h>
#include <string.h>
#include "wire.h"

#define MAXQ 512u

struct queue { uint32_t head, count; uint16_t len[MAXQ]; uint8_t data[MAXQ][WIRE_FRAME]; };
static struct queue q[2];               /* q[i]: frames waiting for side i */
static uint8_t scratch[WIRE_FRAME];     /* where a frame goes when the queue is full */
static uint32_t loss_ppm, loss_rng;
static int have_max[2];
static uint32_t max_end[2];              /* highest sequence number + 1 seen per direction */
struct wire_stats wire;

void wire_init(uint32_t ppm, uint32_t seed)
{
    memset(&wire, 0, sizeof wire);
    loss_ppm = ppm;
    loss_rng = seed ? seed : 1;
}

static uint32_t draw(void)
{
    loss_rng ^= loss_rng << 13;
    loss_rng ^= loss_rng >> 17;
    loss_rng ^= loss_rng << 5;
    return loss_rng;
}

uint8_t *wire_slot(int from)
{
    struct queue *to = &q[1 - from];
    if (to->count == MAXQ) return scratch;
    return to->data[(to->head + to->count) % MAXQ];
}

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return be16(p) << 16 | be16(p + 2); }

/* Counts a TCP segment's payload; returns 1 for a TCP segment (subject to loss). */
static int account(int from, const uint8_t *f, uint32_t len)
{
    if (len < 14 + 20 || be16(f + 12) != 0x0800 || f[14 + 9] != 6) return 0;
    uint32_t ihl = (uint32_t)(f[14] & 15) * 4, total = be16(f + 16);
    if (total > len - 14 || ihl < 20 || total < ihl + 20) return 0;
    const uint8_t *t = f + 14 + ihl;
    uint32_t doff = (uint32_t)(t[12] >> 4) * 4, flags = t[13];
    if (doff < 20 || ihl + doff > total) return 0;
    uint32_t n = total - ihl - doff, seq = be32(t + 4);
    wire.tcp_frames[from]++;
    if (flags & 0x02) { wire.syns[from]++; have_max[from] = 1; max_end[from] = seq + 1; }
    if (n == 0) return 1;
    wire.data_frames[from]++;
    wire.payload[from] += n;
    if (n > wire.max_payload[from]) wire.max_payload[from] = n;
    uint32_t end = seq + n, old = 0;
    if (have_max[from]) {
        int32_t below = (int32_t)(max_end[from] - seq);           /* bytes of this one already seen */
        if (below > 0) old = (uint32_t)below < n ? (uint32_t)below : n;
        if ((int32_t)(end - max_end[from]) > 0) max_end[from] = end;
    } else { have_max[from] = 1; max_end[from] = end; }
    wire.retrans[from] += old;
    wire.new_payload[from] += n - old;
    return 1;
}

void wire_commit(int from, uint32_t len)
{
    struct queue *to = &q[1 - from];
    uint8_t *slot = wire_slot(from);
    wire.frames[from]++;
    int tcp = len <= WIRE_FRAME && account(from, slot, len);
    if (slot == scratch || len > WIRE_FRAME) { wire.overflow[from]++; return; }
    if (tcp && loss_ppm && draw() % 1000000u < loss_ppm) { wire.lost[from]++; return; }
    to->len[(to->head + to->count) % MAXQ] = (uint16_t)len;
    to->count++;
}

const uint8_t *wire_peek(int to, uint32_t *len)
{
    if (!q[to].count) return NULL;
    *len = q[to].len[q[to].head];
    return q[to].data[q[to].head];
}

void wire_pop(int to)
{
    q[to].head = (q[to].head + 1) % MAXQ;
    q[to].count--;
}

void wire_print(FILE *f)
{
    fprintf(f, ",\"wire\":{\"frames\":[%llu,%llu],\"data_frames\":[%llu,%llu],\"payload\":[%llu,%llu],"
               "\"retransmitted\":[%llu,%llu],\"lost\":[%llu,%llu],\"overflow\":[%llu,%llu],\"syns\":[%llu,%llu],"
               "\"max_payload\":[%u,%u]}",
            (unsigned long long)wire.frames[0], (unsigned long long)wire.frames[1],
            (unsigned long long)wire.data_frames[0], (unsigned long long)wire.data_frames[1],
            (unsigned long long)wire.payload[0], (unsigned long long)wire.payload[1],
            (unsigned long long)wire.retrans[0], (unsigned long long)wire.retrans[1],
            (unsigned long long)wire.lost[0], (unsigned long long)wire.lost[1],
            (unsigned long long)wire.overflow[0], (unsigned long long)wire.overflow[1],
            (unsigned long long)wire.syns[0], (unsigned long long)wire.syns[1],
            wire.max_payload[0], wire.max_payload[1]);
}

static char why[256];

static const char *common(void)
{
    if (wire.overflow[0] || wire.overflow[1]) return "wire queue overflowed";
    for (int s = 0; s < 2; s++)
        if (wire.max_payload[s] > WIRE_MSS) {
            snprintf(why, sizeof why, "side %d sent a %u-byte segment (MSS %u)", s, wire.max_payload[s], WIRE_MSS);
            return why;
        }
    return NULL;
}

const char *wire_check_bulk(uint64_t delivered)
{
    const char *c = common();
    if (c) return c;
    uint64_t min_frames = (delivered + WIRE_MSS - 1) / WIRE_MSS;
    if (wire.new_payload[0] != delivered || wire.data_frames[0] < min_frames) {
        snprintf(why, sizeof why, "%llu bytes delivered but the wire carried %llu new payload bytes A->B in %llu "
                 "data frames (at least %llu expected)", (unsigned long long)delivered,
                 (unsigned long long)wire.new_payload[0], (unsigned long long)wire.data_frames[0],
                 (unsigned long long)min_frames);
        return why;
    }
    return NULL;
}

const char *wire_check_conn(uint32_t cycles)
{
    const char *c = common();
    if (c) return c;
    if (wire.syns[0] < cycles || wire.syns[1] < cycles || wire.new_payload[0] != cycles || wire.new_payload[1] != cycles) {
        snprintf(why, sizeof why, "%u cycles but the wire carried %llu/%llu SYNs and %llu/%llu payload bytes",
                 cycles, (unsigned long long)wire.syns[0], (unsigned long long)wire.syns[1],
                 (unsigned long long)wire.new_payload[0], (unsigned long long)wire.new_payload[1]);
        return why;
    }
    return NULL;
}

const char *wire_check_rr(uint32_t rounds, uint32_t bytes)
{
    const char *c = common();
    if (c) return c;
    uint64_t want = (uint64_t)rounds * bytes;
    if (wire.new_payload[0] != want || wire.new_payload[1] != want || wire.data_frames[0] < rounds || wire.data_frames[1] < rounds) {
        snprintf(why, sizeof why, "%u rounds of %u bytes but the wire carried %llu/%llu payload bytes in %llu/%llu frames",
                 rounds, bytes, (unsigned long long)wire.new_payload[0], (unsigned long long)wire.new_payload[1],
                 (unsigned long long)wire.data_frames[0], (unsigned long long)wire.data_frames[1]);
        return why;
    }
    return NULL;
}

void wire_require(const char *reason)
{
    if (!reason) return;
    fflush(stdout);
    fprintf(stderr, "wire check FAILED: %s\n", reason);
    exit(3);
}
