/* The posix board: the wasm2c-compiled build/stack.wasm on a Linux TAP device, serving the demo
 * services. State changes and a netstat line go to stdout; SIGUSR1 prints the netstat line, SIGTERM
 * and SIGINT stop it cleanly.
 *
 *   asnet-posix --tap tap0 [--ip 192.0.2.2 --mask 255.255.255.0 --gw 192.0.2.1] [--static]
 *               --mac 02:00:00:00:00:02 --service echo --service http
 *
 * Addressing: DHCP by default; when no lease comes within --dhcp-timeout seconds (default 10) the
 * board falls back to --ip/--mask/--gw if given (and keeps asking otherwise). --static uses --ip at
 * once without DHCP. The address in use is printed ("address: ... (dhcp|static)").
 * --impair SPEC: seeded loss/delay/jitter/reorder/duplication/corruption of every frame both ways
 * (impair.c), since this kernel has no sch_netem.
 * --sysctl NAME=VALUE (repeatable): set a stack tunable at start-up (docs/ABI.md; e.g.
 * tcp_rmem_default=65535 with the server build, `make SERVER=1`).
 * --rx-burst N: at most N received frames per main-loop step (tap.c; 0: as many as the glue takes,
 * 64), so the services read between bursts and the receive window never closes under a burst. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "asnet.h"
#include "board.h"
#include "apps.h"
#include "impair.h"
#include "posix.h"
#include "linux_host.h"
#include "stack_glue.h"

static volatile sig_atomic_t stop_requested, netstat_requested;
static const char *resolve_name;          /* --resolve: looked up once an address is configured */
static int resolve_started;
static uint32_t dns_server;               /* --dns: a static DNS server (DHCP option 6 sets it too) */
static int static_only;                   /* --static: no DHCP */
static uint32_t dhcp_timeout_s = 10;      /* --dhcp-timeout: fall back to the static address after it */
static int32_t dhcp_handle = -1;
static int dhcp_bound;
static const char *wasm_path;             /* --wasm: the module WAMR loads (RUNTIME=wamr) */
static struct { int id; int32_t val; } sysctls[16];   /* --sysctl NAME=VALUE, applied after asnet_init */
static int sysctl_count;
/* Frames per main-loop step (bench/README.md "TAP": measured against 64 per step). */
#define RX_BURST_DEFAULT 16u
static uint32_t rx_burst = RX_BURST_DEFAULT; /* --rx-burst */

#ifndef STACK_WASM_PATH
#define STACK_WASM_PATH "../../build/stack.wasm"
#endif
#define MAX_MODULE_BYTES (256u * 1024u)

uint32_t board_now_ms(void) { return linux_now_ms(); }
uint32_t board_random(void) { return linux_random(); }

void board_log(const char *line) { printf("%s\n", line); }

void board_fatal(const char *why)
{
    fprintf(stderr, "fatal: %s\n", why);
    exit(2);
}

#ifdef STACK_RT_APP
static void forward_to_app(int32_t h, uint32_t events, void *ctx)
{
    (void)ctx;
    (void)stack_glue_call2(STACK_RT_app_event, (uint32_t)h, events);
}
#endif

static void on_signal(int sig)
{
    if (sig == SIGUSR1) netstat_requested = 1;
    else stop_requested = 1;
}

static void on_trace(uint32_t slot, uint32_t from, uint32_t to)
{
    printf("tcp: pcb %u %s -> %s\n", slot, asnet_state_name(from), asnet_state_name(to));
}

static void print_netstat(void)
{
    printf("netstat:");
    for (uint32_t s = 0; s <= STACK_TIME_WAIT; s++) {
        int32_t n = asnet_netstat_count((int)s);
        if (n > 0) printf(" %s=%d", asnet_state_name(s), n);
    }
    const struct stack_glue_stats *g = stack_glue_stats();
    printf(" | frames rx %u tx %u (queued %u, dropped %u), rx errors %u, traps %u\n",
           g->rx_frames, g->tx_frames, g->tx_queued, g->tx_drops, g->rx_errors, g->traps);
    asnet_log_stats();
}

