/* NS16550A console UART of the virt machine; picolibc's stdout/stderr write to it. */
#ifndef UART_H
#define UART_H
void uart_init(void);
void uart_putc(char c);
#endif
