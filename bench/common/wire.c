/* bench/common/wire.c: see wire.h. */
#include <stdlib.h>
#include <string.h>
#include "wire.h"

#define MAXQ 512u

struct queue { uint32_t head, count; uint16_t len[MAXQ]; uint8_t data[MAXQ][WIRE_FRAME]; };
static struct queue q[2];               /* q[i]: frames waiting for side i */
static uint8_t scratch[WIRE_FRAME];     /* where a frame goes when the queue is full */
static uint32_t loss_ppm, loss_rng;
static uint32_t impaired;               /* any impairment on: wire_commit takes impair() */
static uint32_t burst_len, burst_every, nth;
static uint32_t tcp_seen[2], data_seen[2];   /* per direction: TCP frames / data frames committed */
static uint64_t lost_burst[2], lost_nth[2], tcp_total[2], data_total[2];
static uint32_t min_hold = UINT32_MAX;  /* shortest time a frame spent in the delay line */
static const uint32_t *clock_ms;
uint32_t wire_delay_ms;
static FILE *pcap[2];                   /* pcap=PATH: every frame committed to PATH, lost ones to PATH.lost */

/* The delay line: frames on their way to side i, in commit order, each with its due time. */
struct line { uint32_t head, count; uint32_t due[MAXQ]; uint16_t len[MAXQ]; uint8_t data[MAXQ][WIRE_FRAME]; };
static struct line dl[2];
static int have_max[2];
static uint32_t max_end[2];              /* highest sequence number + 1 seen per direction */
struct wire_stats wire;

void wire_init(uint32_t ppm, uint32_t seed)
{
    memset(&wire, 0, sizeof wire);
    loss_ppm = ppm;
    loss_rng = seed ? seed : 1;
    impaired = ppm;
}

void wire_clock(const uint32_t *now) { clock_ms = now; }

/* Opens the capture files (classic pcap, Ethernet, virtual ms as timestamps). */
static int pcap_open(const char *path)
{
    static const uint32_t head[6] = { 0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1 };
    char lost[512];
    snprintf(lost, sizeof lost, "%s.lost", path);
    pcap[0] = fopen(path, "wb");
    pcap[1] = fopen(lost, "wb");
    if (!pcap[0] || !pcap[1]) return 0;
    for (int i = 0; i < 2; i++) fwrite(head, sizeof head, 1, pcap[i]);
    return 1;
}

static void pcap_write(int which, const uint8_t *f, uint32_t len)
{
    uint32_t ms = clock_ms ? *clock_ms : 0, rec[4] = { ms / 1000, ms % 1000 * 1000, len, len };
    fwrite(rec, sizeof rec, 1, pcap[which]);
    fwrite(f, len, 1, pcap[which]);
}

