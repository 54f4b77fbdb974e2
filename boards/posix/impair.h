/* Seeded frame impairment between a TAP device and its user (impair.c has the model). */
#ifndef POSIX_IMPAIR_H
#define POSIX_IMPAIR_H
#include <stdint.h>
#include <stdio.h>

struct impair_cfg {
    int on;
    uint32_t loss_ppm, reorder_ppm, dup_ppm, corrupt_ppm;   /* per million */
    uint32_t delay_ms, jitter_ms, seed;
};
struct impair_stats { uint32_t lost, dup, reordered, corrupted, overflow; };
extern struct impair_stats impair_stats;

enum { IMPAIR_OUT = 0, IMPAIR_IN = 1 };     /* queue per direction */

/* "loss=5,delay=10,jitter=2,reorder=1,dup=0.5,corrupt=0.1,seed=7": 0, or -1 for a bad spec. */
int impair_parse(const char *spec);
const struct impair_cfg *impair_config(void);
/* Hands a frame to the impairment of direction dir at time now (ms). */
void impair_submit(int dir, const uint8_t *frame, uint32_t len, uint32_t now);
/* The next frame of dir due by now: its length, or 0. */
int impair_release(int dir, uint32_t now, uint8_t *out, uint32_t cap);
/* ms until the next held frame falls due (0: now), or -1 when none is held. */
int32_t impair_next_ms(uint32_t now);
void impair_print(FILE *f);
#endif
