/* Addresses and names: sockaddr_in in either layout, inet_pton/ntop/addr (IPv4 dotted quads, RFC
 * 791 text form as inet_pton(3) accepts it: exactly four decimal parts 0..255), and getaddrinfo
 * through the stack's DNS resolver (asnet_dns_query, RFC 1035) into a fixed pool of results. */
#include <errno.h>
#include <string.h>
#include "asnet.h"
#include "sock_internal.h"

static uint16_t be16(uint16_t v) { return (uint16_t)((v >> 8) | (v << 8)); }
static uint32_t be32(uint32_t v) { return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24); }
/* Host order <-> network order (the same swap both ways; no-op on a big-endian target). */
static uint16_t net16(uint16_t v) { const uint16_t one = 1; return *(const uint8_t *)&one ? be16(v) : v; }
static uint32_t net32(uint32_t v) { const uint16_t one = 1; return *(const uint8_t *)&one ? be32(v) : v; }

/* 0, EINVAL (too short) or EAFNOSUPPORT; ip and port in host order. */
int sock_parse_addr(const void *addr, asnet_socklen_t len, uint32_t *ip, uint16_t *port)
{
    if (addr == NULL) return EFAULT;
    if (len < 16u) return EINVAL;
    const uint8_t *b = addr;
    uint16_t fam16;
    memcpy(&fam16, b, 2);
    int linux_layout = fam16 == ASNET_AF_INET;                 /* family in the first two bytes */
    int bsd_layout = b[1] == ASNET_AF_INET && b[0] >= 16u;     /* sin_len, then an 8-bit family */
    if (!linux_layout && !bsd_layout) return EAFNOSUPPORT;
    uint16_t p; uint32_t a;
    memcpy(&p, b + 2, 2);
    memcpy(&a, b + 4, 4);
    *port = net16(p);
    *ip = net32(a);
    return 0;
}

void sock_write_addr(void *addr, asnet_socklen_t *len, uint32_t ip, uint16_t port)
{
    if (addr == NULL || len == NULL) return;
    struct asnet_sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
#if defined(ESP_PLATFORM) || defined(ASNET_SOCKADDR_BSD)
    sin.sin_len = sizeof sin;
#endif
    sin.sin_family = ASNET_AF_INET;
    sin.sin_port = net16(port);
    sin.sin_addr.s_addr = net32(ip);
    asnet_socklen_t n = *len < sizeof sin ? *len : (asnet_socklen_t)sizeof sin;
    memcpy(addr, &sin, n);
    *len = sizeof sin;
}

/* ---- text forms ---- */

static int parse_quad(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int part = 0; part < 4; part++) {
        uint32_t n = 0, digits = 0;
        while (*s >= '0' && *s <= '9') {
            if (digits > 0 && n == 0) return 0;                /* no leading zeros, as glibc */
            n = n * 10u + (uint32_t)(*s++ - '0');
            if (++digits > 3 || n > 255u) return 0;
        }
        if (digits == 0) return 0;
        v = v << 8 | n;
        if (part < 3 && *s++ != '.') return 0;
    }
    if (*s != 0) return 0;
    *out = v;
    return 1;
}

int asnet_inet_pton(int af, const char *src, void *dst)
{
    if (af != ASNET_AF_INET) { errno = EAFNOSUPPORT; return -1; }
    uint32_t v;
    if (!parse_quad(src, &v)) return 0;
    v = net32(v);
    memcpy(dst, &v, 4);
    return 1;
}

const char *asnet_inet_ntop(int af, const void *src, char *dst, asnet_socklen_t size)
{
    if (af != ASNET_AF_INET) { errno = EAFNOSUPPORT; return NULL; }
    const uint8_t *b = src;
    char tmp[ASNET_INET_ADDRSTRLEN];
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t v = b[i];
        if (v >= 100) tmp[n++] = (char)('0' + v / 100);
        if (v >= 10) tmp[n++] = (char)('0' + v / 10 % 10);
        tmp[n++] = (char)('0' + v % 10);
        tmp[n++] = i < 3 ? '.' : 0;
    }
    if (size < n) { errno = ENOSPC; return NULL; }
    memcpy(dst, tmp, n);
    return dst;
}

asnet_in_addr_t asnet_inet_addr(const char *cp)
{
    asnet_in_addr_t a;
    return asnet_inet_pton(ASNET_AF_INET, cp, &a) == 1 ? a : ASNET_INADDR_NONE;
}

/* ---- getaddrinfo: one IPv4 result per call, from a fixed pool ---- */

struct ai_entry { struct asnet_addrinfo ai; struct asnet_sockaddr_in sin; uint8_t used; };
static struct ai_entry ai_pool[ASNET_SOCK_ADDRINFO_MAX];

static const struct { const char *name; uint16_t port; } services[] = {
    { "http", 80 }, { "https", 443 }, { "mqtt", 1883 }, { "secure-mqtt", 8883 }, { "domain", 53 }, { "ntp", 123 },
};

