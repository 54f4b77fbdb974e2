/* virtio-net over virtio-mmio, modern interface (Virtual I/O Device (VIRTIO) Version 1.2, sections
 * 2 "Basic Facilities", 4.2 "Virtio Over MMIO", 5.1 "Network Device"), polled, split virtqueues. */
#ifndef VIRTIO_NET_H
#define VIRTIO_NET_H
#include <stdint.h>

struct virtio_net_stats {
    uint32_t tx_frames, rx_frames, rx_errors, tx_busy;
};

/* Finds the network device among the machine's virtio-mmio slots, resets it, negotiates
 * VERSION_1 + MAC (+ STATUS when offered), sets up receiveq1/transmitq1 and posts every receive
 * buffer. Writes the device's station address to mac. 0 or a negative VIRTIO_NET_E* code. */
int virtio_net_init(uint8_t mac[6]);
#define VIRTIO_NET_ENODEV -1     /* no virtio-mmio slot holds a network device */
#define VIRTIO_NET_ELEGACY -2    /* version 1 (legacy) transport: run QEMU with virtio-mmio.force-legacy=false */
#define VIRTIO_NET_EFEATURES -3  /* the device lacks VERSION_1 or MAC, or refused FEATURES_OK */
#define VIRTIO_NET_EQUEUE -4     /* a queue is missing, in use, or smaller than the driver's ring */
#define VIRTIO_NET_ERESET -5     /* the device did not finish its reset within 100 ms */

/* The transport's MMIO base and version register, for the boot log (valid after init). */
uint32_t virtio_net_base(void);
uint32_t virtio_net_version(void);
/* 1 when the device reports the link up (always 1 when it does not offer VIRTIO_NET_F_STATUS). */
int virtio_net_link_up(void);
/* Queue one frame (14..1514 bytes, no CRC). 0, or -1 when every transmit buffer is in flight. */
int virtio_net_send(const uint8_t *frame, uint32_t len);
/* Copy the next received frame into buf; its length, 0 if none, -1 if it was dropped (longer
 * than cap or malformed). The buffer goes straight back to the device. */
int virtio_net_recv(uint8_t *buf, uint32_t cap);
const struct virtio_net_stats *virtio_net_stats(void);
#endif
