/* Firmware entry: one FreeRTOS task owns the wasm runtime and runs the main loop (frames in,
 * timers, services, console); the driver's RX task (esp_eth or Wi-Fi) only fills the frame queue
 * and wakes it. */
#include "sdkconfig.h"
#if !CONFIG_ASNET_APP_SOCKETS   /* the sockets application (sock_main.c) replaces this file */
#include <stdio.h>
#include <string.h>
#include "bootloader_random.h"
#include "esp_event.h"
#include "esp_heap_caps.h"
#include "esp_log.h"
#include "esp_random.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "sdkconfig.h"
#include "board_imports.h"
#include "console_view.h"
#include "frame_queue.h"
#include "ip_config.h"
#include "link_shim.h"
#include "services.h"
#include "stack_abi.h"
#include "stack_rt.h"

#define RUNTIME_TASK_STACK 10240
#define RUNTIME_TASK_PRIO 5

/* The module CMake embeds: build/stack.wasm (one page) or build/stack.server.wasm, or their .aot
 * made by wamrc, copied to stack_module.bin in the build folder (main/CMakeLists.txt). */
extern const uint8_t module_start[] asm("_binary_stack_module_bin_start");
extern const uint8_t module_end[] asm("_binary_stack_module_bin_end");

static const char *TAG = "asnet";
static struct frame_queue rx_frames;

/* Addressing (issue 13): DHCP first when CONFIG_ASNET_DHCP; without a lease after
 * CONFIG_ASNET_DHCP_TIMEOUT_S the menuconfig address is used. The address in use is logged. */
#ifdef CONFIG_ASNET_DHCP
#define USE_DHCP 1
#else
#define USE_DHCP 0
#endif
static int32_t dhcp_handle = -1;
static uint32_t dhcp_deadline;
static uint32_t static_ip, static_mask, static_gw;

uint32_t board_now_ms(void) { return (uint32_t)(esp_timer_get_time() / 1000); }
uint32_t board_random(void) { return esp_random(); }
void board_netif_output(const uint8_t *frame, uint32_t len) { link_shim_output(frame, len); }

static void log_line(const char *line) { ESP_LOGI(TAG, "%s", line); }

/* Internal DRAM is what the application competes for (boards/esp32/README.md "Memory"); PSRAM, where
 * enabled, is reported apart. */
static void log_heap(const char *when) {
  ESP_LOGI(TAG, "heap %s: internal free %u, largest block %u; psram free %u", when,
           (unsigned)heap_caps_get_free_size(MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT),
           (unsigned)heap_caps_get_largest_free_block(MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT),
           (unsigned)heap_caps_get_free_size(MALLOC_CAP_SPIRAM));
}

/* stack_init with the menuconfig addresses. The ISN and cookie secrets are drawn from esp_random
 * during this call. On Ethernet boards the RF (the usual entropy source) is off, so the SAR-ADC
 * source is switched on for it; with Wi-Fi the RF is running, and the SAR-ADC source must not be
 * enabled then (ESP-IDF "Random Number Generation"). */
#if CONFIG_ASNET_MAC_WIFI_STA
#define entropy_on() ((void)0)
#define entropy_off() ((void)0)
#else
#define entropy_on() bootloader_random_enable()
#define entropy_off() bootloader_random_disable()
#endif
static int stack_configure(void) {
  uint8_t mac[6];
  uint32_t ip, mask, gw;
  if (ip_config_parse(CONFIG_ASNET_IP_ADDR, &ip) || ip_config_parse(CONFIG_ASNET_NETMASK, &mask) ||
      ip_config_parse(CONFIG_ASNET_GATEWAY, &gw)) {
    ESP_LOGE(TAG, "bad static IP settings in menuconfig");
    return -1;
  }
  link_shim_mac(mac);
  entropy_on();
  static_ip = ip; static_mask = mask; static_gw = gw;
  const uint32_t args[5] = {ip_config_mac_hi(mac), ip_config_mac_lo(mac), USE_DHCP ? 0 : ip,
                            USE_DHCP ? 0 : mask, USE_DHCP ? 0 : gw};
  int32_t rc = stack_rt_call(STACK_RT_stack_init, args, 5);
  entropy_off();
  ESP_LOGI(TAG, "stack_init %s mac %02x:%02x:%02x:%02x:%02x:%02x -> %d", CONFIG_ASNET_IP_ADDR,
           mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], (int)rc);
  return rc;
}


static void log_address(uint32_t ip, const char *how) {
  ESP_LOGI(TAG, "address: %u.%u.%u.%u (%s)", (unsigned)(ip >> 24), (unsigned)((ip >> 16) & 255),
           (unsigned)((ip >> 8) & 255), (unsigned)(ip & 255), how);
}

