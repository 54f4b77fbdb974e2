#include "console_view.h"
#include <stdio.h>
#include <string.h>
#include "stack_abi.h"
#include "stack_rt.h"

#define STATE_NAME(name, value) [value] = #name,
static const char *const state_names[] = {STACK_STATE_LIST(STATE_NAME)};
#undef STATE_NAME

static const char *const pool_names[] = {"sockets", "tcp_pcbs", "listen_pcbs", "syn_queue",
                                         "blocks",  "arp",      "ranges"};

const char *console_state_name(uint32_t state) {
  if (state >= sizeof state_names / sizeof state_names[0]) return "?";
  return state_names[state];
}

void console_format_trace(int32_t word, char *out, uint32_t out_len) {
  uint32_t w = (uint32_t)word; /* slot | old << 8 | new << 16 (docs/ABI.md "Events") */
  snprintf(out, out_len, "pcb %u: %s -> %s", (unsigned)(w & 0xff),
           console_state_name((w >> 8) & 0xff), console_state_name((w >> 16) & 0xff));
}

void console_format_ip(uint32_t ip, char *out, uint32_t out_len) {
  snprintf(out, out_len, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)((ip >> 16) & 0xff),
           (unsigned)((ip >> 8) & 0xff), (unsigned)(ip & 0xff));
}

void console_print_transitions(console_line_fn line) {
  char text[64];
  int32_t word;
  while ((word = stack_rt_call0(STACK_RT_trace_poll)) != -1) {
    if (word == INT32_MIN) return; /* the module trapped; stack_rt already said so */
    console_format_trace(word, text, sizeof text);
    line(text);
  }
}

static void print_row(const uint32_t *row, console_line_fn line) {
  char local[16], remote[16], text[112];
  console_format_ip(row[STACK_NETSTAT_ROW_LOCAL_IP], local, sizeof local);
  console_format_ip(row[STACK_NETSTAT_ROW_REMOTE_IP], remote, sizeof remote);
  snprintf(text, sizeof text, "tcp %6u %6u %15s:%-5u %15s:%-5u %s",
           (unsigned)row[STACK_NETSTAT_ROW_RECV_QUEUE], (unsigned)row[STACK_NETSTAT_ROW_SEND_QUEUE],
           local, (unsigned)row[STACK_NETSTAT_ROW_LOCAL_PORT], remote,
           (unsigned)row[STACK_NETSTAT_ROW_REMOTE_PORT],
           console_state_name(row[STACK_NETSTAT_ROW_STATE]));
  line(text);
}

static void print_pools(uint32_t io, console_line_fn line) {
  char text[96];
  for (uint32_t pool = 0; pool < sizeof pool_names / sizeof pool_names[0]; pool++) {
    const uint32_t *s = (const uint32_t *)stack_rt_mem(io, 16);
    if (stack_rt_call2(STACK_RT_pool_stats, pool, io) < 0 || !s) continue;
    snprintf(text, sizeof text, "pool %-11s size %4u used %4u high %4u failures %u",
             pool_names[pool], (unsigned)s[0], (unsigned)s[1], (unsigned)s[2], (unsigned)s[3]);
    line(text);
  }
}

#define STAT_NAME(n, v) [v] = #n,
static const char *const stat_names[] = {STACK_STAT_LIST(STAT_NAME)};

/* netstat -s: non-zero protocol counters, one line per protocol prefix ("stats tcp: in 12 ..."). */
static void print_stats(console_line_fn line) {
  char text[160];
  size_t n = 0, glen = 0;
  const char *group = "";
  for (uint32_t id = 0; id < STACK_STAT_COUNT; id++) {
    int32_t v = stack_rt_call1(STACK_RT_stats_get, id);
    if (v <= 0) continue;
    const char *name = stat_names[id];
    const char *us = strchr(name, '_');
    size_t plen = us ? (size_t)(us - name) : strlen(name);
    if (plen != glen || strncmp(name, group, plen) != 0 || n > sizeof text - 40) {
      if (n) line(text);
      group = name;
      glen = plen;
      n = (size_t)snprintf(text, sizeof text, "stats %.*s:", (int)plen, name);
    }
    n += (size_t)snprintf(text + n, sizeof text - n, " %s %ld", us ? us + 1 : name, (long)v);
    if (n >= sizeof text) n = sizeof text - 1;
  }
  if (n) line(text);
}

void console_print_netstat(console_line_fn line) {
  uint32_t io = (uint32_t)stack_rt_call0(STACK_RT_io_buffer);
  line("Proto Recv-Q Send-Q   Local Address          Foreign Address      State");
  for (uint32_t i = 0; stack_rt_call2(STACK_RT_netstat_row, i, io) == 0; i++) {
    const uint32_t *row = (const uint32_t *)stack_rt_mem(io, 32);
    if (!row) return;
    print_row(row, line);
  }
  print_pools(io, line);
  print_stats(line);
}
