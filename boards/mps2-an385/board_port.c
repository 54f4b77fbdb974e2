/* boards/common's board.h and mac.h for mps2-an385 (the rest of board.h is boards/common/firmware):
 * APB timer milliseconds, the 25 MHz timer count as entropy (QEMU's AN385 has no TRNG), the
 * LAN9118 as the MAC, semihosting to exit. */
#include "board.h"
#include "mac.h"
#include "clock.h"
#include "firmware.h"
#include "lan9118.h"
#include "semihost.h"

uint32_t board_now_ms(void) { return clock_now_ms(); }
uint32_t fw_entropy(void) { return clock_raw(); }
void fw_exit(int code) { semihost_exit(code); }

/* The firmware brought the LAN9118 up before the stack (self-test first). */
int mac_init(const uint8_t mac[6]) { (void)mac; return 0; }
int mac_link_up(void) { return lan9118_link_up(); }
int mac_transmit(const uint8_t *frame, uint32_t len) { return lan9118_send(frame, len) < 0 ? -1 : 0; }
int mac_receive(uint8_t *buf, uint32_t cap) { return lan9118_recv(buf, cap); }