/* The service's port: 0 ok, else an EAI_ code. */
static int parse_service(const char *sv, int flags, uint16_t *port)
{
    *port = 0;
    if (sv == NULL) return 0;
    uint32_t n = 0;
    const char *p = sv;
    while (*p >= '0' && *p <= '9' && n <= 65535u) n = n * 10u + (uint32_t)(*p++ - '0');
    if (*p == 0 && p != sv) { if (n > 65535u) return ASNET_EAI_SERVICE; *port = (uint16_t)n; return 0; }
    if (flags & ASNET_AI_NUMERICSERV) return ASNET_EAI_NONAME;
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (!strcmp(sv, services[i].name)) { *port = services[i].port; return 0; }
    return ASNET_EAI_SERVICE;
}

static int gai_result(struct sock_msg *m, uint32_t ip)
{
    struct ai_entry *e = NULL;
    for (int i = 0; i < ASNET_SOCK_ADDRINFO_MAX && !e; i++) if (!ai_pool[i].used) e = &ai_pool[i];
    if (e == NULL) { m->ret = ASNET_EAI_MEMORY; return 1; }
    memset(e, 0, sizeof *e);
    e->used = 1;
    asnet_socklen_t len = sizeof e->sin;
    sock_write_addr(&e->sin, &len, ip, m->gai_port);
    const struct asnet_addrinfo *h = m->hints;
    e->ai.ai_family = ASNET_AF_INET;
    e->ai.ai_socktype = h && h->ai_socktype ? h->ai_socktype : ASNET_SOCK_STREAM;
    e->ai.ai_protocol = e->ai.ai_socktype == ASNET_SOCK_DGRAM ? ASNET_IPPROTO_UDP : ASNET_IPPROTO_TCP;
    e->ai.ai_addrlen = sizeof e->sin;
    e->ai.ai_addr = (struct asnet_sockaddr *)&e->sin;
    *m->res = &e->ai;
    m->ret = 0;
    return 1;
}

static int dns_error(int32_t r)
{
    switch (r) {
    case STACK_ENOENT: case STACK_ENODATA: case STACK_EINVAL: return ASNET_EAI_NONAME;
    case STACK_ETIMEDOUT: case STACK_ENOBUFS: return ASNET_EAI_AGAIN;
    default: return ASNET_EAI_FAIL;
    }
}

static void dns_event(int32_t h, uint32_t events, void *ctx) { (void)h; (void)events; (void)ctx; sock_kick(); }

int sock_op_gai(struct sock_msg *m)
{
    const struct asnet_addrinfo *h = m->hints;
    if (m->stage == 0) {
        m->stage = 1;
        int flags = h ? h->ai_flags : 0;
        if (m->node == NULL && m->service == NULL) { m->ret = ASNET_EAI_NONAME; return 1; }
        if (h && h->ai_family != ASNET_AF_UNSPEC && h->ai_family != ASNET_AF_INET) { m->ret = ASNET_EAI_FAMILY; return 1; }
        if (h && h->ai_socktype && h->ai_socktype != ASNET_SOCK_STREAM && h->ai_socktype != ASNET_SOCK_DGRAM) { m->ret = ASNET_EAI_SOCKTYPE; return 1; }
        int e = parse_service(m->service, flags, &m->gai_port);
        if (e) { m->ret = e; return 1; }
        uint32_t ip;
        if (m->node == NULL) return gai_result(m, (flags & ASNET_AI_PASSIVE) ? ASNET_INADDR_ANY : ASNET_INADDR_LOOPBACK);
        if (parse_quad(m->node, &ip)) return gai_result(m, ip);
        if (flags & ASNET_AI_NUMERICHOST) { m->ret = ASNET_EAI_NONAME; return 1; }
        m->dns_h = asnet_dns_query(m->node, dns_event, NULL);
        if (m->dns_h < 0) { m->ret = dns_error(m->dns_h); return 1; }
        return 0;                                             /* the resolver answers in <= 7 s */
    }
    uint32_t ip = 0, ttl = 0;
    int32_t r = asnet_dns_result(m->dns_h, &ip, &ttl);
    if (r == STACK_EAGAIN) return 0;
    if (r < 0) { m->ret = dns_error(r); return 1; }
    return gai_result(m, ip);
}

int sock_op_freeai(struct sock_msg *m)
{
    for (struct asnet_addrinfo *ai = m->buf; ai != NULL; ai = ai->ai_next) {
        for (int i = 0; i < ASNET_SOCK_ADDRINFO_MAX; i++) if (&ai_pool[i].ai == ai) ai_pool[i].used = 0;
    }
    m->ret = 0;
    return 1;
}

const char *asnet_gai_strerror(int err)
{
    switch (err) {
    case 0: return "Success";
    case ASNET_EAI_NONAME: return "Name or service not known";
    case ASNET_EAI_AGAIN: return "Temporary failure in name resolution";
    case ASNET_EAI_FAIL: return "Non-recoverable failure in name resolution";
    case ASNET_EAI_FAMILY: return "ai_family not supported";
    case ASNET_EAI_SOCKTYPE: return "ai_socktype not supported";
    case ASNET_EAI_SERVICE: return "Servname not supported for ai_socktype";
    case ASNET_EAI_MEMORY: return "Memory allocation failure";
    default: return "Unknown error";
    }
}
