/* A TLS 1.2 client on mbedTLS (issue 24): the connection is mbedTLS' own mbedtls_net_connect /
 * mbedtls_net_send / mbedtls_net_recv_timeout (library/net_sockets.c compiled against asnet_compat.h,
 * see the Makefile), the certificate is verified against CA_FILE and the name HOST. Fetches PATH
 * with HTTP/1.0 and prints the status line, the body's length and SHA-256.
 *   tls-client HOST PORT PATH CA_FILE */
#include <stdlib.h>
#include <string.h>
#include "mbedtls/net_sockets.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "sock_apps.h"
#include "tls_common.h"

struct body { int in_head, status_done; size_t matched, len, status_len; char status[64]; mbedtls_sha256_context sha; };

/* Feeds the response: the head up to CR LF CR LF (its first line kept), the rest hashed. */
static void feed(struct body *b, const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i < n && b->in_head; i++) {
        if (p[i] == '\r' || p[i] == '\n') b->status_done = 1;
        else if (!b->status_done && b->status_len < sizeof b->status - 1) b->status[b->status_len++] = (char)p[i];
        uint8_t want = (b->matched & 1) ? '\n' : '\r';
        b->matched = p[i] == want ? b->matched + 1 : (p[i] == '\r' ? 1 : 0);
        if (b->matched == 4) b->in_head = 0;
    }
    if (i < n) { mbedtls_sha256_update_ret(&b->sha, p + i, n - i); b->len += n - i; }
}

int app_tls_client(int argc, char **argv)
{
    if (argc < 5) { fprintf(stderr, "tls-client HOST PORT PATH CA_FILE\n"); return 64; }
    mbedtls_net_context net; mbedtls_ssl_context ssl; mbedtls_ssl_config conf; mbedtls_x509_crt ca;
    mbedtls_entropy_context ent; mbedtls_ctr_drbg_context drbg;
    mbedtls_net_init(&net); mbedtls_ssl_init(&ssl); mbedtls_ssl_config_init(&conf); mbedtls_x509_crt_init(&ca);
    mbedtls_entropy_init(&ent); mbedtls_ctr_drbg_init(&drbg);
    int r, code = 1;
    if ((r = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, (const uint8_t *)"asnet", 5)) != 0) { tls_err("drbg", r); goto out; }
    if ((r = mbedtls_x509_crt_parse_file(&ca, argv[4])) != 0) { tls_err("ca", r); goto out; }
    if ((r = mbedtls_net_connect(&net, argv[1], argv[2], MBEDTLS_NET_PROTO_TCP)) != 0) { tls_err("connect", r); goto out; }
    mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);   /* TLS 1.2 */
    mbedtls_ssl_conf_max_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_read_timeout(&conf, 20000);
    if ((r = mbedtls_ssl_setup(&ssl, &conf)) != 0 || (r = mbedtls_ssl_set_hostname(&ssl, argv[1])) != 0) { tls_err("setup", r); goto out; }
    mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout);
    while ((r = mbedtls_ssl_handshake(&ssl)) != 0) {
        if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) { tls_err("handshake", r); goto out; }
    }
    uint32_t flags = mbedtls_ssl_get_verify_result(&ssl);
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", argv[3], argv[1]);
    for (int off = 0; off < n;) {
        r = mbedtls_ssl_write(&ssl, (const uint8_t *)req + off, (size_t)(n - off));
        if (r > 0) off += r;
        else if (r != MBEDTLS_ERR_SSL_WANT_WRITE && r != MBEDTLS_ERR_SSL_WANT_READ) { tls_err("write", r); goto out; }
    }
    struct body b = { .in_head = 1 };
    mbedtls_sha256_init(&b.sha);
    mbedtls_sha256_starts_ret(&b.sha, 0);
    uint8_t buf[4096];
    for (;;) {
        r = mbedtls_ssl_read(&ssl, buf, sizeof buf);
        if (r > 0) { feed(&b, buf, (size_t)r); continue; }
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
        if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) break;
        tls_err("read", r); goto out;
    }
    uint8_t d[32]; char hex[65];
    mbedtls_sha256_finish_ret(&b.sha, d);
    tls_hex(d, hex);
    printf("{\"ok\":true,\"status\":\"%s\",\"verify_flags\":%u,\"version\":\"%s\",\"suite\":\"%s\",\"body_bytes\":%zu,\"sha256\":\"%s\"}\n",
           b.status, flags, mbedtls_ssl_get_version(&ssl), mbedtls_ssl_get_ciphersuite(&ssl), b.len, hex);
    mbedtls_ssl_close_notify(&ssl);
    code = 0;
out:
    mbedtls_net_free(&net); mbedtls_ssl_free(&ssl); mbedtls_ssl_config_free(&conf); mbedtls_x509_crt_free(&ca);
    mbedtls_ctr_drbg_free(&drbg); mbedtls_entropy_free(&ent);
    return code;
}
