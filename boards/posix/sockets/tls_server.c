/* A TLS 1.2 server on mbedTLS (issue 24): mbedTLS' own mbedtls_net_bind / mbedtls_net_accept over
 * the sockets layer; answers SESSIONS HTTP/1.0 requests (curl --cacert) with BYTES of tls_body_byte(),
 * then a close_notify, and prints what it sent and its SHA-256.
 *   tls-server PORT CERT KEY BYTES SESSIONS */
#include <stdlib.h>
#include <string.h>
#include "mbedtls/net_sockets.h"
#include "mbedtls/pk.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "sock_apps.h"
#include "tls_common.h"

static int write_all(mbedtls_ssl_context *ssl, const uint8_t *p, size_t n)
{
    while (n > 0) {
        int r = mbedtls_ssl_write(ssl, p, n);
        if (r > 0) { p += r; n -= (size_t)r; continue; }
        if (r != MBEDTLS_ERR_SSL_WANT_WRITE && r != MBEDTLS_ERR_SSL_WANT_READ) return r;
    }
    return 0;
}

/* Reads the request head (to CR LF CR LF); 0 or an mbedTLS error. */
static int read_request(mbedtls_ssl_context *ssl)
{
    uint8_t buf[512];
    size_t matched = 0;
    for (;;) {
        int r = mbedtls_ssl_read(ssl, buf, sizeof buf);
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
        if (r <= 0) return r ? r : -1;
        for (int i = 0; i < r; i++) {
            uint8_t want = (matched & 1) ? '\n' : '\r';
            matched = buf[i] == want ? matched + 1 : (buf[i] == '\r' ? 1 : 0);
            if (matched == 4) return 0;
        }
    }
}

static int serve_one(mbedtls_ssl_context *ssl, size_t bytes, char hex[65])
{
    int r;
    while ((r = mbedtls_ssl_handshake(ssl)) != 0)
        if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) return r;
    if ((r = read_request(ssl)) != 0) return r;
    char head[160];
    int n = snprintf(head, sizeof head, "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n", bytes);
    if ((r = write_all(ssl, (const uint8_t *)head, (size_t)n)) != 0) return r;
    mbedtls_sha256_context sha;
    mbedtls_sha256_init(&sha);
    mbedtls_sha256_starts_ret(&sha, 0);
    uint8_t chunk[4096];
    for (size_t off = 0; off < bytes;) {
        size_t k = bytes - off < sizeof chunk ? bytes - off : sizeof chunk;
        for (size_t i = 0; i < k; i++) chunk[i] = tls_body_byte(off + i);
        mbedtls_sha256_update_ret(&sha, chunk, k);
        if ((r = write_all(ssl, chunk, k)) != 0) return r;
        off += k;
    }
    uint8_t d[32];
    mbedtls_sha256_finish_ret(&sha, d);
    tls_hex(d, hex);
    while ((r = mbedtls_ssl_close_notify(ssl)) == MBEDTLS_ERR_SSL_WANT_WRITE) {}
    return 0;
}

int app_tls_server(int argc, char **argv)
{
    if (argc < 6) { fprintf(stderr, "tls-server PORT CERT KEY BYTES SESSIONS\n"); return 64; }
    size_t bytes = (size_t)atol(argv[4]);
    int sessions = atoi(argv[5]), done = 0, r, code = 1;
    mbedtls_net_context lis, cli; mbedtls_ssl_config conf; mbedtls_x509_crt crt; mbedtls_pk_context key;
    mbedtls_entropy_context ent; mbedtls_ctr_drbg_context drbg;
    mbedtls_net_init(&lis); mbedtls_net_init(&cli); mbedtls_ssl_config_init(&conf); mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&key); mbedtls_entropy_init(&ent); mbedtls_ctr_drbg_init(&drbg);
    if ((r = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, (const uint8_t *)"asnet-srv", 9)) != 0) { tls_err("drbg", r); goto out; }
    if ((r = mbedtls_x509_crt_parse_file(&crt, argv[2])) != 0) { tls_err("cert", r); goto out; }
    if ((r = mbedtls_pk_parse_keyfile(&key, argv[3], NULL)) != 0) { tls_err("key", r); goto out; }
    mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_read_timeout(&conf, 20000);
    if ((r = mbedtls_ssl_conf_own_cert(&conf, &crt, &key)) != 0) { tls_err("own cert", r); goto out; }
    if ((r = mbedtls_net_bind(&lis, NULL, argv[1], MBEDTLS_NET_PROTO_TCP)) != 0) { tls_err("bind", r); goto out; }
    printf("tls-server: listening on %s\n", argv[1]);
    char hex[65] = "";
    while (done < sessions) {
        mbedtls_ssl_context ssl;
        mbedtls_ssl_init(&ssl);
        if ((r = mbedtls_net_accept(&lis, &cli, NULL, 0, NULL)) != 0) { tls_err("accept", r); mbedtls_ssl_free(&ssl); goto out; }
        mbedtls_ssl_setup(&ssl, &conf);
        mbedtls_ssl_set_bio(&ssl, &cli, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout);
        r = serve_one(&ssl, bytes, hex);
        mbedtls_net_free(&cli);
        mbedtls_ssl_free(&ssl);
        if (r != 0) { tls_err("session", r); goto out; }
        printf("tls-server: session %d sent %zu bytes sha256 %s\n", ++done, bytes, hex);
    }
    printf("{\"ok\":true,\"sessions\":%d,\"body_bytes\":%zu,\"sha256\":\"%s\"}\n", done, bytes, hex);
    code = 0;
out:
    mbedtls_net_free(&lis); mbedtls_ssl_config_free(&conf); mbedtls_x509_crt_free(&crt); mbedtls_pk_free(&key);
    mbedtls_ctr_drbg_free(&drbg); mbedtls_entropy_free(&ent);
    return code;
}
