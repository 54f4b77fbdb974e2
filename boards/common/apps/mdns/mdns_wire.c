/* DNS message reader and writer for mDNS (see mdns_wire.h). */
#include "mdns_wire.h"
#include <string.h>

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

int mdns_read_header(struct mdns_reader *r, const uint8_t *msg, size_t len, struct mdns_header *h)
{
    r->msg = msg;
    r->len = len;
    r->off = 12;
    if (len < 12) return MDNS_E_SHORT;
    h->id = rd16(msg); h->flags = rd16(msg + 2);
    h->qd = rd16(msg + 4); h->an = rd16(msg + 6); h->ns = rd16(msg + 8); h->ar = rd16(msg + 10);
    return MDNS_OK;
}

/* RFC 1035 §4.1.4: a label is 0..63 bytes (top bits 00) or a pointer (top bits 11); 01 and 10 are
 * reserved (RFC 6891 retired the extended labels), so they are errors here. */
int mdns_read_name_at(const uint8_t *msg, size_t len, size_t off, uint8_t out[MDNS_NAME_MAX], size_t *end)
{
    size_t n = 0, limit = off;                 /* a pointer must point below limit: strictly backwards */
    int jumped = 0;
    for (;;) {
        if (off >= len) return MDNS_E_SHORT;
        uint8_t l = msg[off];
        if ((l & 0xc0) == 0xc0) {
            if (off + 1 >= len) return MDNS_E_SHORT;
            size_t to = (size_t)(l & 0x3f) << 8 | msg[off + 1];
            if (!jumped) *end = off + 2;
            jumped = 1;
            if (to >= limit) return MDNS_E_NAME;
            limit = to;
            off = to;
            continue;
        }
        if (l & 0xc0) return MDNS_E_NAME;
        if (off + 1 + l > len) return MDNS_E_SHORT;
        if (n + 1 + l + (l ? 1u : 0u) > 255u) return MDNS_E_NAME;         /* RFC 1035 §2.3.4: 255 bytes */
        memcpy(out + n, msg + off, 1u + l);
        n += 1u + l;
        if (l == 0) { if (!jumped) *end = off + 1; return (int)n; }
        off += 1u + l;
    }
}

int mdns_read_name(struct mdns_reader *r, uint8_t out[MDNS_NAME_MAX])
{
    size_t end = r->off;
    int n = mdns_read_name_at(r->msg, r->len, r->off, out, &end);
    if (n < 0) return n;
    r->off = end;
    return n;
}

int mdns_read_question(struct mdns_reader *r, struct mdns_question *q)
{
    int n = mdns_read_name(r, q->name);
    if (n < 0) return n;
    if (r->off + 4 > r->len) return MDNS_E_SHORT;
    q->type = rd16(r->msg + r->off);
    q->cls = rd16(r->msg + r->off + 2);
    r->off += 4;
    return MDNS_OK;
}

int mdns_read_rr(struct mdns_reader *r, struct mdns_rr *rr)
{
    int n = mdns_read_name(r, rr->name);
    if (n < 0) return n;
    if (r->off + 10 > r->len) return MDNS_E_SHORT;
    const uint8_t *p = r->msg + r->off;
    rr->type = rd16(p); rr->cls = rd16(p + 2); rr->ttl = rd32(p + 4); rr->rdlen = rd16(p + 8);
    rr->rdata_off = r->off + 10;
    if (rr->rdata_off + rr->rdlen > r->len) return MDNS_E_SHORT;
    r->off = rr->rdata_off + rr->rdlen;
    return MDNS_OK;
}

size_t mdns_name_len(const uint8_t *name)
{
    size_t n = 0;
    while (name[n]) n += 1u + name[n];
    return n + 1;
}

int mdns_name_eq(const uint8_t *a, const uint8_t *b)
{
    for (;;) {
        if (*a != *b) return 0;
        size_t l = *a;
        if (l == 0) return 1;
        for (size_t i = 1; i <= l; i++) if (lower(a[i]) != lower(b[i])) return 0;
        a += 1 + l;
        b += 1 + l;
    }
}

