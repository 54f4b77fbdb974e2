/* Console output of the stack's operator view: one line per TCP state transition (trace_poll)
 * and a netstat table (netstat_row, pool_stats), written through a caller-supplied line sink so
 * that the formatting is the same with printf on the host and ESP_LOGI on the board. */
#ifndef CONSOLE_VIEW_H
#define CONSOLE_VIEW_H
#include <stdint.h>
typedef void (*console_line_fn)(const char *line);
/* Name of a TCP state, "?" when out of range. */
const char *console_state_name(uint32_t state);
/* Format one trace_poll() word as "pcb 3: SYN_RCVD -> ESTABLISHED". */
void console_format_trace(int32_t word, char *out, uint32_t out_len);
/* Format an IPv4 address (network order read as a number, docs/ABI.md "Numbers"). */
void console_format_ip(uint32_t ip, char *out, uint32_t out_len);
/* Drain trace_poll(), one line per transition. */
void console_print_transitions(console_line_fn line);
/* The netstat view: one row per connection/listener, then pool usage. */
void console_print_netstat(console_line_fn line);
#endif
