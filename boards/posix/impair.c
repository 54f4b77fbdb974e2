/* Seeded network impairment (netem-like; this kernel has no sch_netem), applied to every frame in
 * both directions between a TAP device and its user: the posix board's --impair option and the
 * Linux-to-Linux relay of test/impair.test.ts (impair_relay.c) share it, so both see the same
 * pattern for the same seed.
 *
 *   loss=P,delay=MS,jitter=MS,reorder=P,dup=P,corrupt=P,seed=N     (P in percent, e.g. loss=5)
 *
 * Each frame: lost with probability loss; else held delay +- jitter ms (uniform), except that with
 * probability reorder it goes at once, overtaking the delayed ones; with probability dup a second
 * copy follows; with probability corrupt one byte after the Ethernet header is flipped (the IP or
 * TCP checksum then drops it at the receiver). The queue holds IMPAIR_SLOTS frames per direction;
 * a frame arriving to a full queue is dropped and counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "impair.h"

#define IMPAIR_SLOTS 512
#define FRAME_CAP 1536

struct held { uint32_t at; uint16_t len; uint8_t data[FRAME_CAP]; };
/* Frames sit in a fixed pool; order[] keeps their indices sorted by release time. */
struct queue { struct held slot[IMPAIR_SLOTS]; uint16_t order[IMPAIR_SLOTS]; uint16_t free_list[IMPAIR_SLOTS]; uint32_t count; int ready; };

static struct impair_cfg cfg;
static struct queue queues[2];
static uint32_t rng = 1;
struct impair_stats impair_stats;

static uint32_t next_random(void)
{
    rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5;        /* xorshift32 */
    return rng;
}

/* True with probability p per million. */
static int chance(uint32_t ppm) { return ppm != 0 && next_random() % 1000000u < ppm; }

static int percent_ppm(const char *v, uint32_t *out)
{
    char *end;
    double p = strtod(v, &end);
    if (*end || p < 0 || p > 100) return -1;
    *out = (uint32_t)(p * 10000.0 + 0.5);
    return 0;
}

int impair_parse(const char *spec)
{
    char buf[256];
    if (strlen(spec) >= sizeof buf) return -1;
    strcpy(buf, spec);
    memset(&cfg, 0, sizeof cfg);
    cfg.seed = 1;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        if (!eq) return -1;
        *eq = 0;
        const char *k = tok, *v = eq + 1;
        char *end;
        int bad = 0;
        if (!strcmp(k, "loss")) bad = percent_ppm(v, &cfg.loss_ppm);
        else if (!strcmp(k, "reorder")) bad = percent_ppm(v, &cfg.reorder_ppm);
        else if (!strcmp(k, "dup")) bad = percent_ppm(v, &cfg.dup_ppm);
        else if (!strcmp(k, "corrupt")) bad = percent_ppm(v, &cfg.corrupt_ppm);
        else if (!strcmp(k, "delay")) { cfg.delay_ms = (uint32_t)strtoul(v, &end, 10); bad = *end != 0; }
        else if (!strcmp(k, "jitter")) { cfg.jitter_ms = (uint32_t)strtoul(v, &end, 10); bad = *end != 0; }
        else if (!strcmp(k, "seed")) { cfg.seed = (uint32_t)strtoul(v, &end, 10); bad = *end != 0; }
        else return -1;
        if (bad) return -1;
    }
    if (cfg.jitter_ms > cfg.delay_ms) return -1;
    rng = cfg.seed ? cfg.seed : 1;
    cfg.on = 1;
    return 0;
}

const struct impair_cfg *impair_config(void) { return &cfg; }

static struct held *enqueue(int dir, const uint8_t *f, uint32_t len, uint32_t at)
{
    struct queue *q = &queues[dir];
    if (!q->ready) { for (uint32_t i = 0; i < IMPAIR_SLOTS; i++) q->free_list[i] = (uint16_t)i; q->ready = 1; }
    if (q->count == IMPAIR_SLOTS || len > FRAME_CAP) { impair_stats.overflow++; return NULL; }
    uint16_t s = q->free_list[IMPAIR_SLOTS - 1 - q->count];
    struct held *h = &q->slot[s];
    h->at = at;
    h->len = (uint16_t)len;
    memcpy(h->data, f, len);
    uint32_t i = q->count++;                 /* insertion into the sorted index (stable: FIFO ties) */
    while (i > 0 && (int32_t)(q->slot[q->order[i - 1]].at - at) > 0) { q->order[i] = q->order[i - 1]; i--; }
    q->order[i] = s;
    return h;
}

void impair_submit(int dir, const uint8_t *frame, uint32_t len, uint32_t now)
{
    if (chance(cfg.loss_ppm)) { impair_stats.lost++; return; }
    int copies = chance(cfg.dup_ppm) ? 2 : 1;
    impair_stats.dup += (uint32_t)(copies - 1);
    for (int c = 0; c < copies; c++) {
        uint32_t at = now + cfg.delay_ms;
        if (cfg.jitter_ms) at = at - cfg.jitter_ms + next_random() % (2 * cfg.jitter_ms + 1);
        if (chance(cfg.reorder_ppm)) { at = now; impair_stats.reordered++; }
        struct held *h = enqueue(dir, frame, len, at);
        if (h && len > 14 && chance(cfg.corrupt_ppm)) {
            h->data[14 + next_random() % (len - 14)] ^= 0x5a;
            impair_stats.corrupted++;
        }
    }
}

int impair_release(int dir, uint32_t now, uint8_t *out, uint32_t cap)
{
    struct queue *q = &queues[dir];
    if (q->count == 0) return 0;
    uint16_t s = q->order[0];
    if ((int32_t)(now - q->slot[s].at) < 0) return 0;
    uint32_t len = q->slot[s].len;
    if (len > cap) len = cap;
    memcpy(out, q->slot[s].data, len);
    memmove(&q->order[0], &q->order[1], (q->count - 1) * sizeof q->order[0]);
    q->count--;
    q->free_list[IMPAIR_SLOTS - 1 - q->count] = s;
    return (int)len;
}

int32_t impair_next_ms(uint32_t now)
{
    int32_t best = -1;
    for (int d = 0; d < 2; d++) {
        if (queues[d].count == 0) continue;
        int32_t w = (int32_t)(queues[d].slot[queues[d].order[0]].at - now);
        if (w < 0) w = 0;
        if (best < 0 || w < best) best = w;
    }
    return best;
}

void impair_print(FILE *f)
{
    fprintf(f, "impair: lost %u dup %u reordered %u corrupted %u overflow %u\n", impair_stats.lost,
            impair_stats.dup, impair_stats.reordered, impair_stats.corrupted, impair_stats.overflow);
}