int mdns_name_from_text(uint8_t out[MDNS_NAME_MAX], const char *text)
{
    size_t n = 0;
    while (*text) {
        const char *dot = strchr(text, '.');
        size_t l = dot ? (size_t)(dot - text) : strlen(text);
        if (l == 0 || l > 63 || n + 1 + l + 1 > MDNS_NAME_MAX - 1) return MDNS_E_NAME;
        out[n] = (uint8_t)l;
        memcpy(out + n + 1, text, l);
        n += 1 + l;
        text += l + (dot ? 1 : 0);
    }
    out[n++] = 0;
    return (int)n;
}

int mdns_name_join(uint8_t out[MDNS_NAME_MAX], const char *label, size_t l, const uint8_t *suffix)
{
    size_t sl = mdns_name_len(suffix);
    if (l == 0 || l > 63 || 1 + l + sl > MDNS_NAME_MAX - 1) return MDNS_E_NAME;
    uint8_t tmp[MDNS_NAME_MAX];
    tmp[0] = (uint8_t)l;
    memcpy(tmp + 1, label, l);
    memcpy(tmp + 1 + l, suffix, sl);
    memcpy(out, tmp, 1 + l + sl);
    return (int)(1 + l + sl);
}

void mdns_writer_init(struct mdns_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf; w->cap = cap; w->len = 0; w->err = 0; w->nnames = 0;
}

void mdns_put_bytes(struct mdns_writer *w, const void *p, size_t n)
{
    if (w->err) return;
    if (w->len + n > w->cap) { w->err = MDNS_E_SPACE; return; }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void mdns_put16(struct mdns_writer *w, uint16_t v) { uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v }; mdns_put_bytes(w, b, 2); }
void mdns_put32(struct mdns_writer *w, uint32_t v) { mdns_put16(w, (uint16_t)(v >> 16)); mdns_put16(w, (uint16_t)v); }

void mdns_set16(struct mdns_writer *w, size_t off, uint16_t v)
{
    if (off + 2 > w->len) return;
    w->buf[off] = (uint8_t)(v >> 8);
    w->buf[off + 1] = (uint8_t)v;
}

void mdns_put_header(struct mdns_writer *w, const struct mdns_header *h)
{
    mdns_put16(w, h->id); mdns_put16(w, h->flags); mdns_put16(w, h->qd);
    mdns_put16(w, h->an); mdns_put16(w, h->ns); mdns_put16(w, h->ar);
}

/* True when the (possibly compressed) name at buffer offset `at` equals the wire name `s`. Only our
 * own output is walked, so the pointers are known good (and point backwards). */
static int suffix_at(const struct mdns_writer *w, size_t at, const uint8_t *s)
{
    for (unsigned hops = 0; hops < 128; hops++) {
        uint8_t l = w->buf[at];
        if ((l & 0xc0) == 0xc0) { at = (size_t)(l & 0x3f) << 8 | w->buf[at + 1]; continue; }
        if (l != *s) return 0;
        if (l == 0) return 1;
        for (size_t i = 1; i <= l; i++) if (lower(w->buf[at + i]) != lower(s[i])) return 0;
        at += 1u + l;
        s += 1u + l;
    }
    return 0;
}

void mdns_put_name(struct mdns_writer *w, const uint8_t *name)
{
    const uint8_t *s = name;
    while (*s) {
        for (unsigned i = 0; i < w->nnames; i++) {
            if (suffix_at(w, w->names[i], s)) { mdns_put16(w, (uint16_t)(0xc000u | w->names[i])); return; }
        }
        if (w->len < 0x3fff && w->nnames < MDNS_COMPRESS_MAX) w->names[w->nnames++] = (uint16_t)w->len;
        mdns_put_bytes(w, s, 1u + *s);
        s += 1u + *s;
    }
    mdns_put_bytes(w, s, 1);
}

size_t mdns_put_rr_head(struct mdns_writer *w, const uint8_t *name, uint16_t type, uint16_t cls, uint32_t ttl)
{
    mdns_put_name(w, name);
    mdns_put16(w, type);
    mdns_put16(w, cls);
    mdns_put32(w, ttl);
    size_t at = w->len;
    mdns_put16(w, 0);
    return at;
}

void mdns_end_rdata(struct mdns_writer *w, size_t rdlen_off)
{
    if (w->err) return;
    mdns_set16(w, rdlen_off, (uint16_t)(w->len - rdlen_off - 2));
}