static const char *ip_text(uint32_t ip)
{
    struct in_addr a = { .s_addr = htonl(ip) };
    return inet_ntoa(a);
}

static void on_dns(int32_t h, uint32_t events, void *ctx)
{
    (void)events; (void)ctx;
    uint32_t ip = 0, ttl = 0;
    int32_t r = asnet_dns_result(h, &ip, &ttl);
    if (r == STACK_EAGAIN) return;
    if (r == 0) printf("dns: %s -> %s ttl %u\n", resolve_name, ip_text(ip), ttl);
    else printf("dns: %s -> %s\n", resolve_name, asnet_strerror(r));
}

static void start_resolve(void)
{
    if (!resolve_name || resolve_started) return;
    resolve_started = 1;
    int32_t h = asnet_dns_query(resolve_name, on_dns, NULL);
    if (h < 0) printf("dns: %s -> %s\n", resolve_name, asnet_strerror(h));
}

static void on_dhcp(int32_t h, uint32_t events, void *ctx)
{
    (void)ctx;
    uint32_t info[10];
    if (asnet_dhcp_info(h, info) < 0) return;
    if (events & STACK_EV_CONNECTED) {
        dhcp_bound = 1;
        printf("address: %s (dhcp)\n", ip_text(info[1]));
        printf("dhcp: bound %s", ip_text(info[1]));
        printf(" mask %s", ip_text(info[2]));
        printf(" gw %s", ip_text(info[3]));
        printf(" dns %s lease %u s\n", ip_text(info[4]), info[6]);
        start_resolve();
    }
    if (events & STACK_EV_ERROR) printf("dhcp: address lost\n");
}

static int parse_ip(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) return -1;
    *out = ntohl(a.s_addr);
    return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return -1;
    for (int i = 0; i < 6; i++) { if (v[i] > 255) return -1; mac[i] = (uint8_t)v[i]; }
    return 0;
}

static unsigned parse_service(const char *s)
{
    if (!strcmp(s, "echo")) return SVC_ECHO;
    if (!strcmp(s, "discard")) return SVC_DISCARD;
    if (!strcmp(s, "chargen") || !strcmp(s, "source")) return SVC_CHARGEN;
    if (!strcmp(s, "http")) return SVC_HTTP;
    return 0;
}

static int parse_sysctl(const char *s)
{
    static const struct { const char *name; int id; } names[] = {
#define SYSCTL_NAME(name, id, def, lo, hi) { #name, id },
        STACK_SYSCTL_LIST(SYSCTL_NAME)
#undef SYSCTL_NAME
    };
    const char *eq = strchr(s, '=');
    if (!eq || sysctl_count == (int)(sizeof sysctls / sizeof sysctls[0])) return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) != (size_t)(eq - s) || strncmp(names[i].name, s, (size_t)(eq - s))) continue;
        char *end;
        long v = strtol(eq + 1, &end, 10);
        if (*end || end == eq + 1) return -1;
        sysctls[sysctl_count].id = names[i].id;
        sysctls[sysctl_count++].val = (int32_t)v;
        return 0;
    }
    return -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: asnet-posix --tap NAME [--ip A [--mask M] [--gw G]] [--static] [--dhcp-timeout S] [--mac MAC]\n"
                    "                   [--service echo|discard|chargen|http]... [--dns IP] [--resolve NAME]\n"
                    "                   [--wasm stack.wasm (RUNTIME=wamr builds)]\n"
                    "                   [--sntp IP|dhcp [--sntp-poll S] [--sntp-max S] [--sntp-clock]] (apps.c)\n"
                    "                   [--impair loss=P,delay=MS,jitter=MS,reorder=P,dup=P,corrupt=P,seed=N]\n"
                    "                   [--sysctl NAME=VALUE]... [--rx-burst FRAMES]\n");
    exit(64);
}

