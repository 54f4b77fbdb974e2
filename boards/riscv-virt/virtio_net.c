/* virtio-net driver for the virt machine's virtio-mmio transports, written from the VIRTIO 1.2
 * specification (section numbers below). Modern (version 2) transport only: QEMU 7.2 offers the
 * legacy one by default, `-global virtio-mmio.force-legacy=false` selects this one.
 *
 * Polled, no interrupts: both available rings carry VIRTQ_AVAIL_F_NO_INTERRUPT, the driver reads
 * the used rings' idx on every call. Every buffer is one descriptor holding the 12-byte
 * virtio_net_hdr followed by the frame (5.1.6: with VERSION_1 the header is 12 bytes and its
 * layout need not sit in a descriptor of its own, 2.7.4 "Message Framing"). No offloads are
 * negotiated, so headers are all zero on transmit and ignored on receive; without MRG_RXBUF
 * and the GUEST_TSO/UFO features every receive buffer must hold 1526 bytes (5.1.6.3.1). */
#include <string.h>
#include "clock.h"
#include "virtio_net.h"

/* ---- transport: virtio-mmio registers (4.2.2, table "MMIO Device Register Layout") ---- */
#define MMIO_FIRST_SLOT 0x10001000u     /* QEMU virt: 8 transports, 0x1000 apart */
#define MMIO_SLOT_STRIDE 0x1000u
#define MMIO_SLOTS 8u

#define REG_MAGIC            0x000u
#define REG_VERSION          0x004u
#define REG_DEVICE_ID        0x008u
#define REG_DEVICE_FEATURES  0x010u
#define REG_DEVICE_FEAT_SEL  0x014u
#define REG_DRIVER_FEATURES  0x020u
#define REG_DRIVER_FEAT_SEL  0x024u
#define REG_QUEUE_SEL        0x030u
#define REG_QUEUE_NUM_MAX    0x034u
#define REG_QUEUE_NUM        0x038u
#define REG_QUEUE_READY      0x044u
#define REG_QUEUE_NOTIFY     0x050u
#define REG_STATUS           0x070u
#define REG_QUEUE_DESC_LO    0x080u
#define REG_QUEUE_DESC_HI    0x084u
#define REG_QUEUE_DRIVER_LO  0x090u
#define REG_QUEUE_DRIVER_HI  0x094u
#define REG_QUEUE_DEVICE_LO  0x0a0u
#define REG_QUEUE_DEVICE_HI  0x0a4u
#define REG_CONFIG_GEN       0x0fcu
#define REG_CONFIG           0x100u

#define MMIO_MAGIC 0x74726976u          /* "virt" little-endian */
#define MMIO_VERSION_MODERN 2u
#define DEVICE_ID_NET 1u                /* 5 "Device Types" */

/* Device status bits (2.1) */
#define STATUS_ACKNOWLEDGE 1u
#define STATUS_DRIVER 2u
#define STATUS_DRIVER_OK 4u
#define STATUS_FEATURES_OK 8u
#define STATUS_FAILED 128u

/* Feature bits: 5.1.3 (device), 6 (reserved/transport) */
#define NET_F_MAC (1u << 5)
#define NET_F_STATUS (1u << 16)
#define F_VERSION_1_HI (1u << (32 - 32))  /* bit 32: in the high feature word */

/* Device configuration (5.1.4): mac[6], then le16 status (bit 0 VIRTIO_NET_S_LINK_UP) */
#define CFG_MAC 0u
#define CFG_STATUS 6u
#define NET_S_LINK_UP 1u

/* ---- split virtqueues (2.7) ---- */
#define QUEUE_RX 0u                     /* receiveq1 (5.1.2) */
#define QUEUE_TX 1u                     /* transmitq1 */
#define RX_SLOTS 16u                    /* queue sizes: powers of two (2.7) */
#define TX_SLOTS 16u
#define RING_MAX 16u
#define NET_HDR_LEN 12u                 /* struct virtio_net_hdr with num_buffers (5.1.6) */
#define FRAME_MAX 1514u
#define BUF_LEN 1536u                   /* >= NET_HDR_LEN + FRAME_MAX = 1526 */

