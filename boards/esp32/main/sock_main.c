/* The sockets firmware (menuconfig "BSD sockets application", CONFIG_ASNET_APP_SOCKETS): instead
 * of app_main.c's event loop, the stack runs in a task of its own, asnet_sock_stack_run()
 * (boards/common/sockets, lwIP's tcpip_thread model), and applications call BSD sockets from other
 * tasks (https_fetch.c). The board side of boards/common: board.h (esp_timer, esp_random, ESP_LOG),
 * mac.h over link_shim.h (frames arrive in the frame_queue from the driver's task), and the
 * sockets layer's port: the stack task sleeps on its task notification, which the driver's RX path
 * (link_shim: xTaskNotifyGive on every frame) and every posted message (wake) give. */
#include "sdkconfig.h"
#if CONFIG_ASNET_APP_SOCKETS
#include <stdlib.h>
#include <string.h>
#include "esp_event.h"
#include "esp_log.h"
#include "esp_random.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "asnet.h"
#include "board.h"
#include "frame_queue.h"
#include "ip_config.h"
#include "link_shim.h"
#include "mac.h"
#include "services.h"
#include "osal/osal.h"
#include "sockets/asnet_sockets.h"

static const char *TAG = "asnet-sock";
extern const uint8_t module_start[] asm("_binary_stack_module_bin_start");
extern const uint8_t module_end[] asm("_binary_stack_module_bin_end");
void https_fetch_task(void *arg);                      /* https_fetch.c */

static struct frame_queue rx_frames;
static TaskHandle_t stack_task;
static osal_thread_t app_thread;
static StackType_t app_stack[CONFIG_ASNET_SOCK_APP_STACK / sizeof(StackType_t)];

/* services.c (the event application's, compiled in every build) calls app_dhcp_event from
 * services_poll, which nothing calls in this build: DHCP events reach asnet.c's routes instead. */
void app_dhcp_event(int32_t h, uint32_t events) { (void)h; (void)events; }

/* ---- board.h ---- */
uint32_t board_now_ms(void) { return (uint32_t)(esp_timer_get_time() / 1000); }
uint32_t board_random(void) { return esp_random(); }
void board_log(const char *line) { ESP_LOGI(TAG, "%s", line); }
void board_fatal(const char *why) { ESP_LOGE(TAG, "fatal: %s", why); abort(); }

/* ---- mac.h over the link shim ---- */
int mac_init(const uint8_t mac[6]) { (void)mac; return 0; }
int mac_link_up(void) { return link_shim_link_up(); }
int mac_transmit(const uint8_t *frame, uint32_t len) { link_shim_output(frame, len); return 0; }
int mac_receive(uint8_t *buf, uint32_t cap)
{
    uint32_t len;
    const uint8_t *f = frame_queue_peek(&rx_frames, &len);
    if (f == NULL) return 0;
    int r = len >= 14 && len <= cap ? (int)len : -1;
    if (r > 0) memcpy(buf, f, len);
    frame_queue_pop(&rx_frames);
    return r;
}

/* ---- the sockets layer's port ---- */
static void port_wait(int32_t ms) { (void)ulTaskNotifyTake(pdTRUE, pdMS_TO_TICKS(ms < 1 ? 1 : ms)); }
static void port_wake(void) { xTaskNotifyGive(stack_task); }

static void stack_task_main(void *arg)
{
    (void)arg;
    uint8_t mac[6];
#ifdef CONFIG_ASNET_DHCP
    const int dhcp = 1;
#else
    const int dhcp = 0;
#endif
    struct asnet_config cfg = { .dhcp = dhcp, .wasm = module_start,
                                .wasm_len = (uint32_t)(module_end - module_start) };
    frame_queue_init(&rx_frames);
    ESP_ERROR_CHECK(link_shim_start(&rx_frames, xTaskGetCurrentTaskHandle()));
    link_shim_mac(mac);
    memcpy(cfg.mac, mac, 6);
    if (!cfg.dhcp && (ip_config_parse(CONFIG_ASNET_IP_ADDR, &cfg.ip) || ip_config_parse(CONFIG_ASNET_NETMASK, &cfg.netmask) ||
                      ip_config_parse(CONFIG_ASNET_GATEWAY, &cfg.gateway))) {
        ESP_LOGE(TAG, "bad static IP settings in menuconfig");
        vTaskDelete(NULL);
    }
    static const struct asnet_sock_port port = { .wait = port_wait, .wake = port_wake };
    uint32_t dns = 0;
    if (asnet_init(&cfg) < 0 || asnet_sock_init(&port) < 0 || ip_config_parse(CONFIG_ASNET_DNS_SERVER, &dns) != 0) {
        ESP_LOGE(TAG, "stack set-up failed");
        vTaskDelete(NULL);
    }
    asnet_dns_set_server(dns);                           /* DHCP option 6 replaces it */
    if (osal_thread_start(&app_thread, "https", https_fetch_task, NULL, app_stack, sizeof app_stack, 4) < 0)
        ESP_LOGE(TAG, "application task failed");
    asnet_sock_stack_run();                              /* the stack task from here on */
    vTaskDelete(NULL);
}

void app_main(void)
{
    ESP_ERROR_CHECK(esp_event_loop_create_default());
    stack_task = NULL;
    xTaskCreate(stack_task_main, "asnet", 8192, NULL, 5, &stack_task);
}
#endif
