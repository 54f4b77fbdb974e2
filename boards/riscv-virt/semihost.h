/* RISC-V semihosting (the RISC-V Semihosting spec over ARM's semihosting calls). */
#ifndef SEMIHOST_H
#define SEMIHOST_H
/* Ends QEMU (-semihosting): status 0 exits 0, anything else exits 1. Never returns. */
void semihost_exit(int status) __attribute__((noreturn));
#endif
