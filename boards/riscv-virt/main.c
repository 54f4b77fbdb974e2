/* riscv-virt firmware entry: console, then the shared bare-metal firmware (boards/common/firmware)
 * on virtio-net. */
#include <stdio.h>
#include "uart.h"
#include "virtio_net.h"
#include "firmware.h"
#include "startup.h"

static int nic_up(uint8_t mac[6])
{
    int err = virtio_net_init(mac);            /* the device's address, from its config space */
    if (err < 0) {
        printf("virtio-net: init failed (%d)\n", err);
        return -1;
    }
    printf("virtio-net: mmio 0x%08lx version %lu, mac %02x:%02x:%02x:%02x:%02x:%02x, link %s\n",
           (unsigned long)virtio_net_base(), (unsigned long)virtio_net_version(), mac[0], mac[1], mac[2],
           mac[3], mac[4], mac[5], virtio_net_link_up() ? "up" : "down");
    return 0;
}

static void nic_stats(struct fw_nic_stats *out)
{
    const struct virtio_net_stats *s = virtio_net_stats();
    *out = (struct fw_nic_stats){ s->tx_frames, s->rx_frames, s->rx_errors, s->tx_busy };
}

/* QEMU user networking (slirp): guest 10.0.2.15/24, gateway 10.0.2.2. */
static const struct fw_board board = {
    .banner = "riscv-virt: boot, rv32imac",
    .ip = 0x0A00020Fu, .netmask = 0xFFFFFF00u, .gateway = 0x0A000202u,
    .nic_up = nic_up, .nic_stats = nic_stats, .stack_used = startup_stack_used,
};

int main(void)
{
    uart_init();
    return fw_main(&board);
}
