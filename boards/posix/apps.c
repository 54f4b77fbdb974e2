/* The posix board's apps: options, start-up and the poll hook (apps.h).
 *   --sntp IP|dhcp      SNTP client against IP, or the NTP server of the DHCP lease (option 42)
 *   --sntp-poll S       minimum poll interval (default 64 s), --sntp-max S the backoff cap (1024 s)
 *   --sntp-clock        prints "sntp: utc MS" once a second once synchronised (the tests read it)
 * Lines: "sntp: sent ...", "sntp: synced ...", "sntp: rejected ...", "sntp: timeout ...", "sntp: kiss ...".
 * The multicast build (make MCAST=1, -DASNET_APPS_MDNS) adds the mDNS responder:
 *   --mdns NAME                         answers NAME.local (probes, announces, renames on conflict)
 *   --mdns-service TYPE:PORT[:TXT,...]  e.g. _http._tcp:80:path=/ (up to 4)
 * Lines: "mdns: probing NAME.local", "mdns: conflict, renamed to NAME.local", "mdns: ready NAME.local",
 * "mdns: answered ...", "mdns: malformed ...". The address is --ip's, or the DHCP lease's. */
#include "apps.h"
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "asnet.h"
#include "board.h"
#include "sntp.h"
#ifdef ASNET_APPS_MDNS
#include "mdns.h"
#endif

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

#ifdef ASNET_APPS_MDNS
static struct {
    const char *name;
    struct mdns_service svc[MDNS_MAX_SERVICES];
    char spec[MDNS_MAX_SERVICES][128];
    unsigned nsvc;
    uint32_t ip;                     /* --ip (peeked, main.c parses it too) */
    int started;
    uint32_t next_dhcp_ms;
} md;

/* TYPE:PORT[:TXT,TXT...] into md.svc[md.nsvc], split in place in md.spec. */
static int parse_service(const char *v)
{
    if (md.nsvc >= MDNS_MAX_SERVICES || strlen(v) >= sizeof md.spec[0]) return -1;
    char *s = md.spec[md.nsvc];
    strcpy(s, v);
    struct mdns_service *svc = &md.svc[md.nsvc];
    char *port = strchr(s, ':');
    if (!port) return -1;
    *port++ = 0;
    char *txt = strchr(port, ':');
    if (txt) *txt++ = 0;
    uint32_t p;
    if (parse_u32(port, &p) < 0 || p == 0 || p > 65535) return -1;
    svc->type = s;
    svc->port = (uint16_t)p;
    for (unsigned i = 0; txt && *txt && i < MDNS_MAX_TXT; i++) {
        svc->txt[i] = txt;
        txt = strchr(txt, ',');
        if (txt) *txt++ = 0;
    }
    md.nsvc++;
    return 1;
}

static void on_mdns(const struct mdns_event *ev)
{
    switch (ev->kind) {
    case MDNS_EV_PROBING: printf("mdns: probing %s.local\n", ev->name); break;
    case MDNS_EV_CONFLICT: printf("mdns: conflict, renamed to %s.local\n", ev->name); break;
    case MDNS_EV_READY: printf("mdns: ready %s.local\n", ev->name); break;
    case MDNS_EV_ANSWERED:
        printf("mdns: answered %s:%u with %d records (%s)\n", ip_str(ev->from_ip), ev->from_port, ev->value,
               ev->unicast ? "unicast" : "multicast");
        break;
    case MDNS_EV_MALFORMED: printf("mdns: malformed message from %s:%u (%d)\n", ip_str(ev->from_ip), ev->from_port, ev->value); break;
    }
}

static void mdns_begin(uint32_t ip)
{
    struct mdns_config cfg = { md.name, ip, md.svc, md.nsvc };
    int32_t r = mdns_start(&cfg, on_mdns);
    if (r < 0) { printf("mdns: start failed: %s\n", asnet_strerror(r)); md.name = NULL; return; }
    md.started = 1;
}

static void mdns_tick(uint32_t now)
{
    if (!md.name) return;
    if (md.started) { (void)mdns_poll(); }
    if ((int32_t)(now - md.next_dhcp_ms) < 0 || sn.dhcp < 0) return;
    md.next_dhcp_ms = now + 1000;                              /* the lease's address, once a second */
    uint32_t info[10];
    if (asnet_dhcp_info(sn.dhcp, info) < 0 || info[1] == 0) return;
    if (!md.started) mdns_begin(info[1]);
    else mdns_set_ip(info[1]);
}
#endif

int apps_arg(const char *opt, const char *val)
{
    if (!strcmp(opt, "--sntp-clock")) { sn.print_clock = 1; return 2; }     /* takes no value */
    if (!val) return 0;
#ifdef ASNET_APPS_MDNS
    if (!strcmp(opt, "--mdns")) { md.name = val; return 1; }
    if (!strcmp(opt, "--mdns-service")) return parse_service(val);
    if (!strcmp(opt, "--ip")) {                                 /* peeked, not consumed */
        struct in_addr a;
        if (inet_pton(AF_INET, val, &a) == 1) md.ip = ntohl(a.s_addr);
        return 0;
    }
#endif
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
#ifdef ASNET_APPS_MDNS
    if (md.name && dhcp_handle < 0) mdns_begin(md.ip);        /* static address; with DHCP: mdns_tick */
#endif
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
#ifdef ASNET_APPS_MDNS
    mdns_tick(now);
#endif
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
#ifdef ASNET_APPS_MDNS
    if (md.started) mdns_restart();
#endif
}

void apps_stop(void)
{
    if (sn.started) sntp_stop();
#ifdef ASNET_APPS_MDNS
    if (md.started) mdns_stop();
#endif
}
