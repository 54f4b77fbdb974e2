/* The HTTPS example of the sockets firmware (CONFIG_ASNET_APP_SOCKETS): mbedTLS over BSD sockets
 * of boards/common/sockets, written with the standard names (asnet_compat.h maps them; ESP-IDF's
 * lwIP is never used). getaddrinfo resolves CONFIG_ASNET_HTTPS_HOST through the stack's DNS, the
 * server certificate is verified against ESP-IDF's certificate bundle (esp_crt_bundle_attach) and
 * the host name, then GET CONFIG_ASNET_HTTPS_PATH is logged: status line and body length. The TLS
 * record I/O goes through mbedtls_ssl_set_bio callbacks on send()/recv() here, because ESP-IDF's
 * mbedTLS port builds its own net_sockets.c against lwIP (esp-tls, README "BSD sockets and TLS"). */
#include "sdkconfig.h"
#if CONFIG_ASNET_APP_SOCKETS
#include <stdio.h>
#include <string.h>
#include "esp_crt_bundle.h"
#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "mbedtls/version.h"
#include "mbedtls/net_sockets.h"                       /* MBEDTLS_ERR_NET_* codes only */
#include "mbedtls/ssl.h"
#if MBEDTLS_VERSION_MAJOR >= 4                           /* ESP-IDF 6: mbedTLS 4, randomness through PSA */
#include "psa/crypto.h"
#else
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#endif
#define ASNET_COMPAT_SOCKETS 1                           /* last: only this file's own calls are renamed */
#include "sockets/asnet_compat.h"

static const char *TAG = "https";

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    ssize_t n = send(*(int *)ctx, buf, len, 0);
    if (n >= 0) return (int)n;
    return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    ssize_t n = recv(*(int *)ctx, buf, len, 0);
    if (n >= 0) return (int)n;
    return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
}

static int connect_host(const char *host, const char *port)
{
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res = NULL;
    int r = getaddrinfo(host, port, &hints, &res);
    if (r != 0) { ESP_LOGE(TAG, "getaddrinfo %s: %s", host, gai_strerror(r)); return -1; }
    int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
        ESP_LOGE(TAG, "connect %s: errno %d", host, errno);
        asnet_close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        struct timeval tv = { .tv_sec = 15 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    return fd;
}

static void fetch(void)
{
    mbedtls_ssl_context ssl; mbedtls_ssl_config conf;
    mbedtls_ssl_init(&ssl); mbedtls_ssl_config_init(&conf);
    int fd = -1, r;
#if MBEDTLS_VERSION_MAJOR >= 4
    if ((r = (int)psa_crypto_init()) != 0) goto out;
#else
    mbedtls_entropy_context ent; mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_init(&ent); mbedtls_ctr_drbg_init(&drbg);
    if ((r = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, (const unsigned char *)"asnet", 5)) != 0) goto out;
#endif
    if ((r = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) != 0) goto out;
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
#if MBEDTLS_VERSION_MAJOR < 4
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
#endif
    if ((r = esp_crt_bundle_attach(&conf)) != 0) goto out;
    if ((r = mbedtls_ssl_setup(&ssl, &conf)) != 0 || (r = mbedtls_ssl_set_hostname(&ssl, CONFIG_ASNET_HTTPS_HOST)) != 0) goto out;
    if ((fd = connect_host(CONFIG_ASNET_HTTPS_HOST, "443")) < 0) goto out;
    mbedtls_ssl_set_bio(&ssl, &fd, bio_send, bio_recv, NULL);
    while ((r = mbedtls_ssl_handshake(&ssl)) != 0)
        if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) goto out;
    char req[192];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", CONFIG_ASNET_HTTPS_PATH, CONFIG_ASNET_HTTPS_HOST);
    for (int off = 0; off < n; off += r > 0 ? r : 0)
        if ((r = mbedtls_ssl_write(&ssl, (const unsigned char *)req + off, (size_t)(n - off))) < 0 && r != MBEDTLS_ERR_SSL_WANT_WRITE) goto out;
    unsigned char buf[512];
    size_t total = 0;
    int first = 1;
    while ((r = mbedtls_ssl_read(&ssl, buf, sizeof buf)) > 0 || r == MBEDTLS_ERR_SSL_WANT_READ) {
        if (r <= 0) continue;
        if (first) {
            first = 0;
            const unsigned char *eol = memchr(buf, '\r', (size_t)r);
            ESP_LOGI(TAG, "%s: %.*s", CONFIG_ASNET_HTTPS_HOST, (int)(eol ? eol - buf : r), buf);
        }
        total += (size_t)r;
    }
    ESP_LOGI(TAG, "%s%s: %u bytes (head and body), %s, %s", CONFIG_ASNET_HTTPS_HOST, CONFIG_ASNET_HTTPS_PATH, (unsigned)total,
             mbedtls_ssl_get_version(&ssl), mbedtls_ssl_get_ciphersuite(&ssl));
    r = 0;
out:
    if (r != 0) ESP_LOGE(TAG, "TLS: -0x%04x", (unsigned)-r);
    if (fd >= 0) { mbedtls_ssl_close_notify(&ssl); asnet_close(fd); }
    mbedtls_ssl_free(&ssl); mbedtls_ssl_config_free(&conf);
#if MBEDTLS_VERSION_MAJOR < 4
    mbedtls_ctr_drbg_free(&drbg); mbedtls_entropy_free(&ent);
#endif
}

void https_fetch_task(void *arg);
void https_fetch_task(void *arg)
{
    (void)arg;
    vTaskDelay(pdMS_TO_TICKS(5000));                     /* link and address (DHCP) first */
    fetch();
    vTaskDelete(NULL);
}
#endif
