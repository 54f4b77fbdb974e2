/* mps2-an385 firmware entry: console and clock, then the shared bare-metal firmware
 * (boards/common/firmware) on the LAN9118. */
#include <stdio.h>
#include "clock.h"
#include "uart.h"
#include "lan9118.h"
#include "firmware.h"
#include "startup.h"

/* QEMU's LAN9118 has no station address of its own: a locally administered one. */
static const uint8_t board_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x93, 0x85 };

static int nic_up(uint8_t mac[6])
{
    printf("lan9118: ID_REV 0x%08lx\n", (unsigned long)lan9118_id_rev());
    int err = lan9118_init(board_mac);
    if (err < 0) {
        printf("lan9118: init failed (%d)\n", err);
        return -1;
    }
    printf("lan9118: reset done, link %s\n", lan9118_link_up() ? "up" : "down");
    for (int i = 0; i < 6; i++) mac[i] = board_mac[i];
    return 0;
}

static void nic_stats(struct fw_nic_stats *out)
{
    const struct lan9118_stats *s = lan9118_stats();
    *out = (struct fw_nic_stats){ s->tx_frames, s->rx_frames, s->rx_errors, s->tx_busy };
}

/* QEMU user networking (slirp): guest 10.0.2.15/24, gateway 10.0.2.2. */
static const struct fw_board board = {
    .banner = "mps2-an385: boot",
    .ip = 0x0A00020Fu, .netmask = 0xFFFFFF00u, .gateway = 0x0A000202u,
    .nic_up = nic_up, .nic_stats = nic_stats, .stack_used = startup_stack_used,
};

int main(void)
{
    uart_init();
    clock_init();
    setvbuf(stdout, NULL, _IONBF, 0);
    return fw_main(&board);
}