static void parse_args(int argc, char **argv, const char **tap, struct asnet_config *cfg, unsigned *services)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--dhcp")) { cfg->dhcp = 1; continue; }            /* the default; kept for scripts */
        if (!strcmp(a, "--static")) { static_only = 1; continue; }
        int app = apps_arg(a, v);                                        /* apps.c: --sntp ... */
        if (app < 0) { fprintf(stderr, "bad value for %s: %s\n", a, v); exit(64); }
        if (app > 0) { i += app == 1; continue; }
        if (!v) usage();
        if (!strcmp(a, "--tap")) *tap = v;
        else if (!strcmp(a, "--resolve")) resolve_name = v;
        else if (!strcmp(a, "--dhcp-timeout")) { char *end; dhcp_timeout_s = (uint32_t)strtoul(v, &end, 10); bad = *end != 0; }
        else if (!strcmp(a, "--wasm")) wasm_path = v;
        else if (!strcmp(a, "--impair")) bad = impair_parse(v);
        else if (!strcmp(a, "--sysctl")) bad = parse_sysctl(v);
        else if (!strcmp(a, "--rx-burst")) { char *end; rx_burst = (uint32_t)strtoul(v, &end, 10); bad = *end != 0 || rx_burst > 64; }
        else if (!strcmp(a, "--dns")) { uint32_t ip; bad = parse_ip(v, &ip); if (!bad) dns_server = ip; }
        else if (!strcmp(a, "--ip")) bad = parse_ip(v, &cfg->ip);
        else if (!strcmp(a, "--mask")) bad = parse_ip(v, &cfg->netmask);
        else if (!strcmp(a, "--gw")) bad = parse_ip(v, &cfg->gateway);
        else if (!strcmp(a, "--mac")) bad = parse_mac(v, cfg->mac);
        else if (!strcmp(a, "--service")) { unsigned s = parse_service(v); bad = s == 0; *services |= s; }
        else usage();
        if (bad) { fprintf(stderr, "bad value for %s: %s\n", a, v); exit(64); }
        i++;
    }
    if (!*tap || (static_only && !cfg->ip)) usage();
}

/* RUNTIME=wamr: the module bytes, read once into a static buffer (wasm2c compiled them in). */
static int load_module(struct asnet_config *cfg)
{
#ifdef ASNET_RUNTIME_WAMR
    static uint8_t module[MAX_MODULE_BYTES];
    const char *path = wasm_path ? wasm_path : STACK_WASM_PATH;
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "%s: %s\n", path, strerror(errno)); return -1; }
    size_t n = fread(module, 1, sizeof module, f);
    int too_big = fgetc(f) != EOF;
    fclose(f);
    if (n == 0 || too_big) { fprintf(stderr, "%s: empty or larger than %u bytes\n", path, MAX_MODULE_BYTES); return -1; }
    cfg->wasm = module;
    cfg->wasm_len = (uint32_t)n;
    printf("posix: runtime WAMR, module %s (%zu bytes)\n", path, n);
#else
    (void)cfg;
    if (wasm_path) fprintf(stderr, "--wasm ignored: this build runs the wasm2c translation\n");
#endif
    return 0;
}

