/* What the TLS client and server share: the random generator and the body both sides hash. */
#ifndef TLS_COMMON_H
#define TLS_COMMON_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/error.h"
#include "mbedtls/sha256.h"

/* The server's body, byte i (test/sockets-tls.test.ts computes the same). */
static inline uint8_t tls_body_byte(size_t i) { return (uint8_t)(i * 7u + (i >> 10)); }

static inline void tls_hex(const uint8_t d[32], char out[65])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) { out[2 * i] = hx[d[i] >> 4]; out[2 * i + 1] = hx[d[i] & 15]; }
    out[64] = 0;
}

static inline void tls_err(const char *what, int r)
{
    char b[120];
    mbedtls_strerror(r, b, sizeof b);
    printf("{\"ok\":false,\"error\":\"%s: -0x%04x %s\"}\n", what, (unsigned)-r, b);
}
#endif
