/* boards/common/stack_glue.c: the board (mac.h, board.h) wired to the stack module (stack_rt.h).
 * See stack_glue.h for the contract. */
#include <stdio.h>
#include <string.h>
#include "board.h"
#include "board_imports.h"
#include "mac.h"
#include "stack_abi.h"
#include "stack_glue.h"

#define MAX_FRAME 1514u          /* Ethernet II without CRC (IEEE 802.3 §3.2) */
#define RX_CAP 1536u             /* the module's rx_buffer (docs/ABI.md) */
#define RX_BURST 64              /* frames per step, so timers keep running under a flood */
#define CATCH_UP_TICKS 8u        /* after a longer stall, timers resynchronise instead of bursting */

static struct stack_glue_config config;
static struct stack_glue_stats stats;
static uint32_t rx_ptr, io_ptr, io_size;
static uint32_t next_fast, next_slow;
static int link_up, trapped, restarting;
static const char *trap_why;
static struct { uint16_t len; uint8_t data[MAX_FRAME]; } tx_ring[STACK_GLUE_TX_RING];
static uint32_t tx_head, tx_count;

/* ---- env.netif_output: the TX ring (the import never calls back into the stack) ---- */

static void flush_tx(void)
{
    while (tx_count > 0 && mac_transmit(tx_ring[tx_head].data, tx_ring[tx_head].len) == 0) {
        tx_head = (tx_head + 1) % STACK_GLUE_TX_RING;
        tx_count--;
        stats.tx_frames++;
    }
}

void board_netif_output(const uint8_t *frame, uint32_t len)
{
    if (len > MAX_FRAME) return;
    flush_tx();
    if (tx_count == 0 && mac_transmit(frame, len) == 0) { stats.tx_frames++; return; }
    if (tx_count == STACK_GLUE_TX_RING) { stats.tx_drops++; return; }   /* TCP retransmits it */
    uint32_t slot = (tx_head + tx_count++) % STACK_GLUE_TX_RING;
    tx_ring[slot].len = (uint16_t)len;
    memcpy(tx_ring[slot].data, frame, len);
    stats.tx_queued++;
}

/* ---- instance lifecycle and trap recovery ---- */

static uint32_t mac_hi(const uint8_t m[6]) { return ((uint32_t)m[0] << 8) | m[1]; }
static uint32_t mac_lo(const uint8_t m[6])
{
    return ((uint32_t)m[2] << 24) | ((uint32_t)m[3] << 16) | ((uint32_t)m[4] << 8) | m[5];
}

/* Instantiate and configure; any trap here is fatal (it would recur on every restart). */
static int32_t start_instance(void)
{
    char err[96] = "";
    if (stack_rt_init(config.wasm, config.wasm_len, err, sizeof err) < 0) { board_log(err); return STACK_EIO; }
    restarting = 1;
    rx_ptr = (uint32_t)stack_glue_call0(STACK_RT_rx_buffer);
    io_ptr = (uint32_t)stack_glue_call0(STACK_RT_io_buffer);
    io_size = (uint32_t)stack_glue_call0(STACK_RT_io_buffer_size);
    const uint32_t init[5] = { mac_hi(config.mac), mac_lo(config.mac), config.ip, config.netmask, config.gateway };
    int32_t r = stack_glue_call(STACK_RT_stack_init, init, 5);
    link_up = mac_link_up() != 0;
    if (r == 0) (void)stack_glue_call1(STACK_RT_netif_set_link, (uint32_t)link_up);
    if (r == 0 && config.dhcp) { int32_t h = stack_glue_call0(STACK_RT_dhcp_start); if (h < 0) r = h; }
    restarting = 0;
    uint32_t now = board_now_ms();
    next_fast = now + STACK_GLUE_FAST_MS;
    next_slow = now + STACK_GLUE_SLOW_MS;
    return r < 0 ? r : 0;
}

/* Protocol counters outlive the instance: before a restart, what the dead instance counted is
 * added here, and stack_glue_stat() reports carried + live (an operator's netstat -s keeps its
 * history across a trap). A counter the trapped instance cannot report is left as it was. */
static uint32_t stat_carry[STACK_STAT_COUNT];

static void carry_stats(void)
{
    for (uint32_t id = 0; id < STACK_STAT_COUNT; id++) {
        int32_t v = stack_rt_call(STACK_RT_stats_get, &id, 1);
        if (v != STACK_RT_TRAP) stat_carry[id] += (uint32_t)v;
    }
}

uint32_t stack_glue_stat(uint32_t id)
{
    if (id >= STACK_STAT_COUNT) return 0;
    int32_t v = stack_glue_call1(STACK_RT_stats_get, id);
    return stat_carry[id] + (v < 0 ? 0u : (uint32_t)v);
}

