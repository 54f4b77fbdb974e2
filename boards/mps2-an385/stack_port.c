/* Imports of build/stack.wasm (docs/ABI.md): now_ms from SysTick, random from a xorshift mixed
 * with SysTick jitter, netif_output to the LAN9118. Re-entrancy rule: netif_output never calls
 * back into the stack; a frame the TX FIFO cannot take is copied to a small ring and retried
 * from the main loop. */
#include <string.h>
#include "stack_port.h"
#include "lan9118.h"
#include "clock.h"

#define RX_BUFFER_SIZE 1536u
#define TX_RING_SLOTS 4u
#define MAX_FRAME 1514u
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

Z_stack_instance_t stack;

struct tx_slot { uint16_t len; uint8_t data[MAX_FRAME]; };
static struct tx_slot tx_ring[TX_RING_SLOTS];
static uint32_t tx_head, tx_count, tx_ring_drops;
static uint32_t entropy = 0x2545f491u;

uint8_t *stack_mem(uint32_t offset)
{
    return stack.w2c_memory.data + offset;
}

u32 Z_envZ_now_ms(struct Z_env_instance_t *env)
{
    (void)env;
    return clock_now_ms();
}

/* QEMU's mps2-an385 has no TRNG: xorshift32 (Marsaglia 2003) stirred with the SysTick count. */
u32 Z_envZ_random(struct Z_env_instance_t *env)
{
    (void)env;
    entropy ^= SYST_CVR + clock_now_ms();
    entropy ^= entropy << 13;
    entropy ^= entropy >> 17;
    entropy ^= entropy << 5;
    return entropy;
}

static void queue_frame(const uint8_t *frame, uint32_t len)
{
    if (tx_count == TX_RING_SLOTS) {
        tx_ring_drops++; /* TCP retransmits; counted for the console */
        return;
    }
    struct tx_slot *slot = &tx_ring[(tx_head + tx_count) % TX_RING_SLOTS];
    slot->len = (uint16_t)len;
    memcpy(slot->data, frame, len);
    tx_count++;
}

static void flush_tx_ring(void)
{
    while (tx_count > 0 && lan9118_send(tx_ring[tx_head].data, tx_ring[tx_head].len) == 0) {
        tx_head = (tx_head + 1) % TX_RING_SLOTS;
        tx_count--;
    }
}

void Z_envZ_netif_output(struct Z_env_instance_t *env, u32 ptr, u32 len)
{
    (void)env;
    if (len < 14u || len > MAX_FRAME || ptr > stack.w2c_memory.size - len) return;
    const uint8_t *frame = stack_mem(ptr);
    if (tx_count > 0 || lan9118_send(frame, len) < 0) queue_frame(frame, len);
}

void stack_port_poll_input(void)
{
    uint32_t rx = Z_stackZ_rx_buffer(&stack);
    int len;
    while ((len = lan9118_recv(stack_mem(rx), RX_BUFFER_SIZE)) != 0) {
        if (len > 0) (void)Z_stackZ_netif_input(&stack, (u32)len);
        flush_tx_ring();
    }
    flush_tx_ring();
}

int stack_port_init(const uint8_t mac[6], uint32_t ip, uint32_t netmask, uint32_t gw)
{
    wasm_rt_init();
    Z_stack_init_module();
    Z_stack_instantiate(&stack, NULL);
    uint32_t mac_hi = ((uint32_t)mac[0] << 8) | mac[1];
    uint32_t mac_lo = ((uint32_t)mac[2] << 24) | ((uint32_t)mac[3] << 16) | ((uint32_t)mac[4] << 8) | mac[5];
    int err = (int)Z_stackZ_stack_init(&stack, mac_hi, mac_lo, ip, netmask, gw);
    if (err == 0) (void)Z_stackZ_netif_set_link(&stack, 1);
    return err;
}
