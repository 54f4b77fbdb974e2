/* NS16550A UART at 0x10000000 (registers one byte apart): THR +0 (write), LSR +5 (bit 5: transmit
 * holding register empty), LCR +3, FCR +2. QEMU prints transmitted bytes on the serial console and
 * ignores the baud rate, so init only selects 8N1 and enables the FIFOs. picolibc's stdio writes
 * through a FILE whose put hook is the UART (picolibc stdio.h, FDEV_SETUP_STREAM). */
#include <stdint.h>
#include <stdio.h>
#include "uart.h"

#define UART_BASE 0x10000000u
#define UART_REG(off) (*(volatile uint8_t *)(UART_BASE + (off)))
#define UART_THR 0u
#define UART_FCR 2u
#define UART_LCR 3u
#define UART_LSR 5u
#define LSR_THRE (1u << 5)
#define LCR_8N1 0x03u
#define FCR_FIFO_ENABLE 0x01u

void uart_init(void)
{
    UART_REG(UART_LCR) = LCR_8N1;
    UART_REG(UART_FCR) = FCR_FIFO_ENABLE;
}

void uart_putc(char c)
{
    while (!(UART_REG(UART_LSR) & LSR_THRE)) {
    }
    UART_REG(UART_THR) = (uint8_t)c;
}

/* CRLF line ends, as on mps2-an385. */
static int console_put(char c, FILE *f)
{
    (void)f;
    if (c == '\n') uart_putc('\r');
    uart_putc(c);
    return (unsigned char)c;
}

static FILE console = FDEV_SETUP_STREAM(console_put, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;
