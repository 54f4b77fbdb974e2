/* The posix board's own pieces (tap.c, services.c, main.c). */
#ifndef POSIX_BOARD_H
#define POSIX_BOARD_H
#include <stdint.h>

int tap_open(const char *name);
/* At most `frames` frames per main-loop step from now on (0: no limit, the default). */
void tap_set_rx_burst(uint32_t frames);
/* Starts a step's budget; returns 1 when the last step ran out of it (frames may be waiting, so the
 * loop should not sleep). */
int tap_rx_step(void);
/* Sleep until a frame arrives or ms pass. */
void board_wait(int32_t ms);
/* The same, also waking when extra_fd is readable (the sockets layer's wake-up eventfd). */
void board_wait_fd(int32_t ms, int extra_fd);

enum service { SVC_ECHO = 1, SVC_DISCARD = 2, SVC_CHARGEN = 4, SVC_HTTP = 8 };
/* Open the listeners of the selected services. 0 or the first error. */
int services_start(unsigned which);
/* After a trap (asnet_trapped): forget every connection and listener, open the listeners again. */
int services_restart(unsigned which);
/* Accept what waits in the listeners' queues when connection slots are free. */
void services_poll(void);
#endif
