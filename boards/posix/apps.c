/* The posix board's apps: options, start-up and the poll hook (apps.h).
 *   --sntp IP|dhcp      SNTP client against IP, or the NTP server of the DHCP lease (option 42)
 *   --sntp-poll S       minimum poll interval (default 64 s), --sntp-max S the backoff cap (1024 s)
 *   --sntp-clock        prints "sntp: utc MS" once a second once synchronised (the tests read it)
 * Lines: "sntp: sent ...", "sntp: synced ...", "sntp: rejected ...", "sntp: timeout ...", "sntp: kiss ...". */
#include "apps.h"
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "asnet.h"
#include "board.h"
#include "sntp.h"

static struct {
    int on, from_dhcp, print_clock, started;
    struct sntp_config cfg;
    int32_t dhcp;
    uint32_t next_clock_ms, next_dhcp_ms;
} sn;

static const char *ip_str(uint32_t ip)
{
    static char b[16];
    struct in_addr a = { .s_addr = htonl(ip) };
    return inet_ntop(AF_INET, &a, b, sizeof b);
}

static int parse_u32(const char *v, uint32_t *out)
{
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (*v == 0 || *end != 0 || x > 0xfffffffful) return -1;
    *out = (uint32_t)x;
    return 0;
}

int apps_arg(const char *opt, const char *val)
{
    if (!strcmp(opt, "--sntp-clock")) { sn.print_clock = 1; return 2; }     /* takes no value */
    if (!val) return 0;
    if (!strcmp(opt, "--sntp")) {
        sn.on = 1;
        if (!strcmp(val, "dhcp")) { sn.from_dhcp = 1; return 1; }
        struct in_addr a;
        if (inet_pton(AF_INET, val, &a) != 1) return -1;
        sn.cfg.server = ntohl(a.s_addr);
        return 1;
    }
    if (!strcmp(opt, "--sntp-poll")) return parse_u32(val, &sn.cfg.poll_min_s) < 0 ? -1 : 1;
    if (!strcmp(opt, "--sntp-max")) return parse_u32(val, &sn.cfg.poll_max_s) < 0 ? -1 : 1;
    return 0;
}

static void on_sntp(const struct sntp_event *ev)
{
    switch (ev->kind) {
    case SNTP_EV_SENT:
        printf("sntp: sent to %s:%u (%" PRId64 ")\n", ip_str(ev->from_ip), ev->from_port, ev->value);
        break;
    case SNTP_EV_SYNCED:
        printf("sntp: synced, step %" PRId64 " ms, delay %" PRId64 " us, poll %u s\n", ev->value, ev->value2,
               sntp_poll_interval_s());
        break;
    case SNTP_EV_REJECTED:
        printf("sntp: rejected reply from %s:%u: %s\n", ip_str(ev->from_ip), ev->from_port, sntp_verdict_name(ev->verdict));
        break;
    case SNTP_EV_TIMEOUT:
        printf("sntp: timeout, retry in %" PRId64 " ms\n", ev->value);
        break;
    case SNTP_EV_KISS:
        if (ev->value) printf("sntp: %s, poll %" PRId64 " s\n", sntp_verdict_name(ev->verdict), ev->value);
        else printf("sntp: %s, server abandoned\n", sntp_verdict_name(ev->verdict));
        break;
    }
}

static void sntp_begin(uint32_t server)
{
    sn.cfg.server = server;
    int32_t r = sntp_start(&sn.cfg, on_sntp);
    if (r < 0) { printf("sntp: start failed: %s\n", asnet_strerror(r)); return; }
    sn.started = 1;
    printf("sntp: server %s\n", ip_str(server));
}

int apps_start(int32_t dhcp_handle)
{
    sn.dhcp = dhcp_handle;
    if (sn.on && !sn.from_dhcp) sntp_begin(sn.cfg.server);
    return 0;
}

/* --sntp dhcp: once a second, look for option 42 in the lease. */
static void sntp_dhcp_check(uint32_t now)
{
    if (!sn.on || !sn.from_dhcp || sn.started || sn.dhcp < 0 || (int32_t)(now - sn.next_dhcp_ms) < 0) return;
    sn.next_dhcp_ms = now + 1000;
    uint32_t ip;
    int32_t r = sntp_server_from_dhcp(sn.dhcp, &ip);
    if (r == 0) sntp_begin(ip);
    else if (r != STACK_EAGAIN) { printf("sntp: the DHCP lease names no NTP server (%s)\n", asnet_strerror(r)); sn.on = 0; }
}

int32_t apps_poll(void)
{
    uint32_t now = board_now_ms();
    int32_t next = 1000;
    sntp_dhcp_check(now);
    if (sn.started) next = sntp_poll();
    uint64_t utc;
    if (sn.print_clock && (int32_t)(now - sn.next_clock_ms) >= 0 && asnet_utc_ms(&utc) == 0) {
        sn.next_clock_ms = now + 1000;
        printf("sntp: utc %" PRIu64 "\n", utc);
    }
    return next;
}

void apps_restart(void)
{
    if (sn.started) sntp_restart();
}
