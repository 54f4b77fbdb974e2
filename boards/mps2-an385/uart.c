/* CMSDK UART at 0x40004000: DATA +0, STATE +4 (bit 0 TX buffer full), CTRL +8 (bit 0 TX enable),
 * BAUDDIV +0x10 (must be >= 16). QEMU prints transmitted bytes on the serial console. */
#include <stdint.h>
#include "uart.h"

#define UART0_BASE 0x40004000u
#define UART_DATA    (*(volatile uint32_t *)(UART0_BASE + 0x00))
#define UART_STATE   (*(volatile uint32_t *)(UART0_BASE + 0x04))
#define UART_CTRL    (*(volatile uint32_t *)(UART0_BASE + 0x08))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0_BASE + 0x10))
#define UART_STATE_TX_FULL (1u << 0)
#define UART_CTRL_TX_EN    (1u << 0)

void uart_init(void)
{
    UART_BAUDDIV = 25000000u / 115200u;
    UART_CTRL = UART_CTRL_TX_EN;
}

void uart_putc(char c)
{
    while (UART_STATE & UART_STATE_TX_FULL) {
    }
    UART_DATA = (uint8_t)c;
}

/* newlib's write hook: file descriptors 1 and 2 both go to UART0, with CRLF line ends. */
int _write(int fd, const char *buf, int len)
{
    (void)fd;
    for (int i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            uart_putc('\r');
        }
        uart_putc(buf[i]);
    }
    return len;
}
