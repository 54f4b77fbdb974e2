/* LAN9118 driver. Register offsets and bits: SMSC LAN9118 datasheet section 5 (system CSRs),
 * section 5.4 (MAC CSRs through MAC_CSR_CMD/DATA), section 5.5 (PHY through MII_ACC/DATA),
 * section 3.12/3.13 (TX and RX data paths). QEMU's model (hw/net/lan9118.c) aborts on MAC CSRs it
 * does not implement, so this driver touches only MAC_CR, ADDRH/L and MII_ACC/DATA. */
#include "lan9118.h"
#include "clock.h"

#define LAN_BASE 0x40200000u
#define REG(off) (*(volatile uint32_t *)(LAN_BASE + (off)))

#define RX_DATA_FIFO  0x00
#define TX_DATA_FIFO  0x20
#define RX_STATUS_FIFO 0x40
#define TX_STATUS_FIFO 0x48
#define ID_REV        0x50
#define INT_STS       0x58
#define INT_EN        0x5c
#define BYTE_TEST     0x64
#define RX_CFG        0x6c
#define TX_CFG        0x70
#define HW_CFG        0x74
#define RX_DP_CTRL    0x78
#define RX_FIFO_INF   0x7c
#define TX_FIFO_INF   0x80
#define PMT_CTRL      0x84
#define MAC_CSR_CMD   0xa4
#define MAC_CSR_DATA  0xa8

#define BYTE_TEST_MAGIC 0x87654321u
#define HW_CFG_SRST     (1u << 0)
#define PMT_CTRL_READY  (1u << 0)
#define TX_CFG_TX_ON    (1u << 1)
#define TX_CFG_TXS_DUMP (1u << 15)
#define RX_DP_FFWD      (1u << 31)
#define CSR_BUSY        (1u << 31)
#define CSR_READ        (1u << 30)

/* MAC CSR indices (datasheet table 5-6) */
#define MAC_CR       1
#define MAC_ADDRH    2
#define MAC_ADDRL    3
#define MAC_MII_ACC  6
#define MAC_MII_DATA 7
#define MAC_CR_RXEN  (1u << 2)
#define MAC_CR_TXEN  (1u << 3)
#define MAC_CR_FDPX  (1u << 20)
#define MII_BUSY     (1u << 0)
#define MII_WRITE    (1u << 1)
#define PHY_ADDR     1u

/* PHY registers (IEEE 802.3 clause 22.2.4) */
#define PHY_BCR  0
#define PHY_BSR  1
#define PHY_ADV  4
#define BCR_RESET   (1u << 15)
#define BCR_ANEG_EN (1u << 12)
#define BCR_ANEG_RESTART (1u << 9)
#define BSR_LINK    (1u << 2)
#define ADV_ALL_10_100 0x01e1u

/* TX command A/B (datasheet 3.12.2) */
#define TXA_FIRST_SEG (1u << 13)
#define TXA_LAST_SEG  (1u << 12)
/* RX status (datasheet 3.13.3): bit 15 error summary, 29:16 length incl. CRC */
#define RXS_ERROR (1u << 15)
#define RXS_LEN(s) (((s) >> 16) & 0x3fffu)
#define ETH_CRC_LEN 4u

#define TIMEOUT_MS 100u

static struct lan9118_stats stats;
static uint16_t tx_tag;

static int wait_clear(uint32_t off, uint32_t bit)
{
    uint32_t start = clock_now_ms();
    while (REG(off) & bit) {
        if (clock_now_ms() - start > TIMEOUT_MS) {
            return -1;
        }
    }
    return 0;
}

static int mac_csr_write(uint32_t index, uint32_t value)
{
    if (wait_clear(MAC_CSR_CMD, CSR_BUSY) < 0) return -1;
    REG(MAC_CSR_DATA) = value;
    REG(MAC_CSR_CMD) = CSR_BUSY | index;
    return wait_clear(MAC_CSR_CMD, CSR_BUSY);
}

static uint32_t mac_csr_read(uint32_t index)
{
    if (wait_clear(MAC_CSR_CMD, CSR_BUSY) < 0) return 0;
    REG(MAC_CSR_CMD) = CSR_BUSY | CSR_READ | index;
    wait_clear(MAC_CSR_CMD, CSR_BUSY);
    return REG(MAC_CSR_DATA);
}

static int mii_wait(void)
{
    uint32_t start = clock_now_ms();
    while (mac_csr_read(MAC_MII_ACC) & MII_BUSY) {
        if (clock_now_ms() - start > TIMEOUT_MS) return -1;
    }
    return 0;
}

static int phy_write(uint32_t reg, uint16_t value)
{
    if (mii_wait() < 0) return -1;
    mac_csr_write(MAC_MII_DATA, value);
    mac_csr_write(MAC_MII_ACC, (PHY_ADDR << 11) | (reg << 6) | MII_WRITE | MII_BUSY);
    return mii_wait();
}

static int phy_read(uint32_t reg)
{
    if (mii_wait() < 0) return -1;
    mac_csr_write(MAC_MII_ACC, (PHY_ADDR << 11) | (reg << 6) | MII_BUSY);
    if (mii_wait() < 0) return -1;
    return (int)(mac_csr_read(MAC_MII_DATA) & 0xffffu);
}