int main(int argc, char **argv)
{
    struct asnet_config cfg = { .mac = { 0x02, 0, 0, 0, 0, 0x02 }, .netmask = 0xffffff00u };
    const char *tap = NULL;
    unsigned services = 0;
    parse_args(argc, argv, &tap, &cfg, &services);
    setvbuf(stdout, NULL, _IOLBF, 0);
    int err = tap_open(tap);
    if (err < 0) { fprintf(stderr, "tap %s: %s\n", tap, strerror(-err)); return 1; }
    tap_set_rx_burst(rx_burst);
    if (load_module(&cfg) < 0) return 1;
    asnet_on_trace(on_trace);
    int dhcp = !static_only;
    uint32_t fallback_ip = cfg.ip, fallback_mask = cfg.netmask, fallback_gw = cfg.gateway;
    if (dhcp) cfg.ip = cfg.gateway = 0;                   /* DHCP first: no address until a lease */
    cfg.dhcp = 0;
    err = asnet_init(&cfg);
    if (err < 0) { fprintf(stderr, "asnet_init: %s\n", asnet_strerror(err)); return 1; }
    for (int i = 0; i < sysctl_count; i++) {
        int32_t r = asnet_sysctl_set(sysctls[i].id, sysctls[i].val);
        if (r < 0) { fprintf(stderr, "sysctl %d=%d: %s\n", sysctls[i].id, sysctls[i].val, asnet_strerror(r)); return 1; }
    }
    if (dns_server) asnet_dns_set_server(dns_server);
    if (dhcp && (dhcp_handle = asnet_dhcp_start(on_dhcp, NULL)) < 0) { fprintf(stderr, "dhcp_start failed\n"); return 1; }
    if (!dhcp) { printf("address: %s (static)\n", ip_text(cfg.ip)); start_resolve(); }
    uint32_t dhcp_deadline = board_now_ms() + dhcp_timeout_s * 1000u;
#ifdef STACK_RT_APP
    /* build/app.wasm: the services are AssemblyScript inside the module (examples/as-app); the board
     * only forwards the events of the handles the module opened. */
    asnet_on_other_events(forward_to_app);
    if (stack_glue_call0(STACK_RT_app_start) < 0) { fprintf(stderr, "app_start failed\n"); return 1; }
#ifdef STACK_RT_APP_TICK
    printf("app: mqtt in wasm (examples/as-app/mqtt.ts)\n");
#else
    printf("app: services in wasm (echo :7, http :80)\n");
#endif
    (void)services;
#else
    if (services_start(services ? services : SVC_ECHO) < 0) { fprintf(stderr, "services failed\n"); return 1; }
#endif
    if (apps_start(dhcp_handle) < 0) { fprintf(stderr, "apps failed\n"); return 1; }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGUSR1, on_signal);
    printf("posix: up on %s\n", tap);
    while (!stop_requested) {
        int32_t next = asnet_poll();
#ifdef STACK_RT_APP_TICK
        (void)stack_glue_call1(STACK_RT_app_tick, board_now_ms());     /* the app's timers (keepalive, telemetry) */
#endif
#ifndef STACK_RT_APP
        services_poll();
#endif
        int32_t apps_next = apps_poll();
        if (apps_next < next) next = apps_next;
        const char *why;
        int trapped = asnet_trapped(&why);
        if (trapped) apps_restart();
#ifdef STACK_RT_APP
        if (trapped) (void)stack_glue_call0(STACK_RT_app_start);         /* board_log said why */
#else
        if (trapped) services_restart(services ? services : SVC_ECHO);   /* board_log said why */
#endif
        if (netstat_requested) { netstat_requested = 0; print_netstat(); }
        if (dhcp_handle > 0 && !dhcp_bound && fallback_ip && (int32_t)(board_now_ms() - dhcp_deadline) >= 0) {
            asnet_dhcp_stop(dhcp_handle);                  /* no lease in time: the configured address */
            dhcp_handle = -1;
            asnet_set_addr(fallback_ip, fallback_mask, fallback_gw);
            printf("address: %s (static, no DHCP lease in %u s)\n", ip_text(fallback_ip), dhcp_timeout_s);
            start_resolve();
        }
        if (!tap_rx_step()) board_wait(next < 50 ? next : 50);   /* frames left behind by the budget: no sleep */
    }
    apps_stop();
    print_netstat();
    if (impair_config()->on) impair_print(stdout);
    printf("posix: stopped\n");
    return 0;
}