int wire_option(const char *kv)
{
    unsigned a, b;
    if (sscanf(kv, "delay=%u", &a) == 1 && a <= 10000) { wire_delay_ms = a; }
    else if (sscanf(kv, "burst=%u/%u", &a, &b) == 2 && a > 0 && a < b) { burst_len = a; burst_every = b; }
    else if (sscanf(kv, "nth=%u", &a) == 1 && a >= 2) { nth = a; }
    else if (sscanf(kv, "loss=%u", &a) == 1 && a <= 1000000u) { loss_ppm = a; }
    else if (sscanf(kv, "seed=%u", &a) == 1) { loss_rng = a ? a : 1; }
    else if (!strncmp(kv, "pcap=", 5) && kv[5]) return pcap_open(kv + 5);
    else return 0;
    impaired = loss_ppm | wire_delay_ms | burst_every | nth;
    return 1;
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

/* The impaired path of wire_commit: the loss patterns, then the delay line. Returns 1 when the
 * frame was consumed (lost, or parked in the delay line), 0 when it goes on the queue now. */
static __attribute__((noinline)) int impair(int from, int tcp, const uint8_t *f, uint32_t len)
{
    static uint64_t data_before[2];     /* account() just counted a data frame when this moved */
    int data = wire.data_frames[from] != data_before[from];
    data_before[from] = wire.data_frames[from];
    if (tcp) {
        uint32_t k = tcp_seen[from]++;
        tcp_total[from]++;
        int lose = loss_ppm && draw() % 1000000u < loss_ppm;
        if (burst_every && k % burst_every - burst_every / 2 < burst_len) { lose = 1; lost_burst[from]++; }
        if (nth && data) {
            data_total[from]++;
            if (data_seen[from]++ % nth == nth - 1) { lose = 1; lost_nth[from]++; }
        }
        if (lose) { wire.lost[from]++; if (pcap[1]) pcap_write(1, f, len); return 1; }
    }
    if (!wire_delay_ms) return 0;
    struct line *l = &dl[1 - from];
    if (l->count == MAXQ) { wire.overflow[from]++; return 1; }
    uint32_t at = (l->head + l->count) % MAXQ;
    l->due[at] = *clock_ms + wire_delay_ms;
    l->len[at] = (uint16_t)len;
    memcpy(l->data[at], f, len);
    l->count++;
    return 1;
}

void wire_advance(void)
{
    for (int s = 0; s < 2; s++) {
        struct line *l = &dl[s];
        while (l->count && (int32_t)(*clock_ms - l->due[l->head]) >= 0) {
            uint32_t hold = *clock_ms - (l->due[l->head] - wire_delay_ms);
            if (hold < min_hold) min_hold = hold;
            uint8_t *slot = wire_slot(1 - s);
            if (slot == scratch) wire.overflow[1 - s]++;
            else {
                memcpy(slot, l->data[l->head], l->len[l->head]);
                q[s].len[(q[s].head + q[s].count) % MAXQ] = l->len[l->head];
                q[s].count++;
                wire.delayed[1 - s]++;
            }
            l->head = (l->head + 1) % MAXQ;
            l->count--;
        }
    }
}

void wire_commit(int from, uint32_t len)
{
    struct queue *to = &q[1 - from];
    uint8_t *slot = wire_slot(from);
    wire.frames[from]++;
    int tcp = len <= WIRE_FRAME && account(from, slot, len);
    if (slot == scratch || len > WIRE_FRAME) { wire.overflow[from]++; return; }
    if (pcap[0]) pcap_write(0, slot, len);
    if (impaired && impair(from, tcp, slot, len)) return;
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
    if (impaired)
        fprintf(f, ",\"impair\":{\"loss_ppm\":%u,\"delay_ms\":%u,\"burst\":[%u,%u],\"nth\":%u,"
                   "\"lost_burst\":[%llu,%llu],\"lost_nth\":[%llu,%llu],\"delayed\":[%llu,%llu]}",
                loss_ppm, wire_delay_ms, burst_len, burst_every, nth,
                (unsigned long long)lost_burst[0], (unsigned long long)lost_burst[1],
                (unsigned long long)lost_nth[0], (unsigned long long)lost_nth[1],
                (unsigned long long)wire.delayed[0], (unsigned long long)wire.delayed[1]);
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* Sorts the n per-round latencies and prints p50, p99, max; fails (exit 3) when a round took less
 * than the wire's round trip (the delay line was bypassed). */
void wire_print_latencies(uint32_t *lat, int n)
{
    qsort(lat, (size_t)n, sizeof *lat, cmp_u32);
    fprintf(stdout, ",\"p50_ms\":%u,\"p99_ms\":%u,\"max_ms\":%u,\"min_ms\":%u", lat[(n - 1) / 2], lat[(n * 99 + 99) / 100 - 1],
           lat[n - 1], lat[0]);
    if (lat[0] < 2 * wire_delay_ms) {
        fflush(stdout);
        fprintf(stderr, "wire check FAILED: a round took %u ms on a %u ms round-trip wire\n", lat[0], 2 * wire_delay_ms);
        exit(3);
    }
}

static char why[256];

/* Frames the burst pattern loses among the first n: frames every/2 .. every/2 + len - 1 of every
 * `every` (mid-cycle, so a transfer of fewer than `every` frames still meets one burst). */
static uint64_t burst_count(uint64_t n)
{
    uint64_t r = n % burst_every, start = burst_every / 2;
    return n / burst_every * burst_len + (r > start ? (r - start < burst_len ? r - start : burst_len) : 0);
}

/* The impairments did what they say: the patterns lost exactly the frames they name (counted
 * from the frames themselves), every other frame went through the delay line and none of them
 * came out early. */
static const char *impair_check(void)
{
    for (int s = 0; s < 2; s++) {
        if (burst_every && lost_burst[s] != burst_count(tcp_total[s])) {
            snprintf(why, sizeof why, "side %d: %llu TCP frames, burst %u/%u should lose %llu, lost %llu", s,
                     (unsigned long long)tcp_total[s], burst_len, burst_every,
                     (unsigned long long)burst_count(tcp_total[s]), (unsigned long long)lost_burst[s]);
            return why;
        }
        if (nth && lost_nth[s] != data_total[s] / nth) {
            snprintf(why, sizeof why, "side %d: %llu data frames, nth=%u should lose %llu, lost %llu", s,
                     (unsigned long long)data_total[s], nth, (unsigned long long)(data_total[s] / nth),
                     (unsigned long long)lost_nth[s]);
            return why;
        }
        uint64_t kept = wire.frames[s] - wire.lost[s] - dl[1 - s].count;
        if (wire_delay_ms && wire.delayed[s] != kept) {
            snprintf(why, sizeof why, "side %d: %llu frames kept but %llu went through the delay line", s,
                     (unsigned long long)kept, (unsigned long long)wire.delayed[s]);
            return why;
        }
    }
    if (wire_delay_ms && min_hold < wire_delay_ms) {
        snprintf(why, sizeof why, "a frame left the %u ms delay line after %u ms", wire_delay_ms, min_hold);
        return why;
    }
    return NULL;
}

static const char *common(void)
{
    if (wire.overflow[0] || wire.overflow[1]) return "wire queue overflowed";
    if (impaired && impair_check()) return why;
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