#define DESC_F_WRITE 2u                 /* device writes this buffer (2.7.5) */
#define AVAIL_F_NO_INTERRUPT 1u         /* 2.7.6 */
#define USED_F_NO_NOTIFY 1u             /* 2.7.8: the device is already looking at the ring */
#define RESET_WAIT_MS 100u

struct virtq_desc {                     /* 2.7.5, 16-byte aligned table */
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {                    /* 2.7.6, driver area, 2-byte aligned */
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[RING_MAX];
    uint16_t used_event;
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;                       /* bytes the device wrote (receive: header + frame) */
};

struct virtq_used {                     /* 2.7.8, device area, 4-byte aligned */
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[RING_MAX];
    uint16_t avail_event;
};

struct virtq {
    struct virtq_desc desc[RING_MAX] __attribute__((aligned(16)));
    struct virtq_avail avail __attribute__((aligned(2)));
    volatile struct virtq_used used __attribute__((aligned(4)));
    uint16_t size;                      /* entries in use, <= RING_MAX */
    uint16_t last_used;                 /* next used-ring entry to consume */
};

static struct virtq rxq, txq;
static uint8_t rx_buf[RX_SLOTS][BUF_LEN] __attribute__((aligned(4)));
static uint8_t tx_buf[TX_SLOTS][BUF_LEN] __attribute__((aligned(4)));
static uint16_t tx_free[TX_SLOTS];      /* descriptor ids the device has given back */
static uint32_t tx_free_count;
static uint32_t mmio_base;
static uint32_t has_status;
static struct virtio_net_stats stats;

static uint32_t reg_read(uint32_t off) { return *(volatile uint32_t *)(mmio_base + off); }
static void reg_write(uint32_t off, uint32_t v) { *(volatile uint32_t *)(mmio_base + off) = v; }
static uint8_t cfg_read8(uint32_t off) { return *(volatile uint8_t *)(mmio_base + REG_CONFIG + off); }

/* Orders ring writes before the index write and the index write before the notify (2.7.13). */
static void barrier(void) { __asm__ volatile("fence rw, rw" ::: "memory"); }

/* 4.2.3.1.1: magic, then version, then device id; a device id of 0 is an empty slot. */
static int find_device(void)
{
    for (uint32_t i = 0; i < MMIO_SLOTS; i++) {
        mmio_base = MMIO_FIRST_SLOT + i * MMIO_SLOT_STRIDE;
        if (reg_read(REG_MAGIC) != MMIO_MAGIC || reg_read(REG_DEVICE_ID) != DEVICE_ID_NET) continue;
        return reg_read(REG_VERSION) == MMIO_VERSION_MODERN ? 0 : VIRTIO_NET_ELEGACY;
    }
    mmio_base = 0;
    return VIRTIO_NET_ENODEV;
}

/* 3.1.1 steps 4-6: accept VERSION_1 and MAC (required) and STATUS (if offered), nothing else. */
static int negotiate_features(void)
{
    reg_write(REG_DEVICE_FEAT_SEL, 0);
    uint32_t lo = reg_read(REG_DEVICE_FEATURES);
    reg_write(REG_DEVICE_FEAT_SEL, 1);
    uint32_t hi = reg_read(REG_DEVICE_FEATURES);
    if (!(hi & F_VERSION_1_HI) || !(lo & NET_F_MAC)) return VIRTIO_NET_EFEATURES;
    has_status = (lo & NET_F_STATUS) != 0;
    reg_write(REG_DRIVER_FEAT_SEL, 0);
    reg_write(REG_DRIVER_FEATURES, lo & (NET_F_MAC | NET_F_STATUS));
    reg_write(REG_DRIVER_FEAT_SEL, 1);
    reg_write(REG_DRIVER_FEATURES, F_VERSION_1_HI);
    reg_write(REG_STATUS, reg_read(REG_STATUS) | STATUS_FEATURES_OK);
    return reg_read(REG_STATUS) & STATUS_FEATURES_OK ? 0 : VIRTIO_NET_EFEATURES;
}

/* 4.2.3.2: select, check unused and large enough, set size, give the three areas, mark ready. */
static int setup_queue(uint32_t index, struct virtq *q, uint16_t size)
{
    reg_write(REG_QUEUE_SEL, index);
    if (reg_read(REG_QUEUE_READY) != 0) return VIRTIO_NET_EQUEUE;
    uint32_t max = reg_read(REG_QUEUE_NUM_MAX);
    if (max == 0 || max < size) return VIRTIO_NET_EQUEUE;
    memset(q, 0, sizeof *q);
    q->size = size;
    q->avail.flags = AVAIL_F_NO_INTERRUPT;
    reg_write(REG_QUEUE_NUM, size);
    reg_write(REG_QUEUE_DESC_LO, (uint32_t)(uintptr_t)q->desc);
    reg_write(REG_QUEUE_DESC_HI, 0);
    reg_write(REG_QUEUE_DRIVER_LO, (uint32_t)(uintptr_t)&q->avail);
    reg_write(REG_QUEUE_DRIVER_HI, 0);
    reg_write(REG_QUEUE_DEVICE_LO, (uint32_t)(uintptr_t)&q->used);
    reg_write(REG_QUEUE_DEVICE_HI, 0);
    reg_write(REG_QUEUE_READY, 1);
    return 0;
}

/* 2.7.13: put a descriptor chain head in the next available slot, publish the new idx, then
 * notify the device unless it said it needs no notification (2.7.13.3: the barrier before reading
 * the used ring's flags is the second one here). */
static void make_available(struct virtq *q, uint32_t queue, uint16_t id)
{
    q->avail.ring[q->avail.idx % q->size] = id;
    barrier();
    q->avail.idx++;
    barrier();
    if (!(q->used.flags & USED_F_NO_NOTIFY)) reg_write(REG_QUEUE_NOTIFY, queue);
}

/* Before DRIVER_OK: fill the ring, publish once, notify after DRIVER_OK (3.1.1). */
static void post_rx_buffers(void)
{
    for (uint16_t i = 0; i < RX_SLOTS; i++) {
        rxq.desc[i].addr = (uint32_t)(uintptr_t)rx_buf[i];
        rxq.desc[i].len = BUF_LEN;
        rxq.desc[i].flags = DESC_F_WRITE;
        rxq.avail.ring[i] = i;
    }
    barrier();
    rxq.avail.idx = RX_SLOTS;
    barrier();
}

static void prepare_tx(void)
{
    for (uint16_t i = 0; i < TX_SLOTS; i++) {
        txq.desc[i].addr = (uint32_t)(uintptr_t)tx_buf[i];
        tx_free[i] = i;
    }
    tx_free_count = TX_SLOTS;
}

/* 4.2.2: read the configuration until ConfigGeneration is the same before and after. */
static void read_mac(uint8_t mac[6])
{
    uint32_t gen;
    do {
        gen = reg_read(REG_CONFIG_GEN);
        for (uint32_t i = 0; i < 6; i++) mac[i] = cfg_read8(CFG_MAC + i);
    } while (reg_read(REG_CONFIG_GEN) != gen);
}

/* 3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queues, DRIVER_OK. */
int virtio_net_init(uint8_t mac[6])
{
    int err = find_device();
    if (err < 0) return err;
    reg_write(REG_STATUS, 0);                 /* reset; done when status reads 0 (4.2.3.1) */
    uint32_t start = clock_now_ms();
    while (reg_read(REG_STATUS) != 0) {
        if (clock_now_ms() - start > RESET_WAIT_MS) return VIRTIO_NET_ERESET;
    }
    reg_write(REG_STATUS, STATUS_ACKNOWLEDGE);
    reg_write(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    if ((err = negotiate_features()) < 0 || (err = setup_queue(QUEUE_RX, &rxq, RX_SLOTS)) < 0
        || (err = setup_queue(QUEUE_TX, &txq, TX_SLOTS)) < 0) {
        reg_write(REG_STATUS, reg_read(REG_STATUS) | STATUS_FAILED);
        return err;
    }
    read_mac(mac);
    post_rx_buffers();
    prepare_tx();
    reg_write(REG_STATUS, reg_read(REG_STATUS) | STATUS_DRIVER_OK);
    reg_write(REG_QUEUE_NOTIFY, QUEUE_RX);    /* no notification before DRIVER_OK (3.1.1) */
    return 0;
}

uint32_t virtio_net_base(void) { return mmio_base; }
uint32_t virtio_net_version(void) { return mmio_base ? reg_read(REG_VERSION) : 0; }

int virtio_net_link_up(void)
{
    if (mmio_base == 0) return 0;
    if (!has_status) return 1;
    uint32_t gen, status;
    do {
        gen = reg_read(REG_CONFIG_GEN);
        status = cfg_read8(CFG_STATUS) | ((uint32_t)cfg_read8(CFG_STATUS + 1) << 8);
    } while (reg_read(REG_CONFIG_GEN) != gen);
    return (status & NET_S_LINK_UP) != 0;
}

/* The next used-ring entry, or NULL when the device has not returned another buffer. */
static volatile struct virtq_used_elem *next_used(struct virtq *q)
{
    if (q->used.idx == q->last_used) return NULL;
    barrier();                                /* read the entry only after seeing idx move */
    volatile struct virtq_used_elem *e = &q->used.ring[q->last_used % q->size];
    q->last_used++;
    return e;
}

static void reclaim_tx(void)
{
    volatile struct virtq_used_elem *e;
    while ((e = next_used(&txq)) != NULL) {
        if (e->id < TX_SLOTS && tx_free_count < TX_SLOTS) tx_free[tx_free_count++] = (uint16_t)e->id;
    }
}

int virtio_net_send(const uint8_t *frame, uint32_t len)
{
    if (len < 14u || len > FRAME_MAX || mmio_base == 0) return -1;
    reclaim_tx();
    if (tx_free_count == 0) {
        stats.tx_busy++;
        return -1;
    }
    uint16_t id = tx_free[--tx_free_count];
    memset(tx_buf[id], 0, NET_HDR_LEN);       /* no checksum offload, no GSO (5.1.6.2) */
    memcpy(tx_buf[id] + NET_HDR_LEN, frame, len);
    txq.desc[id].len = NET_HDR_LEN + len;
    txq.desc[id].flags = 0;
    make_available(&txq, QUEUE_TX, id);
    stats.tx_frames++;
    return 0;
}

/* Gives a receive buffer back to the device; the notification (when the device asks for one)
 * makes QEMU deliver the frames it held while the ring was empty. */
static void repost_rx(uint16_t id)
{
    make_available(&rxq, QUEUE_RX, id);
}

int virtio_net_recv(uint8_t *buf, uint32_t cap)
{
    if (mmio_base == 0) return 0;
    volatile struct virtq_used_elem *e = next_used(&rxq);
    if (e == NULL) return 0;
    uint32_t id = e->id, written = e->len;
    if (id >= RX_SLOTS) {                     /* a device bug: count it, the slot is lost */
        stats.rx_errors++;
        return -1;
    }
    int result;
    if (written < NET_HDR_LEN + 14u || written > BUF_LEN || written - NET_HDR_LEN > cap) {
        stats.rx_errors++;
        result = -1;
    } else {
        result = (int)(written - NET_HDR_LEN);
        memcpy(buf, rx_buf[id] + NET_HDR_LEN, (uint32_t)result);
        stats.rx_frames++;
    }
    repost_rx((uint16_t)id);
    return result;
}

const struct virtio_net_stats *virtio_net_stats(void) { return &stats; }
