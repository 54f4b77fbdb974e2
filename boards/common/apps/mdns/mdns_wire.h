/* DNS messages as mDNS uses them (RFC 1035 §4, RFC 6762 §18): a reader that walks a received
 * message section by section, and a writer with name compression (RFC 1035 §4.1.4). Pure
 * functions over byte buffers; every length and pointer is checked against the message end, and a
 * compression pointer must point before the label that holds it, so no loop is possible.
 * Names are kept in wire form ("\5asnet\5local\0", at most 255 bytes) and compared ignoring ASCII
 * case (RFC 6762 §16). */
#ifndef MDNS_WIRE_H
#define MDNS_WIRE_H
#include <stddef.h>
#include <stdint.h>

#define MDNS_NAME_MAX 256u       /* wire form incl. the root label */
#define MDNS_TYPE_A 1u
#define MDNS_TYPE_PTR 12u
#define MDNS_TYPE_TXT 16u
#define MDNS_TYPE_AAAA 28u
#define MDNS_TYPE_SRV 33u
#define MDNS_TYPE_NSEC 47u
#define MDNS_TYPE_ANY 255u
#define MDNS_CLASS_IN 1u
#define MDNS_CLASS_TOP 0x8000u   /* QU in a question (§5.4), cache-flush in a record (§10.2) */

enum mdns_err {
    MDNS_OK = 0,
    MDNS_E_SHORT = -1,           /* a field runs past the end of the message */
    MDNS_E_NAME = -2,            /* a bad label type, a pointer not pointing backwards, a name over 255 bytes */
    MDNS_E_SPACE = -3,           /* writer: the buffer is full */
};

struct mdns_header { uint16_t id, flags, qd, an, ns, ar; };

struct mdns_reader {
    const uint8_t *msg;
    size_t len, off;
};

struct mdns_question { uint8_t name[MDNS_NAME_MAX]; uint16_t type, cls; };
struct mdns_rr {
    uint8_t name[MDNS_NAME_MAX];
    uint16_t type, cls;
    uint32_t ttl;
    size_t rdata_off;            /* offset of the rdata in the message */
    uint16_t rdlen;
};

int mdns_read_header(struct mdns_reader *r, const uint8_t *msg, size_t len, struct mdns_header *h);
/* Reads a possibly compressed name at r->off into out (wire form); advances past it. */
int mdns_read_name(struct mdns_reader *r, uint8_t out[MDNS_NAME_MAX]);
/* Reads the name at an absolute offset (inside rdata) without moving the reader. */
int mdns_read_name_at(const uint8_t *msg, size_t len, size_t off, uint8_t out[MDNS_NAME_MAX], size_t *end);
int mdns_read_question(struct mdns_reader *r, struct mdns_question *q);
int mdns_read_rr(struct mdns_reader *r, struct mdns_rr *rr);

size_t mdns_name_len(const uint8_t *name);              /* wire length incl. the root label */
int mdns_name_eq(const uint8_t *a, const uint8_t *b);   /* case-insensitive */
/* Builds a wire name from dotted text ("asnet.local"): its length, or MDNS_E_NAME. */
int mdns_name_from_text(uint8_t out[MDNS_NAME_MAX], const char *text);
/* Concatenates a single label and a wire name. */
int mdns_name_join(uint8_t out[MDNS_NAME_MAX], const char *label, size_t label_len, const uint8_t *suffix);

#define MDNS_COMPRESS_MAX 32u
struct mdns_writer {
    uint8_t *buf;
    size_t cap, len;
    int err;                                             /* sticky: the first failure */
    uint16_t names[MDNS_COMPRESS_MAX];                   /* offsets of labels written in full */
    unsigned nnames;
};
void mdns_writer_init(struct mdns_writer *w, uint8_t *buf, size_t cap);
void mdns_put_header(struct mdns_writer *w, const struct mdns_header *h);
void mdns_put16(struct mdns_writer *w, uint16_t v);
void mdns_put32(struct mdns_writer *w, uint32_t v);
void mdns_put_bytes(struct mdns_writer *w, const void *p, size_t n);
/* Writes a name, as a pointer to an earlier copy of its longest known suffix where possible. */
void mdns_put_name(struct mdns_writer *w, const uint8_t *name);
/* Record header; returns the offset of the rdlength field for mdns_end_rdata. */
size_t mdns_put_rr_head(struct mdns_writer *w, const uint8_t *name, uint16_t type, uint16_t cls, uint32_t ttl);
void mdns_end_rdata(struct mdns_writer *w, size_t rdlen_off);
/* Patches a 16-bit count at a header offset (6 = ancount, ...). */
void mdns_set16(struct mdns_writer *w, size_t off, uint16_t v);
#endif
