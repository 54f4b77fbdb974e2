/* CMSDK APB UART0 of mps2-an385 (ARM DDI 0479, section 4.3); stdout goes here through _write. */
#ifndef UART_H
#define UART_H
void uart_init(void);
void uart_putc(char c);
#endif