/* The DHCP handle's events come through ev_poll like any socket's (services_poll hands them here). */
void app_dhcp_event(int32_t h, uint32_t events) {
  if (h != dhcp_handle) return;
  uint32_t io = (uint32_t)stack_rt_call0(STACK_RT_io_buffer);
  if ((events & STACK_EV_CONNECTED) && stack_rt_call2(STACK_RT_dhcp_info, (uint32_t)h, io) >= 0) {
    const uint32_t *info = (const uint32_t *)stack_rt_mem(io, 40);
    if (info) log_address(info[1], "dhcp");
    dhcp_deadline = 0;
  }
  if (events & STACK_EV_ERROR) ESP_LOGW(TAG, "dhcp: address lost, asking again");
}

static void start_addressing(void) {
#if USE_DHCP
  dhcp_handle = stack_rt_call0(STACK_RT_dhcp_start);
  dhcp_deadline = board_now_ms() + CONFIG_ASNET_DHCP_TIMEOUT_S * 1000u;
  if (dhcp_deadline == 0) dhcp_deadline = 1;
  if (dhcp_handle > 0) return;
  ESP_LOGE(TAG, "dhcp_start: %d", (int)dhcp_handle);
#endif
  const uint32_t a[3] = {static_ip, static_mask, static_gw};
  stack_rt_call(STACK_RT_netif_set_addr, a, 3);
  log_address(static_ip, "static");
}

static void dhcp_fallback(void) {
  if (dhcp_handle <= 0 || dhcp_deadline == 0 || (int32_t)(board_now_ms() - dhcp_deadline) < 0) return;
  stack_rt_call1(STACK_RT_dhcp_stop, (uint32_t)dhcp_handle);
  dhcp_handle = -1;
  dhcp_deadline = 0;
  const uint32_t a[3] = {static_ip, static_mask, static_gw};
  stack_rt_call(STACK_RT_netif_set_addr, a, 3);
  log_address(static_ip, "static, no DHCP lease");
}

/* Copy every queued frame into the stack's rx_buffer and process it. */
static void deliver_frames(uint32_t rx_buffer) {
  uint32_t len;
  const uint8_t *frame;
  while ((frame = frame_queue_peek(&rx_frames, &len)) != NULL) {
    uint8_t *dst = stack_rt_mem(rx_buffer, len);
    if (dst && len >= 14) {
      memcpy(dst, frame, len);
      stack_rt_call1(STACK_RT_netif_input, len);
    }
    frame_queue_pop(&rx_frames);
    services_poll();
  }
}

static void follow_link(int *last) {
  int up = link_shim_link_up();
  if (up == *last) return;
  *last = up;
  stack_rt_call1(STACK_RT_netif_set_link, (uint32_t)up);
  ESP_LOGI(TAG, "link %s", up ? "up" : "down");
}

static void main_loop(void) {
  uint32_t rx_buffer = (uint32_t)stack_rt_call0(STACK_RT_rx_buffer);
  uint32_t next_netstat = board_now_ms() + CONFIG_ASNET_NETSTAT_PERIOD_S * 1000u;
  int link = -1;
  for (;;) {
    follow_link(&link);
    deliver_frames(rx_buffer);
    int32_t wait_ms = stack_rt_call0(STACK_RT_timers_run);
    services_poll();
    dhcp_fallback();
    console_print_transitions(log_line);
    if (CONFIG_ASNET_NETSTAT_PERIOD_S && (int32_t)(board_now_ms() - next_netstat) >= 0) {
      console_print_netstat(log_line);
      next_netstat += CONFIG_ASNET_NETSTAT_PERIOD_S * 1000u;
    }
    if (wait_ms < 1 || wait_ms > 250) wait_ms = wait_ms < 1 ? 1 : 250;
    ulTaskNotifyTake(pdTRUE, pdMS_TO_TICKS(wait_ms)); /* a frame or link change wakes us early */
  }
}

static void runtime_task(void *arg) {
  (void)arg;
  char err[128];
  frame_queue_init(&rx_frames);
  log_heap("before runtime");
  if (stack_rt_init(module_start, (uint32_t)(module_end - module_start), err, sizeof err)) {
    ESP_LOGE(TAG, "runtime: %s", err);
    vTaskDelete(NULL);
  }
  log_heap("after instantiate");
  ESP_ERROR_CHECK(link_shim_start(&rx_frames, xTaskGetCurrentTaskHandle()));
  if (stack_configure() < 0 ||
      services_start(CONFIG_ASNET_ECHO_PORT, CONFIG_ASNET_HTTP_PORT) < 0) {
    ESP_LOGE(TAG, "stack set-up failed");
    vTaskDelete(NULL);
  }
  ESP_LOGI(TAG, "echo on port %d, http on port %d", CONFIG_ASNET_ECHO_PORT, CONFIG_ASNET_HTTP_PORT);
  start_addressing();
  main_loop();
}

void app_main(void) {
  ESP_ERROR_CHECK(esp_event_loop_create_default());
  xTaskCreate(runtime_task, "asnet", RUNTIME_TASK_STACK, NULL, RUNTIME_TASK_PRIO, NULL);
}
#endif