static void restart_after_trap(enum stack_rt_export fn)
{
    char line[128];
    trap_why = stack_rt_trap_reason();
    snprintf(line, sizeof line, "stack: trap in %s (%s), restarting", stack_rt_export_name(fn), trap_why);
    board_log(line);
    if (restarting) board_fatal("stack: trapped while starting");
    trapped = 1;
    stats.traps++;
    tx_count = 0;
    carry_stats();
    if (start_instance() < 0) board_fatal("stack: restart after trap failed");
}

int32_t stack_glue_call(enum stack_rt_export fn, const uint32_t *args, uint32_t argc)
{
    int32_t r = stack_rt_call(fn, args, argc);
    if (r != STACK_RT_TRAP) return r;
    restart_after_trap(fn);
    return STACK_EIO;
}

int stack_glue_start(const struct stack_glue_config *cfg)
{
    config = *cfg;
    memset(&stats, 0, sizeof stats);
    memset(stat_carry, 0, sizeof stat_carry);
    tx_head = tx_count = 0;
    int err = mac_init(cfg->mac);
    if (err < 0) return err;
    return start_instance();
}

int stack_glue_trapped(const char **why)
{
    int t = trapped;
    if (why) *why = trap_why;
    trapped = 0;
    return t;
}

uint8_t *stack_glue_mem(uint32_t off, uint32_t len) { return stack_rt_mem(off, len); }

uint32_t stack_glue_io(uint32_t *size)
{
    if (size) *size = io_size;
    return io_ptr;
}

const struct stack_glue_stats *stack_glue_stats(void) { return &stats; }

/* ---- the main loop ---- */

static void (*after_input)(void);

void stack_glue_on_input(void (*fn)(void)) { after_input = fn; }

static void receive_frames(void)
{
    uint8_t *rx = stack_rt_mem(rx_ptr, RX_CAP);
    for (int n = 0; rx != NULL && n < RX_BURST; n++) {
        int len = mac_receive(rx, RX_CAP);
        if (len == 0) break;
        if (len < 0) { stats.rx_errors++; continue; }
        stats.rx_frames++;
        int32_t r = stack_glue_call1(STACK_RT_netif_input, (uint32_t)len);   /* bad frames are counted inside */
        if (r == 1 && after_input != NULL) after_input();             /* an ACK waits for the handlers */
        flush_tx();
        rx = stack_rt_mem(rx_ptr, RX_CAP);                            /* a trap may have moved it */
    }
}

/* Runs a periodic tick when its deadline passed; after a long stall it resynchronises. */
static int32_t run_tick(uint32_t now, uint32_t *deadline, uint32_t period, enum stack_rt_export fn)
{
    if ((int32_t)(now - *deadline) < 0) return -1;
    int32_t r = stack_glue_call0(fn);
    *deadline += period;
    if ((int32_t)(now - *deadline) >= (int32_t)(CATCH_UP_TICKS * period)) *deadline = now + period;
    return r;
}

/* tcp_fasttmr and tcp_deadlines return ms until the next retransmission deadline (docs/ABI.md):
 * an RTO of 300 ms fires at 300 ms, not at the next-but-one 250 ms tick, and a 1 ms RACK
 * reordering timer armed by an ACK fires after 1 ms. */
static uint32_t next_rtx;
static int rtx_armed;

static void check_link(void)
{
    int up = mac_link_up() != 0;
    if (up == link_up) return;
    link_up = up;
    (void)stack_glue_call1(STACK_RT_netif_set_link, (uint32_t)up);
}

static int32_t until(uint32_t now, uint32_t deadline)
{
    int32_t d = (int32_t)(deadline - now);
    return d < 0 ? 0 : d;
}

/* Remembers the retransmission deadline an export reported (ms from now; 0x7fffffff: none). */
static void note_rtx(uint32_t now, int32_t r)
{
    if (r >= 0) { rtx_armed = r < 0x7fffffff; next_rtx = now + (uint32_t)r; }
}

int32_t stack_glue_deadline(void)
{
    uint32_t now = board_now_ms();
    note_rtx(now, stack_glue_call0(STACK_RT_tcp_deadlines));   /* fires the due ones */
    flush_tx();
    return rtx_armed ? until(now, next_rtx) : INT32_MAX;
}

int32_t stack_glue_step(void)
{
    flush_tx();
    receive_frames();
    uint32_t now = board_now_ms();
    uint32_t slow_before = next_slow;
    note_rtx(now, run_tick(now, &next_fast, STACK_GLUE_FAST_MS, STACK_RT_tcp_fasttmr));
    run_tick(now, &next_slow, STACK_GLUE_SLOW_MS, STACK_RT_tcp_slowtmr);
    if (next_slow != slow_before) check_link();
    int32_t a = stack_glue_deadline();   /* input may have armed one shorter than a tick (RACK, TLP) */
    int32_t f = until(now, next_fast), b = until(now, next_slow);
    if (f < a) a = f;
    return a < b ? a : b;
}
