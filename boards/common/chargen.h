/* The character generator's stream (RFC 864): lines of 72 printable ASCII characters (32..126),
 * each line starting one character further on, ended by CR LF. Line k starts with character
 * ' ' + k mod 95, so the stream repeats every 95 lines. A sender keeps one offset below
 * CHARGEN_PERIOD; the ring holds the period twice, so the next CHARGEN_PERIOD bytes of the stream
 * are contiguous from any such offset and can be handed to a send call in one piece.
 * Shared by the posix board's chargen service and the lwIP TAP benchmark (bench/lwip/tap.c), so
 * both stacks are given the same bytes the same way. */
#ifndef CHARGEN_H
#define CHARGEN_H
#include <stdint.h>

#define CHARGEN_LINE 74u
#define CHARGEN_PERIOD (95u * CHARGEN_LINE)
#define CHARGEN_RING (2u * CHARGEN_PERIOD)

static inline void chargen_fill(uint8_t ring[CHARGEN_RING])
{
    for (uint32_t l = 0; l < 2u * 95u; l++) {
        uint8_t *line = ring + l * CHARGEN_LINE;
        for (uint32_t i = 0; i < 72u; i++) line[i] = (uint8_t)(' ' + (l + i) % 95u);
        line[72] = '\r';
        line[73] = '\n';
    }
}
#endif
