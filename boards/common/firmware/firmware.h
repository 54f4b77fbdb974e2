/* The firmware shared by the bare-metal boards (mps2-an385, riscv-virt): bring the NIC up, the ARP
 * self-test over mac.h, the stack with DHCP-or-static addressing (dhcp_boot.h), then the echo/HTTP
 * application (app.h) forever, with a line of driver counters every few seconds. A board fills in
 * struct fw_board, calls fw_main() from main(), and provides fw_entropy() and fw_exit() below;
 * board_random(), board_log() and board_fatal() of board.h come from here. */
#ifndef FIRMWARE_H
#define FIRMWARE_H
#include <stdint.h>

struct fw_nic_stats {
    uint32_t tx_frames, rx_frames, rx_errors, tx_busy;
};

struct fw_board {
    const char *banner;                       /* the first console line, e.g. "mps2-an385: boot" */
    uint32_t ip, netmask, gateway;            /* the static address used when DHCP gets no lease */
    /* Resets and enables the MAC and fills in its station address (a board without one in hardware
     * writes its own); prints what it found. 0, or < 0 when the board cannot go on. */
    int (*nic_up)(uint8_t mac[6]);
    void (*nic_stats)(struct fw_nic_stats *out);
    uint32_t (*stack_used)(void);             /* the C stack's high-water mark in bytes */
};

/* Boots and serves; returns 1 only when bring-up fails (main returns it). */
int fw_main(const struct fw_board *b);

/* From the board: a fast-changing hardware count (a timer) stirred into board_random(), and the
 * way out of the firmware (semihosting exit under QEMU). */
uint32_t fw_entropy(void);
void fw_exit(int code) __attribute__((noreturn));
#endif
