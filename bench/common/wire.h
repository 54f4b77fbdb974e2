/* bench/common/wire.h: the in-memory Ethernet both pair harnesses use (bench/wasm2c/pair.c for this
 * stack, bench/lwip/pair.c for lwIP), so both see the same wire: a queue of frames per direction,
 * each frame copied once onto the wire and once off it, a seeded loss pattern applied to TCP
 * segments (the k-th TCP segment on the wire is dropped or not by the k-th draw of one xorshift32
 * stream, whatever stack sent it), and counters read from the frames themselves: frames, TCP
 * payload bytes, bytes sent a second time (payload below the highest sequence number already seen
 * in that direction), SYNs. wire_check_* fail the run when the wire does not carry what the
 * delivered byte count implies (traffic that looped inside a stack never reaches the wire).
 *
 * Impairments for bench/loss.ts (off by default; the default path costs what it did before):
 * a one-way delay line (frames become visible to the receiver `delay` virtual ms after they were
 * committed, in order; the harness calls wire_advance() from its idle tick), a burst pattern (per
 * direction, `len` consecutive TCP frames from the middle of every `every` are lost: 10/1000 = 10
 * consecutive frames lost every 1,000, frames 500-509, 1500-1509, ...) and an isolated-loss pattern (per direction, every `nth` TCP data frame is
 * lost: at most one loss per window when the window holds fewer than nth segments).
 * pcap=PATH writes every frame committed to PATH (virtual ms as timestamps) and the lost ones also to
 * PATH.lost, for tcpdump -r. */
#ifndef BENCH_WIRE_H
#define BENCH_WIRE_H
#include <stdint.h>
#include <stdio.h>

#define WIRE_FRAME 1536u
#define WIRE_MSS 1460u

struct wire_stats {
    uint64_t frames[2], tcp_frames[2], data_frames[2];
    uint64_t payload[2], new_payload[2], retrans[2];
    uint64_t lost[2], overflow[2], syns[2], delayed[2];
    uint32_t max_payload[2];
};
extern struct wire_stats wire;

/* loss_ppm: segments dropped per million (0: none); seed: the loss pattern. */
void wire_init(uint32_t loss_ppm, uint32_t seed);
/* key=value impairment options (delay=MS burst=LEN/EVERY nth=N loss=PPM seed=S); after wire_init.
 * Returns 0 for an option the wire does not know or a bad value. */
int wire_option(const char *kv);
/* The harness's virtual ms clock (needed by the delay line). */
void wire_clock(const uint32_t *now_ms);
/* Nonzero when frames wait in the delay line; wire_advance makes the due ones visible. */
extern uint32_t wire_delay_ms;
void wire_advance(void);
uint32_t wire_in_flight(void);
/* Where side `from` writes its next frame (NULL: queue full, counted as overflow by wire_commit). */
uint8_t *wire_slot(int from);
/* The frame written at wire_slot(from) is len bytes long: count it, maybe drop it, else queue it. */
void wire_commit(int from, uint32_t len);
/* The oldest frame waiting for side `to` (NULL: none); wire_pop drops it once copied. */
const uint8_t *wire_peek(int to, uint32_t *len);
void wire_pop(int to);
/* ,"wire":{...} for the harness's JSON line. */
void wire_print(FILE *f);
/* Sorts n per-round latencies (virtual ms), prints ,"p50_ms","p99_ms","max_ms","min_ms"; exits 3 when
 * a round took less than the delay line's round trip. */
void wire_print_latencies(uint32_t *lat, int n);
/* NULL when the wire carried what the run delivered, else why not. */
const char *wire_check_bulk(uint64_t delivered);
const char *wire_check_conn(uint32_t cycles);
const char *wire_check_rr(uint32_t rounds, uint32_t bytes);
/* Prints the reason to stderr and exits 3 when why is not NULL. */
void wire_require(const char *why);
#endif