/* Datasheet 6.4: after HW_CFG.SRST the chip is ready when PMT_CTRL.READY is set. */
static int soft_reset(void)
{
    REG(HW_CFG) = HW_CFG_SRST;
    if (wait_clear(HW_CFG, HW_CFG_SRST) < 0) return -1;
    uint32_t start = clock_now_ms();
    while (!(REG(PMT_CTRL) & PMT_CTRL_READY)) {
        if (clock_now_ms() - start > TIMEOUT_MS) return -1;
    }
    return 0;
}

static int phy_setup(void)
{
    if (phy_write(PHY_BCR, BCR_RESET) < 0) return -1;
    if (phy_write(PHY_ADV, ADV_ALL_10_100) < 0) return -1;
    return phy_write(PHY_BCR, BCR_ANEG_EN | BCR_ANEG_RESTART);
}

static int mac_setup(const uint8_t mac[6])
{
    uint32_t lo = mac[0] | (mac[1] << 8) | (mac[2] << 16) | ((uint32_t)mac[3] << 24);
    uint32_t hi = mac[4] | (mac[5] << 8);
    if (mac_csr_write(MAC_ADDRL, lo) < 0 || mac_csr_write(MAC_ADDRH, hi) < 0) return -1;
    /* Perfect filtering + broadcast (PRMS cleared), full duplex, TX and RX on. */
    return mac_csr_write(MAC_CR, MAC_CR_FDPX | MAC_CR_TXEN | MAC_CR_RXEN);
}

int lan9118_init(const uint8_t mac[6])
{
    if (REG(BYTE_TEST) != BYTE_TEST_MAGIC) return -1;
    if (soft_reset() < 0) return -2;
    if (phy_setup() < 0) return -3;
    if (mac_setup(mac) < 0) return -4;
    REG(INT_EN) = 0;
    REG(INT_STS) = 0xffffffffu;
    REG(RX_CFG) = 0; /* no offset, 4-byte end alignment */
    REG(TX_CFG) = TX_CFG_TX_ON;
    return 0;
}

uint32_t lan9118_id_rev(void)
{
    return REG(ID_REV);
}

int lan9118_link_up(void)
{
    int bsr = phy_read(PHY_BSR);
    return bsr >= 0 && (bsr & BSR_LINK) != 0;
}

/* Datasheet 3.12: one buffer = command A, command B, then ceil(len/4) little-endian data words. */
int lan9118_send(const uint8_t *frame, uint32_t len)
{
    uint32_t words = (len + 3u) / 4u;
    if ((REG(TX_FIFO_INF) & 0xffffu) < words * 4u + 8u) {
        stats.tx_busy++;
        return -1;
    }
    tx_tag++;
    REG(TX_DATA_FIFO) = TXA_FIRST_SEG | TXA_LAST_SEG | len;
    REG(TX_DATA_FIFO) = ((uint32_t)tx_tag << 16) | len;
    for (uint32_t i = 0; i < words; i++) {
        uint32_t w = 0;
        for (uint32_t b = 0; b < 4u && i * 4u + b < len; b++) {
            w |= (uint32_t)frame[i * 4u + b] << (8u * b);
        }
        REG(TX_DATA_FIFO) = w;
    }
    /* Drain the TX status FIFO so it never fills (datasheet 3.12.5). */
    while ((REG(TX_FIFO_INF) >> 16) & 0xffu) {
        (void)REG(TX_STATUS_FIFO);
    }
    stats.tx_frames++;
    return 0;
}

static void discard_frame(uint32_t words)
{
    if (words >= 4u) {
        REG(RX_DP_CTRL) = RX_DP_FFWD; /* datasheet 3.13.4: fast-forward */
        wait_clear(RX_DP_CTRL, RX_DP_FFWD);
    } else {
        while (words--) (void)REG(RX_DATA_FIFO);
    }
}

/* Datasheet 3.13: pop a status word, then read ceil(len/4) data words (len includes the CRC). */
int lan9118_recv(uint8_t *buf, uint32_t cap)
{
    if (((REG(RX_FIFO_INF) >> 16) & 0xffu) == 0) return 0;
    uint32_t status = REG(RX_STATUS_FIFO);
    uint32_t len = RXS_LEN(status);
    uint32_t words = (len + 3u) / 4u;
    if ((status & RXS_ERROR) || len < ETH_CRC_LEN + 14u || len - ETH_CRC_LEN > cap) {
        discard_frame(words);
        stats.rx_errors++;
        return -1;
    }
    len -= ETH_CRC_LEN;
    for (uint32_t i = 0; i < words; i++) {
        uint32_t w = REG(RX_DATA_FIFO);
        for (uint32_t b = 0; b < 4u; b++) {
            uint32_t at = i * 4u + b;
            if (at < len) buf[at] = (uint8_t)(w >> (8u * b));
        }
    }
    stats.rx_frames++;
    return (int)len;
}

const struct lan9118_stats *lan9118_stats(void)
{
    return &stats;
}
