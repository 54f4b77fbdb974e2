/* ARM semihosting (ARM DUI 0471, "Semihosting operations"): lets a test end QEMU with a status. */
#ifndef SEMIHOST_H
#define SEMIHOST_H
void semihost_exit(int status) __attribute__((noreturn));
#endif
